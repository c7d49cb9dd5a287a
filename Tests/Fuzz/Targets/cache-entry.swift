// libFuzzer target: embedding cache entries (a `.npy` decoded, then checked as EmbeddingCache does).
import FADArrays
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    if let matrix = (try? NPYArray.decode(data, path: "entry.npy"))?.embeddingFrames() {
        precondition(matrix.rows > 0 && matrix.columns > 0 && matrix.values.allSatisfy(\.isFinite))
    }
    return 0
}
