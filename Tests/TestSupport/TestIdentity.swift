import Foundation

/// A throwaway self-signed signing identity made by openssl (nobody here wrote it): EC P-256 by
/// default, or any `openssl req -newkey` key (`["rsa:2048"]`, `["ec", "-pkeyopt",
/// "ec_paramgen_curve:P-384"]`). Key and certificate are PEM files in the workspace.
public struct TestIdentity: Sendable {
    public let key: String
    public let cert: String

    public static let p256 = ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]

    public init(_ ws: Workspace, newKey: [String] = TestIdentity.p256, name: String = "identity") throws {
        key = ws.path("\(name)-key.pem")
        cert = ws.path("\(name)-cert.pem")
        if FileManager.default.fileExists(atPath: cert) { return }
        try Shell.check(
            "openssl",
            ["req", "-x509", "-newkey"] + newKey + [
                "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=Signet Test Signer/O=Signet tests",
                "-addext", "keyUsage=critical,digitalSignature,nonRepudiation",
            ])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
    }

    public var keyPEM: String { get throws { try String(contentsOfFile: key, encoding: .utf8) } }
    public var certificatePEM: String { get throws { try String(contentsOfFile: cert, encoding: .utf8) } }
    public var certificateURL: URL { URL(fileURLWithPath: cert) }
}
