import Foundation

/// Progress on stderr for long runs: files done/total, rate and time left, redrawn in place.
/// Silent unless stderr is a terminal (so logs and CI output stay clean) and unless enabled.
public final class ProgressReporter: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let enabled: Bool
    private let start = Date()
    private var done = 0
    private var lastDraw = Date.distantPast
    private let lock = NSLock()

    /// - Parameter quiet: suppresses output even on a terminal.
    public init(label: String, total: Int, quiet: Bool) {
        self.label = label
        self.total = total
        self.enabled = !quiet && isatty(STDERR_FILENO) == 1
    }

    /// Records one more finished file.
    public func advance() {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        done += 1
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let left = rate > 0 ? Int((Double(total - done) / rate).rounded()) : 0
        let line = String(format: "\r%@: %d/%d files, %.1f files/s, ETA %d:%02d", label, done, total, rate, left / 60, left % 60)
        FileHandle.standardError.write(Data(line.utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
