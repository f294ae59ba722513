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

    @discardableResult
    public static func run(_ tool: String, _ arguments: [String], cwd: URL? = nil, input: Data? = nil) throws -> Result
    {
        if tool == "pdfsig" {
            pdfsigLock.lock()
            defer { pdfsigLock.unlock() }
            return try launch(tool, arguments, cwd: cwd, input: input)
        }
        return try launch(tool, arguments, cwd: cwd, input: input)
    }

    private static func launch(_ tool: String, _ arguments: [String], cwd: URL?, input: Data?) throws -> Result {
        guard let path = which(tool) else { throw ShellError.missingTool(tool) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = cwd }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString + ".out")
        let err = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString + ".err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(input)
            try stdin.fileHandleForWriting.close()
        }
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// Runs and throws unless the exit status is 0.
    @discardableResult
    public static func check(_ tool: String, _ arguments: [String], cwd: URL? = nil) throws -> Result {
        let result = try run(tool, arguments, cwd: cwd)
        guard result.status == 0 else {
            throw ShellError.failed("\(tool) \(arguments.joined(separator: " ")): \(result.status)\n\(result.output)")
        }
        return result
    }
}

public enum ShellError: Error, CustomStringConvertible {
    case missingTool(String)
    case failed(String)
    public var description: String {
        switch self {
        case .missingTool(let t): return "missing tool \(t)"
        case .failed(let s): return s
        }
    }
}

/// A temporary directory for one test, removed afterwards unless `PDFTEST_KEEP` is set.
public final class Workspace {
    public let dir: URL

    public init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pdftest-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    deinit {
        if ProcessInfo.processInfo.environment["PDFTEST_KEEP"] == nil { try? FileManager.default.removeItem(at: dir) }
    }

    public func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    public func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: dir.appendingPathComponent(name))
    }

    public func write(_ name: String, text: String) throws { try write(name, Array(text.utf8)) }

    public func read(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
    }
}
