import Foundation
import NIOCore
import TestSupport
import Testing

@testable import Gateway

/// The streaming JSON intake: content decoded into sinks, the rest into `OperationRequest`, the
/// same for every way of cutting the body into chunks (docs/intake.md).
@Suite(.timeLimit(.minutes(2)))
struct IntakeTests {
    static func documents(_ sizes: [Int], seed: UInt64) -> [[UInt8]] {
        var random = SeededRandom(seed: seed)
        return sizes.map { size in (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) } }
    }

    /// A client's body for these documents, encoded by Foundation.
    static func body(
        _ contents: [[UInt8]], formatting: JSONEncoder.OutputFormatting = [],
        base64: Data.Base64EncodingOptions = []
    ) throws -> [UInt8] {
        let request = ClientRequest(
            externalReference: "batch/1", description: "café \u{1F600} \"quoted\"",
            documents: contents.enumerated().map { index, content in
                .init(
                    documentRequest: .init(
                        externalReference: "doc-\(index)", name: "invoice-\(index).pdf",
                        base64Content: Data(content).base64EncodedString(options: base64),
                        contentType: "application/pdf"),
                    signatureInfo: .init(signatureType: "CAdES", reason: "r/\(index)", applyTimestamp: index % 2 == 0))
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        return Array(try encoder.encode(request))
    }

    static func expectRoundTrip(
        _ contents: [[UInt8]], _ body: [UInt8], _ chunking: Chunking, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let (result, sinks) = try jsonIntake(body, chunking)
        #expect(sinks.order == Array(contents.indices), sourceLocation: sourceLocation)
        for (index, content) in contents.enumerated() {
            #expect(sinks.bytes(index) == content, "document \(index), \(chunking)", sourceLocation: sourceLocation)
            let document = result.request.documents[index]
            #expect(document.documentRequest.name == "invoice-\(index).pdf", sourceLocation: sourceLocation)
            #expect(document.documentRequest.base64Content == nil, sourceLocation: sourceLocation)
            #expect(document.signatureInfo?.reason == "r/\(index)", sourceLocation: sourceLocation)
        }
        #expect(result.hasContent == Array(repeating: true, count: contents.count), sourceLocation: sourceLocation)
        #expect(result.request.description == "café \u{1F600} \"quoted\"", sourceLocation: sourceLocation)
    }

    @Test(arguments: Chunking.small)
    func roundTripsSmallDocuments(_ chunking: Chunking) throws {
        let contents = Self.documents([0, 1, 2, 3, 4, 57, 1000, 3001], seed: 7)
        let variants: [(JSONEncoder.OutputFormatting, Data.Base64EncodingOptions)] = [
            ([], []), ([.sortedKeys], [.lineLength64Characters]),
            ([.prettyPrinted], [.lineLength76Characters, .endLineWithLineFeed]),
            (
                [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes],
                [.lineLength64Characters, .endLineWithCarriageReturn]
            ),
        ]
        for (formatting, base64) in variants {
            try Self.expectRoundTrip(
                contents, try Self.body(contents, formatting: formatting, base64: base64), chunking)
        }
    }

    @Test(arguments: Chunking.large)
    func roundTripsLargeDocuments(_ chunking: Chunking) throws {
        let contents = Self.documents([300_000, 0, 200_001, 65_536, 49_152], seed: 11)
        try Self.expectRoundTrip(contents, try Self.body(contents), chunking)
        try Self.expectRoundTrip(contents, try Self.body(contents, base64: [.lineLength76Characters]), chunking)
    }

    /// Hand-written JSON that encoders do not produce but parsers accept.
    @Test(arguments: Chunking.small)
    func acceptsAnyValidJSON(_ chunking: Chunking) throws {
        let body = #"""
             { "description" : "\u0063af\u00E9 \ud83d\ude00\n", "documents" : [
              {"signatureInfo": {"visibleSignatureInfo": {"area": "width=155", "nested": [[{}], [], {"base64Content": 1}]},
                                 "signatureType": "PAdES"},
               "documentRequest": {"name": "a", "contentType": "x", "base64Content": "aGVs\/\u002Fw\u003d"}},
              {"documentRequest": {"base64Content": "aGVsbG8=", "name": "b"}, "extra": [1, -2.5e+3, true, false, null]},
              {"documentRequest": {"base\u0036\u0034Content": "YW\r\nE\n=", "name": "c"}},
              {"documentRequest": {"name": "d", "base64Content": null}},
              {"documentRequest": {"base64Content": ""}},
              {"documentRequest": {"name": "f"}},
              {"documentRequest": {"base64Content": null, "name": "g"}},
              {"documentRequest": {"base64Content": "AAAA"}, "documentRequestX": {"base64Content": 5}}
             ], "externalReference": "r", "base64Content": {"x": "y"} }
            """#
        let (result, sinks) = try jsonIntake(Array(body.utf8), chunking)
        #expect(sinks.order == [0, 1, 2, 4, 7])
        #expect(sinks.bytes(0) == [0x68, 0x65, 0x6C, 0xFF, 0xFC])
        #expect(sinks.bytes(1) == Array("hello".utf8))
        #expect(sinks.bytes(2) == Array("aa".utf8))
        #expect(sinks.bytes(4) == [])
        #expect(sinks.bytes(7) == [0, 0, 0])
        #expect(result.hasContent == [true, true, true, false, true, false, false, true])
        let request = result.request
        #expect(request.description == "café \u{1F600}\n")
        #expect(request.externalReference == "r")
        #expect(request.documents.map(\.documentRequest.name) == ["a", "b", "c", "d", nil, "f", "g", nil])
        #expect(request.documents.allSatisfy { $0.documentRequest.base64Content == nil })
        #expect(request.documents[0].signatureInfo?.signatureType == "PAdES")
    }

    /// Every strict prefix of a valid body is incomplete, wherever it is cut.
    @Test func everyTruncationIsInvalidJSON() throws {
        let body = try Self.body(Self.documents([5, 0], seed: 3), formatting: [.prettyPrinted])
        for length in 0..<body.count {
            expectAPIError("INVALID_JSON") { _ = try jsonIntake(Array(body[..<length]), .size7) }
        }
        _ = try jsonIntake(body, .size7)
    }

    /// Strict base64 as docs/api.md defines it. (Foundation's `Data(base64Encoded:)` on Linux also
    /// takes `QUJD/RA==`, `/w=e` or `QUJDRA=5`; JSONDecoder takes `1e5e3` in a field it ignores.)
    static func strictBase64(_ text: String) -> [UInt8]? {
        let clean = String(text.unicodeScalars.filter { $0 != "\n" && $0 != "\r" })
        guard clean.wholeMatch(of: /([A-Za-z0-9+\/]{4})*([A-Za-z0-9+\/]{2}==|[A-Za-z0-9+\/]{3}=)?/) != nil else {
            return nil
        }
        return Data(base64Encoded: clean).map { [UInt8]($0) }
    }

    /// Random one-byte changes of a valid body: the intake accepts exactly what JSONSerialization
    /// (syntax), JSONDecoder (model) and strict base64 accept, with the same content.
    @Test func agreesWithFoundationOnMutatedBodies() throws {
        let body = Array(
            (#"{"description":"d\u00e9","documents":[{"documentRequest":{"name":"a","base64Content":"QUJD\nRA=="},"#
                + #""signatureInfo":{"applyTimestamp":true}},{"documentRequest":{"base64Content":"\/w==","x":[1.5e3]}}]}"#)
                .utf8)
        var random = SeededRandom(seed: 42)
        let alphabet = Array(#"{}[]:,"\/ nulltrue-0123456789.eE+QUJDRA=un"#.utf8) + [0x0A, 0xC3, 0xFF]
        for _ in 0..<1500 {
            var mutated = body
            let position = Int(random.next() % UInt64(body.count))
            mutated[position] = alphabet[Int(random.next() % UInt64(alphabet.count))]
            struct NotBase64: Error {}
            let reference: [[UInt8]?]? = try? {
                _ = try JSONSerialization.jsonObject(with: Data(mutated))
                return try JSONDecoder().decode(OperationRequest.self, from: Data(mutated)).documents.map { document in
                    guard let text = document.documentRequest.base64Content else { return nil }
                    guard let bytes = Self.strictBase64(text) else { throw NotBase64() }
                    return bytes
                }
            }()
            let streamed = try? jsonIntake(mutated, .size3)
            let text = String(decoding: mutated, as: UTF8.self)
            #expect((streamed == nil) == (reference == nil), "\(text)")
            if let (result, sinks) = streamed, let reference {
                #expect(result.hasContent == reference.map { $0 != nil }, "\(text)")
                #expect(reference.indices.map { sinks.bytes($0) } == reference, "\(text)")
            }
        }
    }

    @Test func syntaxErrorsSayWhere() throws {
        let cases: [(String, String)] = [
            (#"{"a":x}"#, "unexpected 'x', expected a value, at byte 5"),
            (#"{"a":1}}"#, "unexpected data after the JSON value at byte 7"),
            (#"{"a":1} x"#, "at byte 8"), (#"{"a":1}{}"#, "at byte 7"),
            (#"{"a":1,}"#, "expected a key"), (#"[1,]"#, "expected a value"), (#"{"a" 1}"#, "expected ':'"),
            (#"{"a":01}"#, "expected ',' or '}'"), (#"{"a":-}"#, "expected a digit"), (#"{"a":1.}"#, "digit"),
            (#"{"a":1e}"#, "digit"), (#"{"a":nul}"#, "expected 'null'"), (#"{"a":"\x"}"#, "invalid escape"),
            (#"{"a":"\u12G4"}"#, #"invalid \u escape"#), ("{\"a\":\"\n\"}", "control character"),
            ("{\"documents\":[{\"documentRequest\":{\"base64Content\":\"QQ\n==\"}}]}", "control character"),
            ("", "the body is empty"), ("  ", "ends before"), (#"{"a":"abc"#, "ends inside a string"),
        ]
        for (body, message) in cases {
            for chunking in [Chunking.whole, .size1] {
                expectAPIError("INVALID_JSON", message: message) { _ = try jsonIntake(Array(body.utf8), chunking) }
            }
        }
    }

    @Test func nestingIsCapped() throws {
        func nested(_ depth: Int) -> [UInt8] {
            Array(
                ("{\"documents\":[], \"x\":" + String(repeating: "[", count: depth - 1)
                    + String(repeating: "]", count: depth - 1) + "}").utf8)
        }
        _ = try jsonIntake(nested(JSONIntake.maxDepth))
        expectAPIError("INVALID_JSON", message: "nesting deeper than 64 levels") {
            _ = try jsonIntake(nested(JSONIntake.maxDepth + 1))
        }
    }

    static func single(_ base64: String) -> [UInt8] {
        Array(#"{"documents":[{"documentRequest":{"base64Content":"#.utf8) + Array(base64.utf8) + Array("}}]}".utf8)
    }

    @Test func base64IsStrict() throws {
        let message =
            "documents[0].documentRequest.base64Content is not valid base64 (standard alphabet, '=' padding, line breaks)"
        let invalid = [
            #""QUJD RA==""#, #""QUJD-A==""#, #""QUJD_A==""#, #""QQ""#, #""QQ=""#, #""Q===""#, #""QQ=A""#,
            #""QQ==QQ==""#, #""====""#, #""QUJDRA===""#, #""QUJD\tRA==""#, #""QUJD\u0020RA==""#,
            #""QU\"JDRA==""#, #""QUJDR\u00C1==""#, "\"QUJDRÁ==\"", #""QUJD\\RA==""#, #""QUJDRA=\u003d=""#,
        ]
        for base64 in invalid {
            for chunking in [Chunking.whole, .size1] {
                expectAPIError("INVALID_BASE64", message: message) { _ = try jsonIntake(Self.single(base64), chunking) }
            }
        }
        let valid = [
            #""QUJDRA==""#: "ABCD", #""QUJD\nRA==""#: "ABCD", #""QUJD\r\nRA=\n=""#: "ABCD", #""\nQUJD\n""#: "ABC",
            #""\u0051\u0055JD""#: "ABC", #""QUJDRA\u003D=""#: "ABCD", #""\n""#: "",
        ]
        for (base64, decoded) in valid {
            let (result, sinks) = try jsonIntake(Self.single(base64), .size1)
            #expect(sinks.bytes(0) == Array(decoded.utf8), "\(base64)")
            #expect(result.hasContent == [true])
        }
    }

    @Test func base64ContentMustBeAStringOrNull() throws {
        for value in ["12", "{}", "[\"QQ==\"]", "true", "false"] {
            expectAPIError("INVALID_JSON", message: "wrong type at documents[0].documentRequest.base64Content") {
                _ = try jsonIntake(Self.single(value))
            }
        }
        for duplicate in [#""QQ==", "base64Content": "QQ==""#, #"null, "base64Content": null"#] {
            expectAPIError("INVALID_JSON", message: "duplicate field documents[0].documentRequest.base64Content") {
                _ = try jsonIntake(Self.single(duplicate))
            }
        }
        expectAPIError("INVALID_JSON", message: "duplicate field documents") {
            _ = try jsonIntake(Array(#"{"documents":[], "documents":[]}"#.utf8))
        }
        expectAPIError("INVALID_JSON", message: "duplicate field documents[0].documentRequest") {
            _ = try jsonIntake(Array(#"{"documents":[{"documentRequest":{}, "documentRequest":{}}]}"#.utf8))
        }
    }

    @Test func decodingErrorsNameTheField() throws {
        expectAPIError("INVALID_JSON", message: "missing field documents") { _ = try jsonIntake(Array("{}".utf8)) }
        expectAPIError("INVALID_JSON", message: "wrong type at documents[0].documentRequest.name") {
            _ = try jsonIntake(Array(#"{"documents":[{"documentRequest":{"base64Content":"", "name":5}}]}"#.utf8))
        }
        expectAPIError("INVALID_JSON", message: "missing field documents[0].documentRequest") {
            _ = try jsonIntake(Array(#"{"documents":[{"signatureInfo":{}}]}"#.utf8))
        }
    }

    /// Each document entry is reported whole, with its signature type, before the next one's
    /// content opens: wherever `signatureInfo` stands in it and wherever the chunks are cut.
    @Test func everyEntryEndsWithItsSignatureType() throws {
        let body = Array(
            #"""
            {"documents":[
              {"documentRequest":{"base64Content":"QUJD"},"signatureInfo":{"signatureType":"PAdES","reason":"}"}},
              {"signatureInfo":{"signatureType":"CAdES"},"documentRequest":{"base64Content":"REVG","name":"a{b"}},
              {"documentRequest":{"base64Content":"R0hJ"}},
              {"documentRequest":{"name":"no content"},"signatureInfo":{"signatureType":"XAdES"}}
            ],"signatureInfo":{"signatureType":"PAdES"}}
            """#.utf8)
        for chunking in Chunking.small {
            let sinks = OpenedSinks()
            var json = JSONIntake(
                openSink: { index in
                    #expect(sinks.ended.count == index, "document \(index) opened before the one before it ended")
                    return try sinks.open(index)
                },
                endDocument: sinks.end, maxDocuments: 10, maxMetadataBytes: 1 << 20)
            _ = try intake(&json, body, chunking)
            #expect(sinks.ended.map(\.document) == [0, 1, 2, 3], "\(chunking)")
            #expect(sinks.ended.map(\.signatureType) == ["PAdES", "CAdES", nil, "XAdES"], "\(chunking)")
        }
    }

    @Test func limits() throws {
        let three = try Self.body(Self.documents([3, 3, 3], seed: 5))
        let sinks = OpenedSinks()
        var json = JSONIntake(openSink: sinks.open, endDocument: sinks.end, maxDocuments: 2, maxMetadataBytes: 1 << 20)
        expectAPIError("TOO_MANY_DOCUMENTS", message: "at most 2 documents") { _ = try intake(&json, three, .size7) }
        #expect(sinks.order == [0, 1])
        // The content does not count as metadata; the rest does.
        let large = try Self.body(Self.documents([1_000_000], seed: 5))
        _ = try jsonIntake(large, .size4096, maxMetadataBytes: 400)
        expectAPIError("PAYLOAD_TOO_LARGE", .contentTooLarge) {
            _ = try jsonIntake(large, .size4096, maxMetadataBytes: 200)
        }
    }

    @Test func errorsStick() throws {
        struct DiskFull: Error {}
        final class FailingSink: DocumentSink {
            func write(_ bytes: UnsafeRawBufferPointer) throws { throw DiskFull() }
        }
        var json = JSONIntake(
            openSink: { _ in FailingSink() }, endDocument: { _, _ in }, maxDocuments: 10, maxMetadataBytes: 1000)
        #expect(throws: DiskFull.self) { _ = try intake(&json, Self.single(#""QUJD""#), .whole) }
        #expect(throws: DiskFull.self) { _ = try json.finish() }
        var broken = JSONIntake(
            openSink: { _ in CollectingSink() }, endDocument: { _, _ in }, maxDocuments: 10, maxMetadataBytes: 1000)
        expectAPIError("INVALID_JSON") { try broken.feed(ByteBuffer(string: "{]")) }
        expectAPIError("INVALID_JSON") { try broken.feed(ByteBuffer(string: "}")) }
        expectAPIError("INVALID_JSON") { _ = try broken.finish() }
    }
}
