import Foundation
import TestSupport

/// Paths and external tools the tests use.
enum Tools {
    /// The package root, from this file's location.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where `swift build` put the executables.
    static let binDirectory: URL = {
        if let override = ProcessInfo.processInfo.environment["SIGNET_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }()

    static func temporaryDirectory(_ name: String = "signet-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs a command to completion (stdin from `input`).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], input: Data? = nil) throws -> Shell.Result {
        try Shell.run(executable, arguments, input: input)
    }

    /// A TCP port that was free a moment ago.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `openssl cms -verify` of a detached signature against the content and a trusted certificate.
    static func opensslVerifyDetached(signature: Data, content: Data, trusting certificate: URL) throws -> Shell.Result
    {
        let directory = try temporaryDirectory("verify")
        defer { try? FileManager.default.removeItem(at: directory) }
        let sig = directory.appendingPathComponent("sig.p7s")
        let data = directory.appendingPathComponent("content.bin")
        try signature.write(to: sig)
        try content.write(to: data)
        return try run(
            "openssl",
            [
                "cms", "-verify", "-binary", "-inform", "DER", "-in", sig.path, "-content", data.path,
                "-CAfile", certificate.path, "-purpose", "any", "-out", "/dev/null",
            ])
    }

    /// `openssl cms -cmsout -print` of a DER CMS.
    static func opensslPrint(signature: Data) throws -> String {
        try run("openssl", ["cms", "-cmsout", "-print", "-inform", "DER"], input: signature).stdout
    }
}
