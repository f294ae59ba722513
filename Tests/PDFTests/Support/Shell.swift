import Foundation

/// Runs external tools (qpdf, pdfsig, gs, openssl, pyHanko) for the tests.
enum Shell {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var output: String { stdout + stderr }
    }

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let venvBin = packageRoot.appendingPathComponent(".venv/bin").path

    static func which(_ tool: String) -> String? {
        let venv = venvBin + "/" + tool
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"]
        where FileManager.default.isExecutableFile(atPath: dir + "/" + tool) {
            return dir + "/" + tool
        }
        return nil
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String], cwd: URL? = nil) throws -> Result {
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
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// Runs and throws unless the exit status is 0.
    @discardableResult
    static func check(_ tool: String, _ arguments: [String], cwd: URL? = nil) throws -> Result {
        let result = try run(tool, arguments, cwd: cwd)
        guard result.status == 0 else {
            throw ShellError.failed("\(tool) \(arguments.joined(separator: " ")): \(result.status)\n\(result.output)")
        }
        return result
    }
}

enum ShellError: Error, CustomStringConvertible {
    case missingTool(String)
    case failed(String)
    var description: String {
        switch self {
        case .missingTool(let t): return "missing tool \(t)"
        case .failed(let s): return s
        }
    }
}

/// A temporary directory for one test, removed afterwards unless `PDFTEST_KEEP` is set.
final class Workspace {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pdftest-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    deinit {
        if ProcessInfo.processInfo.environment["PDFTEST_KEEP"] == nil { try? FileManager.default.removeItem(at: dir) }
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: dir.appendingPathComponent(name))
    }

    func write(_ name: String, text: String) throws { try write(name, Array(text.utf8)) }

    func read(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: dir.appendingPathComponent(name))) }
}
