import Foundation
import TestSupport

/// One of Signet's binaries started by a test, its output in a log file. The checks here fail a
/// test when the process exits abnormally or its log reports a sanitizer error or a crash, so
/// ThreadSanitizer builds of the binaries (`make test-tsan`) are heard.
final class ServiceProcess: @unchecked Sendable {
    let process = Process()
    let logFile: URL

    /// `user`: run it as that user id (and group id), through util-linux's `setpriv`, which
    /// then becomes the binary (same pid).
    init(_ executable: String, _ arguments: [String], log: URL, user: UInt32? = nil) throws {
        logFile = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let binary = Tools.binDirectory.appendingPathComponent(executable)
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(user)", "--regid=\(user)", "--clear-groups", binary.path] + arguments
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func log() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// How the process ended, once it has; throws when it still runs after `timeout`.
    @discardableResult
    func waitForExit(timeout: Duration) async throws -> Termination {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                throw TestFailure(
                    "\(process.executableURL?.lastPathComponent ?? "process") still runs after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return Termination(reason: process.terminationReason, status: process.terminationStatus)
    }

    /// Sends `signal` and waits for the exit; a process that does not stop in time is killed and
    /// the call throws.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(40)) async throws -> Termination {
        if process.isRunning { kill(process.processIdentifier, signal) }
        do {
            return try await waitForExit(timeout: timeout)
        } catch {
            kill(process.processIdentifier, SIGKILL)
            _ = try? await waitForExit(timeout: .seconds(10))
            throw error
        }
    }

    /// Throws when the log holds a sanitizer report or a crash.
    func checkLogIsClean() throws {
        if let report = CrashReport.find(in: log()) {
            throw TestFailure("\(logFile.path) reports:\n\(report)")
        }
    }

    struct Termination: Equatable, CustomStringConvertible {
        var reason: Process.TerminationReason
        var status: Int32
        var isCleanExit: Bool { reason == .exit && status == 0 }
        var description: String { reason == .exit ? "exit \(status)" : "signal \(status)" }
    }
}

/// The last lines of a log, for failure messages.
func tail(_ log: String, lines: Int = 60) -> String {
    log.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
}
