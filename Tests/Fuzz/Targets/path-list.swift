// libFuzzer target: path lists (PathList.parse), the text inputs that name files one per line.
import FADArrays
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    if let paths = PathList.parse(data) {
        for path in paths { precondition(!path.isEmpty && !path.hasPrefix("#")) }
    }
    return 0
}
