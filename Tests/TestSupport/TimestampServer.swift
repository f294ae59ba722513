import Foundation

/// A real RFC 3161 responder (`openssl ts -reply` behind a small HTTP server) on loopback.
public final class TimestampServer: @unchecked Sendable {
    let process = Process()
    let workspace: Workspace
    public let port: Int
    public var url: String { "http://127.0.0.1:\(port)/tsa" }
    public var certificate: URL { workspace.dir.appendingPathComponent("tsa-cert.pem") }

    public init() throws {
        workspace = try Workspace()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Shell.packageRoot.appendingPathComponent("Tests/tools/tsa_server.py").path, workspace.dir.path,
        ]
        process.standardOutput = output
        try process.run()
        // The first line is "PORT n".
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).replacingOccurrences(of: "PORT ", with: "")) else {
            throw ShellError.failed("the TSA responder did not start")
        }
        self.port = port
    }

    /// Python's HTTP server may ignore SIGTERM while serving; SIGKILL is certain.
    public func stop() {
        kill(process.processIdentifier, SIGKILL)
    }
}
