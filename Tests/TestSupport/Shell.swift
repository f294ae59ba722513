import Foundation

/// Runs external tools (qpdf, pdfsig, gs, openssl, pyHanko) for the tests. Tools are looked up in
/// the project's `.venv/bin` first (`make test-deps` creates it), then in the system folders.
public enum Shell {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public var output: String { stdout + stderr }
    }

    /// The package root, from this file's place in `Tests/TestSupport/`.
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let venvBin = packageRoot.appendingPathComponent(".venv/bin").path

    public static func which(_ tool: String) -> String? {
        if tool.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: tool) ? tool : nil }
        let venv = venvBin + "/" + tool
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"]
        where FileManager.default.isExecutableFile(atPath: dir + "/" + tool) {
            return dir + "/" + tool
        }
        return nil
    }

    /// pdfsig opens the user's NSS database; concurrent runs make it fail with "Unknown Validation
    /// Failure". Test suites run in parallel, so its runs are serialized here.
    private static let pdfsigLock = NSLock()

    /// Runs a tool to completion, blocking the calling thread. A tool still running after
    /// `timeout` is killed and the call throws, so no test waits forever on a tool. From async
    /// code use the async overload: a blocked thread of the cooperative pool (two here) stalls
    /// every other test in the process.
    @discardableResult
    public static func run(
        _ tool: String, _ arguments: [String], cwd: URL? = nil, input: Data? = nil, timeout: Duration = .seconds(120)
    ) throws -> Result {
        if tool == "pdfsig" {
            pdfsigLock.lock()
            defer { pdfsigLock.unlock() }
            return try runBlocking(tool, arguments, cwd: cwd, input: input, timeout: timeout)
        }
        return try runBlocking(tool, arguments, cwd: cwd, input: input, timeout: timeout)
    }

    /// Runs a tool to completion without blocking a thread of the cooperative pool: the blocking
    /// run happens on a thread of its own. Killed after `timeout` (and throws).
    @discardableResult
    public static func run(
        _ tool: String, _ arguments: [String], cwd: URL? = nil, input: Data? = nil, timeout: Duration = .seconds(120)
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Swift.Result { try run(tool, arguments, cwd: cwd, input: input, timeout: timeout) as Result })
            }.start()
        }
    }

    private static func runBlocking(_ tool: String, _ arguments: [String], cwd: URL?, input: Data?, timeout: Duration)
        throws -> Result
    {
        let exited = DispatchSemaphore(value: 0)
        let launched = try Launched(tool, arguments, cwd: cwd, input: input) { exited.signal() }
        if exited.wait(timeout: .now() + seconds(timeout)) == .timedOut {
            kill(launched.process.processIdentifier, SIGKILL)
            exited.wait()
            throw ShellError.timedOut("\(tool) \(arguments.joined(separator: " ")) still ran after \(timeout)")
        }
        return launched.result()
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// A started tool with its output going to temporary files.
    private final class Launched: @unchecked Sendable {
        let process = Process()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString + ".out")
        let err = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString + ".err")

        init(
            _ tool: String, _ arguments: [String], cwd: URL?, input: Data?, onExit: @escaping @Sendable () -> Void
        ) throws {
            guard let path = Shell.which(tool) else { throw ShellError.missingTool(tool) }
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            if let cwd { process.currentDirectoryURL = cwd }
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            let stdin = Pipe()
            process.standardInput = input == nil ? FileHandle.nullDevice : stdin
            process.terminationHandler = { _ in onExit() }
            try process.run()
            if let input {
                stdin.fileHandleForWriting.write(input)
                try stdin.fileHandleForWriting.close()
            }
        }

        /// Only once the process has exited.
        func result() -> Result {
            Result(
                status: process.terminationStatus,
                stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        }

        deinit {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
    }

    /// Runs and throws unless the exit status is 0.
    @discardableResult
    public static func check(_ tool: String, _ arguments: [String], cwd: URL? = nil) throws -> Result {
        try checked(run(tool, arguments, cwd: cwd), tool, arguments)
    }

    /// Runs and throws unless the exit status is 0, without blocking a thread.
    @discardableResult
    public static func check(_ tool: String, _ arguments: [String], cwd: URL? = nil) async throws -> Result {
        try checked(await run(tool, arguments, cwd: cwd), tool, arguments)
    }

    private static func checked(_ result: Result, _ tool: String, _ arguments: [String]) throws -> Result {
        guard result.status == 0 else {
            throw ShellError.failed("\(tool) \(arguments.joined(separator: " ")): \(result.status)\n\(result.output)")
        }
        return result
    }
}

public enum ShellError: Error, CustomStringConvertible {
    case missingTool(String)
    case failed(String)
    case timedOut(String)
    public var description: String {
        switch self {
        case .missingTool(let t): return "missing tool \(t)"
        case .failed(let s): return s
        case .timedOut(let s): return s
        }
    }
}

/// A temporary directory for one test, removed afterwards unless `PDFTEST_KEEP` is set or `keep()`
/// was called (a failed test keeps its logs).
public final class Workspace: @unchecked Sendable {
    public let dir: URL
    private var kept = false

    public init(_ prefix: String = "signet-test") throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    deinit {
        if !kept && ProcessInfo.processInfo.environment["PDFTEST_KEEP"] == nil {
            try? FileManager.default.removeItem(at: dir)
        }
    }

    /// Leaves the directory in place (for a failed test's logs).
    public func keep() { kept = true }

    public func url(_ name: String) -> URL { dir.appendingPathComponent(name) }
    public func path(_ name: String) -> String { url(name).path }

    public func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: url(name))
    }

    public func write(_ name: String, text: String) throws { try write(name, Array(text.utf8)) }

    public func read(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(name)))
    }
}
