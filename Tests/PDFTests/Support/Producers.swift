import Foundation
import TestSupport

/// Test PDFs from real producers, generated at test time from tiny sources.
enum Producer: String, CaseIterable, CustomStringConvertible, Sendable {
    case ghostscript
    case reportlab
    case qpdfObjectStreams
    case qpdfNoObjectStreams
    case qpdfLinearized
    case qpdfLinearizedObjectStreams
    case qpdfQDF
    case qpdfVersion20
    case pyhankoSigned
    case pyhankoSignedObjectStreams
    case pyhankoIncremental
    case handmadeTable
    case handmadeXRefStream
    case handmadeHybrid
    case handmadeJunkBeforeHeader
    case handmadeNoFinalEOL

    var description: String { rawValue }

    static let postScript = """
        %!PS
        /Helvetica findfont 14 scalefont setfont
        72 700 moveto (Invoice 42: please sign at SIGNHERE below) show
        72 660 moveto (Second line of text) show
        showpage
        /Helvetica findfont 12 scalefont setfont
        72 500 moveto (Page two) show
        showpage
        """

    static let reportlabScript = """
        import sys
        from reportlab.pdfgen import canvas
        c = canvas.Canvas(sys.argv[1])
        c.setFont('Helvetica', 12)
        c.drawString(100, 700, 'Please sign here: SIGNHERE thanks')
        c.showPage()
        c.drawString(100, 500, 'page two')
        c.save()
        """

    /// Builds the PDF in `ws` and returns its bytes.
    func make(in ws: Workspace) throws -> [UInt8] {
        switch self {
        case .ghostscript: return try Self.ghostscript(ws)
        case .reportlab:
            try ws.write("rl.py", text: Self.reportlabScript)
            try Shell.check("python", [ws.path("rl.py"), ws.path("rl.pdf")])
            return try ws.read("rl.pdf")
        case .qpdfObjectStreams: return try qpdf(ws, ["--object-streams=generate"])
        case .qpdfNoObjectStreams: return try qpdf(ws, ["--object-streams=disable"])
        case .qpdfLinearized: return try qpdf(ws, ["--linearize"])
        case .qpdfLinearizedObjectStreams: return try qpdf(ws, ["--linearize", "--object-streams=generate"])
        case .qpdfQDF: return try qpdf(ws, ["--qdf"])
        case .qpdfVersion20: return try qpdf(ws, ["--force-version=2.0", "--object-streams=generate"])
        case .pyhankoSigned, .pyhankoSignedObjectStreams:
            let identity = try TestIdentity(ws)
            let source = self == .pyhankoSigned ? "gs.pdf" : "q.pdf"
            _ = self == .pyhankoSigned ? try Self.ghostscript(ws) : try qpdf(ws, ["--object-streams=generate"])
            try Shell.check(
                "pyhanko",
                [
                    "sign", "addsig", "--field", "Earlier", "--use-pades", "pemder", "--key", identity.key, "--cert",
                    identity.cert, "--no-pass", ws.path(source), ws.path("signed.pdf"),
                ])
            return try ws.read("signed.pdf")
        case .pyhankoIncremental:
            _ = try Self.ghostscript(ws)
            try Shell.check(
                "pyhanko",
                [
                    "sign", "addfields", "--field", "1/300,100,500,160/Approval", ws.path("gs.pdf"),
                    ws.path("fields.pdf"),
                ])
            return try ws.read("fields.pdf")
        case .handmadeTable: return SamplePDF().build(xref: .table)
        case .handmadeXRefStream: return SamplePDF().build(xref: .stream)
        case .handmadeHybrid: return SamplePDF().build(xref: .hybrid)
        case .handmadeJunkBeforeHeader: return SamplePDF(junk: "JUNK\r\n").build(xref: .table)
        case .handmadeNoFinalEOL: return SamplePDF(finalEOL: false, eol: "\r").build(xref: .table)
        }
    }

    private static func ghostscript(_ ws: Workspace) throws -> [UInt8] {
        try Ghostscript.pdf(fromPostScript: postScript, in: ws)
    }

    private func qpdf(_ ws: Workspace, _ args: [String]) throws -> [UInt8] {
        _ = try Self.ghostscript(ws)
        try Shell.check("qpdf", args + [ws.path("gs.pdf"), ws.path("q.pdf")])
        return try ws.read("q.pdf")
    }

    /// Whether pyHanko needs `--no-strict-syntax`: it refuses hybrid-reference files in strict mode.
    var needsLenientValidation: Bool { self == .handmadeHybrid }

    /// Signatures already in the input.
    var earlierSignatures: Int { self == .pyhankoSigned || self == .pyhankoSignedObjectStreams ? 1 : 0 }

    /// pyHanko refuses any file with bytes before `%PDF-` ("Illegal PDF header"), so it cannot
    /// check that variant at all; qpdf and pdfsig still do.
    var pyhankoReadsInput: Bool { self != .handmadeJunkBeforeHeader }
}
