import Foundation

/// Finds what a process's output says went wrong: sanitizer reports, Swift runtime traps and
/// crashes. Tests scan the logs of every process they start, so a report fails the test even when
/// the process itself carried on.
public enum CrashReport {
    static let markers = [
        "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
        "runtime error:", "Fatal error:", "Program crashed", "Segmentation fault",
    ]

    /// The first report in `log` with the lines after it, or nil when there is none.
    public static func find(in log: String) -> String? {
        let lines = log.split(separator: "\n", omittingEmptySubsequences: false)
        guard let index = lines.firstIndex(where: { line in markers.contains { line.contains($0) } }) else {
            return nil
        }
        return lines[index..<min(lines.count, index + 40)].joined(separator: "\n")
    }
}
