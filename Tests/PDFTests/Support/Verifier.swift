import Foundation
import TestSupport
import Testing

@testable import PDF

/// Signs a prepared PDF with openssl (a detached CMS over `signedData()`) and checks the result
/// with tools nobody here wrote: qpdf, pdfsig (poppler) and pyHanko.
struct Verifier {
    let ws: Workspace
    let identity: TestIdentity

    init(_ ws: Workspace) throws {
        self.ws = ws
        identity = try TestIdentity(ws)
    }

    /// Embeds an openssl CMS and writes `name`; returns the final bytes.
    func sign(_ prepared: PreparedPDF, name: String = "out.pdf") throws -> [UInt8] {
        var prepared = prepared
        try ws.write("tbs.bin", prepared.signedData())
        try Shell.check(
            "openssl",
            [
                "cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256", "-signer", identity.cert, "-inkey",
                identity.key, "-in", ws.path("tbs.bin"), "-out", ws.path("cms.der"),
            ])
        try prepared.embed(cms: try ws.read("cms.der"))
        try ws.write(name, prepared.bytes)
        return prepared.bytes
    }

    struct Report {
        var qpdfCheck: Bool
        var pdfsigValid: Int
        var pdfsigSignatures: Int
        var pyhanko: Bool
        var log: String
    }

    func check(_ name: String = "out.pdf", lenient: Bool = false) throws -> Report {
        let qpdf = try Shell.run("qpdf", ["--check", ws.path(name)])
        let pdfsig = try Shell.run("pdfsig", [ws.path(name)])
        let valid = pdfsig.stdout.components(separatedBy: "Signature is Valid").count - 1
        let total = pdfsig.stdout.components(separatedBy: "Signature Validation:").count - 1
        var args = ["sign", "validate", "--no-revocation-check", "--trust", identity.cert, "--trust-replace"]
        if lenient { args.append("--no-strict-syntax") }
        let pyhanko = try Shell.run("pyhanko", args + [ws.path(name)])
        return Report(
            qpdfCheck: qpdf.status == 0, pdfsigValid: valid, pdfsigSignatures: total, pyhanko: pyhanko.status == 0,
            log: "qpdf:\n\(qpdf.output)\npdfsig:\n\(pdfsig.output)\npyhanko:\n\(pyhanko.output)")
    }

    /// The full set of checks for a freshly signed file.
    func expectValid(
        original: [UInt8], signed: [UInt8], signatures: Int = 1, lenient: Bool = false, pyhanko: Bool = true
    ) throws {
        #expect(signed.count > original.count)
        #expect(Array(signed.prefix(original.count)) == original, "original bytes must be an exact prefix")
        let report = try check(lenient: lenient)
        #expect(report.qpdfCheck, "\(report.log)")
        #expect(report.pdfsigSignatures == signatures, "\(report.log)")
        #expect(report.pdfsigValid == signatures, "\(report.log)")
        if pyhanko { #expect(report.pyhanko, "\(report.log)") }
    }
}
