// libFuzzer target: `.npy` arrays (NPYArray.decode), as embedding folders and path lists hand them in.
import FADArrays
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    if let array = try? NPYArray.decode(data, path: "fuzz.npy") {
        _ = try? array.matrix(of: Float.self)
        _ = array.encoded()
    }
    return 0
}
