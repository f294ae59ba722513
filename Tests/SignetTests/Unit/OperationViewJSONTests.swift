import Common
import Foundation
import Hummingbird
import Testing

@testable import Gateway

/// The views written without `JSONEncoder` are the `Encodable` conformance's bytes, as
/// `Response.json` encodes them: every optional present and absent, strings that need escaping,
/// numeric and legacy string ids, both surfaces.
struct OperationViewJSONTests {
    static func encoded(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return [UInt8](try encoder.encode(value))
    }

    static func operation(id: String, strings: String, optionals: Bool) -> Gateway.Operation {
        var visible = VisibleSignatureInfo(locationType: "COORDINATE", locationValue: "page=1,x=70,y=100")
        if optionals {
            visible.area = "width=155,height=50"
            visible.font = "color=#000000,size=11,name=arial"
            visible.imageType = "IMAGE_PNG"
            visible.imageValue = "iVBORw0KGgo="
            visible.templateType = "ONE_OFF"
            visible.oneOffTemplate = strings
        }
        let signed = SignatureParameters(
            signatureType: "PAdES", reason: optionals ? strings : nil, location: optionals ? "Lisboa/Porto" : nil,
            applyTimestamp: optionals, visibleSignature: visible)
        var documents: [DocumentRecord] = []
        for index in 0..<4 {
            var record = DocumentRecord(
                externalReference: optionals ? "ref-\(index)/\(strings)" : nil, name: "doc \(index) \(strings).pdf",
                contentType: "application/pdf",
                signature: index == 0 ? signed : SignatureParameters(signatureType: "CAdES"),
                contentDigest: String(repeating: "ab", count: 32), contentLength: optionals ? 1000 + index : nil)
            switch index {
            case 1:
                record.status = .signed
                record.attempts = 2
            case 2:
                record.status = .errorSigning
                record.signError = "PDF_MALFORMED"
                record.errorMessage = "bad \(strings)"
            default: break
            }
            documents.append(record)
        }
        return Gateway.Operation(
            id: id, clientID: "alice", externalReference: optionals ? "op \(strings)" : nil,
            description: optionals ? strings : nil, fingerprint: "f",
            creationDate: Date(timeIntervalSince1970: 1_796_300_000.25),
            finishedDate: optionals ? nil : Date(timeIntervalSince1970: 1_796_300_001.5), documents: documents)
    }

    @Test(arguments: [
        ("7645601140888515", "plain", true), ("7645601140888515", "plain", false),
        (
            "legacy-0123abcd", #"quote " backslash \ slash / tab \#t newline \#n nul \#u{0} bell \#u{7} del \#u{7F}"#,
            true
        ),
        ("12", "é ñ € 日本 😀 \u{2028} \u{FEFF}", true),
    ])
    func theWrittenBytesAreTheEncodersBytes(id: String, strings: String, optionals: Bool) throws {
        let operation = Self.operation(id: id, strings: strings, optionals: optionals)
        for surface in [OperationView.Surface.signet, .signStash] {
            let view = OperationView(operation, host: "gw.example", port: 8080, surface: surface)
            let written = view.jsonBytes()
            #expect(
                String(decoding: written, as: UTF8.self) == String(decoding: try Self.encoded(view), as: UTF8.self))
            // The result's head and tail are the view around its documents.
            var empty = view
            empty.documentList = []
            let (head, tail) = view.jsonHeadAndTail()
            #expect(head + tail == (try Self.encoded(empty)))
            // A list of views, as `GET /v1/operations?externalReference=` answers.
            #expect(OperationView.jsonBytes(of: [view, view]) == (try Self.encoded([view, view])))
        }
    }

    /// A finished operation's answer is encoded once per surface and handed out again; a running
    /// one is encoded on every call; the oldest entries leave when the bytes pass the bound.
    @Test func finishedAnswersAreEncodedOnceAndBounded() {
        let running = Self.operation(id: "11", strings: "running", optionals: true)
        let finished = Self.operation(id: "12", strings: "finished", optionals: false)
        #expect(!running.isFinished && finished.isFinished)
        let cache = StatusCache(maxBytes: 150)
        var encodings = 0
        func answer(_ operation: Gateway.Operation, _ surface: OperationView.Surface = .signet, bytes: Int = 40)
            -> [UInt8]
        {
            let body = cache.body(of: operation, surface: surface) {
                encodings += 1
                return [UInt8]("\(operation.id) \(surface) \(encodings)".utf8) + Array(repeating: 32, count: bytes)
            }
            return Array(body.readableBytesView)
        }
        #expect(answer(running) != answer(running))
        #expect(encodings == 2 && cache.count == 0)
        let first = answer(finished)
        #expect(answer(finished) == first)
        #expect(encodings == 3 && cache.count == 1)
        // Each surface has its own answer.
        #expect(answer(finished, .signStash) != first)
        #expect(encodings == 4 && cache.count == 2)
        // A third entry (about 50 bytes each) passes 150 bytes: the oldest (the first answer) leaves, so it is encoded again.
        _ = answer(Self.operation(id: "13", strings: "finished", optionals: false))
        #expect(cache.count == 2)
        #expect(answer(finished) != first)
        #expect(encodings == 6)
        // An answer larger than the bound is never kept.
        let large = Self.operation(id: "14", strings: "finished", optionals: false)
        #expect(answer(large, bytes: 200) != answer(large, bytes: 200))
    }
}
