import Foundation
import TestSupport

/// A two-level PKI made by openssl for XAdES tests: a CA (what validators trust) and a leaf
/// issued by it (what signs; its chain is leaf + CA).
struct XAdESPKI {
    let caCert: String
    let leafKey: String
    let leafCert: String
    /// Leaf then CA, PEM: the local key backend's certificate file.
    let chain: String

    static let rsa = ["rsa:2048"]
    static let p256 = ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]

    init(_ ws: Workspace, newKey: [String] = XAdESPKI.p256) throws {
        caCert = ws.path("ca-cert.pem")
        leafKey = ws.path("leaf-key.pem")
        leafCert = ws.path("leaf-cert.pem")
        chain = ws.path("chain.pem")
        let caKey = ws.path("ca-key.pem")
        try Shell.check(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", caKey,
                "-out", caCert, "-days", "30", "-subj", "/CN=Signet Test CA/O=Signet tests",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        let request = ws.path("leaf.csr")
        try Shell.check(
            "openssl",
            ["req", "-new", "-newkey"] + newKey + [
                "-nodes", "-keyout", leafKey, "-out", request, "-subj", "/CN=Signet XAdES Signer/O=Signet tests",
            ])
        let extensions = ws.path("leaf.ext")
        try "keyUsage=critical,digitalSignature,nonRepudiation\nbasicConstraints=critical,CA:FALSE\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        try Shell.check(
            "openssl",
            [
                "x509", "-req", "-in", request, "-CA", caCert, "-CAkey", caKey, "-CAcreateserial", "-out", leafCert,
                "-days", "30", "-extfile", extensions,
            ])
        try (String(contentsOfFile: leafCert, encoding: .utf8) + String(contentsOfFile: caCert, encoding: .utf8))
            .write(toFile: chain, atomically: true, encoding: .utf8)
    }
}

/// The validators a XAdES result must pass: xmlsec1 (Debian's), Apache Santuario (Debian's, the
/// library EU DSS validates with; `Tests/tools/SantuarioVerify.java`) and signxml + lxml
/// (`Tests/tools/xades_check.py`).
enum XAdESValidators {
    static let fixtures = Shell.packageRoot.appendingPathComponent("Tests/SignetTests/Fixtures/XML")

    static func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    /// The Id of the signature Signet inserted (`signet-…-signature`).
    static func signatureID(in signed: [UInt8]) -> String? {
        let text = String(decoding: signed, as: UTF8.self)
        guard let range = text.range(of: #"Id="signet-[0-9a-f]{16}-signature""#, options: .regularExpression) else {
            return nil
        }
        return String(text[range].dropFirst(4).dropLast())
    }

    /// `openssl ts -verify` of a time-stamp token (DER, at `token`) against the imprint a
    /// validator computed (hex), trusting the test authority's certificate.
    static func verifyTimestamp(_ token: URL, imprint: String, authority: TimestampServer) async throws
        -> Shell.Result
    {
        try await Shell.run(
            "openssl",
            [
                "ts", "-verify", "-token_in", "-in", token.path, "-digest", imprint,
                "-CAfile", authority.certificate.path, "-untrusted", authority.certificate.path,
            ])
    }

    /// `xmlsec1 --verify` of the signature `signatureID` (or the first one) against `trusted`.
    static func xmlsec(_ path: String, trusted: String, signatureID: String?) async throws -> Shell.Result {
        var arguments = [
            "--verify", "--trusted-pem", trusted,
            "--id-attr:Id", "http://www.w3.org/2000/09/xmldsig#:Signature",
            "--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
        ]
        if let signatureID { arguments += ["--node-id", signatureID] }
        return try await Shell.run("xmlsec1", arguments + [path])
    }

    /// Apache Santuario's verdict on each (file, signature Id), trusting `ca`: "ok" (secure
    /// validation, every reference and the signature value verify, the KeyInfo certificate
    /// chains to `ca`) or the reason it refused. One JVM for all the files.
    static func santuario(_ files: [(path: String, signatureID: String)], trusting ca: String) async throws
        -> [String: String]
    {
        let source = Shell.packageRoot.appendingPathComponent("Tests/tools/SantuarioVerify.java").path
        let classPath = ["xmlsec", "commons-codec", "slf4j-api", "slf4j-nop"].map { "/usr/share/java/\($0).jar" }
        let arguments = ["-cp", classPath.joined(separator: ":"), source, ca]
        let result = try await Shell.run(
            "java", arguments + files.flatMap { [$0.path, $0.signatureID] }, timeout: .seconds(300))
        guard result.status == 0 else { throw ShellError.failed("SantuarioVerify.java: \(result.stderr)") }
        struct Verdict: Decodable {
            var file: String
            var santuario: String
        }
        let verdicts = try result.stdout.split(separator: "\n").map {
            try JSONDecoder().decode(Verdict.self, from: Data($0.utf8))
        }
        return Dictionary(verdicts.map { ($0.file, $0.santuario) }, uniquingKeysWith: { first, _ in first })
    }

    struct SignXMLReport: Decodable {
        var file: String
        var signxml: String
        var signingTime: String?
        var certDigestMatches: Bool
        var issuerSerialPresent: Bool
        var parent: String
        var timestampImprint: String?
        var timestampToken: String?
    }

    /// signxml's XAdES verifier and lxml's reading of the properties, for each (file, signature Id).
    static func signxml(_ files: [(path: String, signatureID: String)], pki: XAdESPKI) async throws
        -> [SignXMLReport]
    {
        try await signxml(files, trusting: pki.caCert, leaf: pki.leafCert)
    }

    /// The same with the trusted certificate and the signing leaf given (a self-signed identity
    /// is both).
    static func signxml(_ files: [(path: String, signatureID: String)], trusting ca: String, leaf: String)
        async throws -> [SignXMLReport]
    {
        let script = Shell.packageRoot.appendingPathComponent("Tests/tools/xades_check.py").path
        let result = try await Shell.run(
            "python3", [script, ca, leaf] + files.flatMap { [$0.path, $0.signatureID] },
            timeout: .seconds(300))
        guard result.status == 0 else { throw ShellError.failed("xades_check.py: \(result.stderr)") }
        return try result.stdout.split(separator: "\n").map {
            try JSONDecoder().decode(SignXMLReport.self, from: Data($0.utf8))
        }
    }

    /// Whether `signed` is `original` with one run of bytes inserted (or an empty-element tag
    /// opened to hold it): every byte of the original outside the signature is where it was.
    static func keepsBytes(of original: [UInt8], in signed: [UInt8]) -> Bool {
        let prefix = zip(original, signed).prefix { $0 == $1 }.count
        let suffix = zip(original.reversed(), signed.reversed()).prefix { $0 == $1 }.count
        // An empty-element tag's "/" gives way: one byte of the original may differ.
        return signed.count > original.count && prefix + suffix >= original.count - 1
    }
}
