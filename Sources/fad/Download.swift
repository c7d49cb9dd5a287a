import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads `url` to a temporary file, failing with a message that names the URL and the reason
/// (no network, HTTP error, ...). Blocking: the commands are synchronous.
func download(_ url: URL) throws -> URL {
    /// Written by the session's delegate queue, read after the semaphore.
    final class Outcome: @unchecked Sendable {
        var result: Result<URL, Error> = .failure(CommandError(description: "download did not finish"))
    }
    let done = DispatchSemaphore(value: 0)
    let outcome = Outcome()
    let task = URLSession.shared.downloadTask(with: url) { location, response, error in
        defer { done.signal() }
        if let error {
            outcome.result = .failure(CommandError(description: "\(url.absoluteString): cannot download (\(error.localizedDescription)); download it by hand and run `fad models import`", exitCode: FADExitCode.unavailable))
            return
        }
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            outcome.result = .failure(CommandError(description: "\(url.absoluteString): server answered HTTP \(http.statusCode)", exitCode: FADExitCode.unavailable))
            return
        }
        guard let location else { return }
        let kept = FileManager.default.temporaryDirectory.appendingPathComponent("fad-download-\(UUID().uuidString).pth")
        outcome.result = Result { try FileManager.default.moveItem(at: location, to: kept); return kept }
    }
    task.resume()
    done.wait()
    return try outcome.result.get()
}
