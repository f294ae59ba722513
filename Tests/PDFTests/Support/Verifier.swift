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
        var pdfsig: PDFSig.Report
        var pyhanko: PyHanko.Validation
        var log: String
    }

    func check(_ name: String = "out.pdf", lenient: Bool = false) throws -> Report {
        let qpdf = try Shell.run("qpdf", ["--check", ws.path(name)])
        let pdfsig = try PDFSig.check(ws.path(name))
        let pyhanko = try PyHanko.validate(ws.path(name), trust: [identity.cert], lenient: lenient)
        return Report(
            qpdfCheck: qpdf.status == 0, pdfsig: pdfsig, pyhanko: pyhanko,
            log: "qpdf:\n\(qpdf.output)\npdfsig:\n\(pdfsig.output)\npyhanko:\n\(pyhanko.output)")
    }

    /// The full set of checks for a freshly signed file: pdfsig and pyHanko each find exactly
    /// `signatures` signatures and all of them valid (pyHanko's exit status alone proves nothing:
    /// it is 0 for a file without signatures).
    func expectValid(
        original: [UInt8], signed: [UInt8], signatures: Int = 1, lenient: Bool = false, pyhanko: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(signed.count > original.count, sourceLocation: sourceLocation)
        #expect(
            Array(signed.prefix(original.count)) == original, "original bytes must be an exact prefix",
            sourceLocation: sourceLocation)
        let report = try check(lenient: lenient)
        #expect(report.qpdfCheck, "\(report.log)", sourceLocation: sourceLocation)
        #expect(report.pdfsig.signatures == signatures, "\(report.log)", sourceLocation: sourceLocation)
        #expect(report.pdfsig.valid == signatures, "\(report.log)", sourceLocation: sourceLocation)
        if pyhanko {
            #expect(report.pyhanko.isValid(signatures: signatures), "\(report.log)", sourceLocation: sourceLocation)
        }
    }
}
