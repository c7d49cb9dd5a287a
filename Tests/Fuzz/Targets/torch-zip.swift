// libFuzzer target: PyTorch zip checkpoints (zip directory, data.pkl, storages, tensor views).
import FADTorch
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    guard let checkpoint = try? TorchCheckpoint(data: data, path: "fuzz.pth"),
          let state = try? checkpoint.stateDict() else { return 0 }
    for (name, tensor) in state { _ = try? tensor.floats(path: "fuzz.pth", name: name) }
    return 0
}
