// libFuzzer target: safetensors weight files (header JSON, offsets, every tensor converted).
import FADNN
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    guard let file = try? SafetensorsFile(data: data, path: "fuzz.safetensors") else { return 0 }
    for name in file.names { _ = try? file.tensor(name) }
    return 0
}
