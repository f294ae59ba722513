import Foundation
import TestSupport
import Testing

@testable import PDF

let signingTime = Date(timeIntervalSince1970: 1_790_000_000)

/// Every producer/variant: invisible and visible signatures must satisfy qpdf, pdfsig and pyHanko.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ProducerTests {
    @Test(arguments: Producer.allCases)
    func invisibleSignature(_ producer: Producer) throws {
        let ws = try Workspace()
        let input = try producer.make(in: ws)
        let request = PDFSignatureRequest(
            signingTime: signingTime, reason: "Approval", location: "Zürich", signerName: "Test Signer",
            contentsCapacity: 4096)
        let prepared = try PDFSigner.prepare(input, request)
        let verifier = try Verifier(ws)
        let signed = try verifier.sign(prepared)
        let earlier = producer.earlierSignatures
        try verifier.expectValid(
            original: input, signed: signed, signatures: 1 + earlier, lenient: producer.needsLenientValidation,
            pyhanko: producer.pyhankoReadsInput)
    }

    @Test(arguments: Producer.allCases)
    func visibleSignatureByCoordinates(_ producer: Producer) throws {
        let ws = try Workspace()
        let input = try producer.make(in: ws)
        let request = PDFSignatureRequest(
            signingTime: signingTime, reason: "Approval", signerName: "Test Signer", contentsCapacity: 4096,
            visible: .coordinates(page: 1, x: 72, y: 72, width: 200, height: 50))
        let prepared = try PDFSigner.prepare(input, request)
        let verifier = try Verifier(ws)
        let signed = try verifier.sign(prepared)
        let earlier = producer.earlierSignatures
        try verifier.expectValid(
            original: input, signed: signed, signatures: 1 + earlier, lenient: producer.needsLenientValidation,
            pyhanko: producer.pyhankoReadsInput)
        try ws.write("in.pdf", input)
        try VisibleWidget.expect(
            original: ws.path("in.pdf"), signed: ws.path("out.pdf"), page: 1, rect: [72, 72, 272, 122], ws: ws)
    }

    /// Our own output signed again: both signatures stay valid.
    @Test(arguments: [Producer.ghostscript, .qpdfObjectStreams, .handmadeHybrid])
    func signingOurOwnOutputAgain(_ producer: Producer) throws {
        let ws = try Workspace()
        let input = try producer.make(in: ws)
        let verifier = try Verifier(ws)
        let first = PDFSignatureRequest(
            signingTime: signingTime, signerName: "First", contentsCapacity: 4096,
            visible: .coordinates(page: 1, x: 72, y: 72, width: 200, height: 50))
        let once = try verifier.sign(try PDFSigner.prepare(input, first), name: "once.pdf")
        var second = first
        second.signerName = "Second"
        second.visible = .coordinates(page: 1, x: 300, y: 72, width: 200, height: 50)
        let twice = try verifier.sign(try PDFSigner.prepare(once, second))
        try verifier.expectValid(
            original: once, signed: twice, signatures: 2, lenient: producer.needsLenientValidation)
        #expect(try verifier.check().log.contains("Signature2"))
        try VisibleWidget.expect(
            original: ws.path("once.pdf"), signed: ws.path("out.pdf"), field: "Signature2", page: 1,
            rect: [300, 72, 500, 122], ws: ws)
    }
}
