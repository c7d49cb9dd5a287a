// libFuzzer target: `.fadstats` statistics files (GaussianStatistics.decode), merged with themselves.
import FADStats
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    guard let statistics = try? GaussianStatistics.decode(data, path: "fuzz.fadstats") else { return 0 }
    _ = try? statistics.merged(with: statistics)
    return 0
}
