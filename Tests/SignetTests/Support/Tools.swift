import Foundation
import TestSupport

/// Paths and external tools the tests use.
enum Tools {
    /// Where `swift build` put the executables.
    static let binDirectory: URL = {
        if let override = ProcessInfo.processInfo.environment["SIGNET_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return Shell.packageRoot.appendingPathComponent(".build/debug")
    }()

    /// A TCP port that was free a moment ago.
    static func freePort() throws -> Int { try freeLoopbackPort() }

    /// `openssl cms -verify` of a detached signature against the content and a trusted certificate.
    static func opensslVerifyDetached(signature: Data, content: Data, trusting certificate: URL) async throws
        -> Shell.Result
    {
        let workspace = try Workspace("verify")
        let sig = workspace.url("sig.p7s")
        let data = workspace.url("content.bin")
        try signature.write(to: sig)
        try content.write(to: data)
        return try await Shell.run(
            "openssl",
            [
                "cms", "-verify", "-binary", "-inform", "DER", "-in", sig.path, "-content", data.path,
                "-CAfile", certificate.path, "-purpose", "any", "-out", "/dev/null",
            ])
    }

    /// `openssl cms -cmsout -print` of a DER CMS.
    static func opensslPrint(signature: Data) async throws -> String {
        try await Shell.run("openssl", ["cms", "-cmsout", "-print", "-inform", "DER"], input: signature).stdout
    }
}

extension Dictionary where Key == String, Value == Any {
    /// An operation's id as the API answers it (a JSON number), as the text paths use.
    var operationID: String? {
        (self["id"] as? NSNumber).map { "\($0.int64Value)" } ?? (self["id"] as? String)
    }
}
