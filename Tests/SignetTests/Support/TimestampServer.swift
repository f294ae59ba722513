import Foundation

/// A real RFC 3161 responder (`openssl ts -reply` behind a small HTTP server) on loopback.
final class TimestampServer: @unchecked Sendable {
    let process = Process()
    let directory: URL
    let port: Int
    var url: String { "http://127.0.0.1:\(port)/tsa" }
    var certificate: URL { directory.appendingPathComponent("tsa-cert.pem") }

    init() throws {
        directory = try Tools.temporaryDirectory("tsa")
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Tools.packageRoot.appendingPathComponent("Tests/tools/tsa_server.py").path, directory.path]
        process.standardOutput = output
        try process.run()
        // The first line is "PORT n".
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).replacingOccurrences(of: "PORT ", with: "")) else {
            throw TestFailure("the TSA responder did not start")
        }
        self.port = port
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }
}
