import Common
import Foundation
import NIOCore
import TestSupport
import Testing

@testable import Gateway

/// The streaming multipart intake (Sign'Stash's `document/sign/`): `files` parts into sinks in
/// order, the `signRequest` part into `OperationRequest`, for every way of cutting the body.
@Suite(.timeLimit(.minutes(2)))
struct MultipartIntakeTests {
    static let boundary = "----=_Part_7 signet"

    struct Part {
        var headers: [String]
        var content: [UInt8]

        static func file(_ content: [UInt8], name: String = "files", fileName: String? = nil) -> Part {
            let file = fileName.map { "; filename=\"\($0)\"" } ?? ""
            return Part(
                headers: ["Content-Disposition: form-data; name=\"\(name)\"\(file)", "Content-Type: application/pdf"],
                content: content)
        }

        static func signRequest(_ json: String, asFile: Bool = false) -> Part {
            Part(
                headers: asFile
                    ? [
                        "content-disposition: form-data; name=signRequest; filename=\"blob\"",
                        "Content-Type: application/json",
                    ]
                    : ["Content-Disposition: form-data; name=\"signRequest\""],
                content: Array(json.utf8))
        }
    }

    static func body(_ parts: [Part], preamble: String = "", closing: String = "--\r\n") -> [UInt8] {
        var body = Array(preamble.utf8)
        for (index, part) in parts.enumerated() {
            body += Array(((index == 0 ? "" : "\r\n") + "--\(boundary)\r\n").utf8)
            for header in part.headers { body += Array("\(header)\r\n".utf8) }
            body += Array("\r\n".utf8) + part.content
        }
        return body + Array("\r\n--\(boundary)\(closing)".utf8)
    }

    static func run(
        _ body: [UInt8], _ chunking: Chunking = .whole, maxDocuments: Int = 100, maxMetadataBytes: Int = 1 << 20
    ) throws -> (StreamedRequest, OpenedSinks) {
        let sinks = OpenedSinks()
        var multipart = MultipartIntake(
            boundary: try MultipartIntake.boundary(contentType: "multipart/form-data; boundary=\"\(boundary)\""),
            openSink: sinks.open, maxDocuments: maxDocuments, maxMetadataBytes: maxMetadataBytes)
        return (try intake(&multipart, body, chunking), sinks)
    }

    /// With the `signRequest` before (some of) the files, each file's type is reported as the
    /// file ends, for every way of cutting the body; with it last, at its end for all of them.
    @Test(arguments: Chunking.allCases)
    func signatureTypesAreReportedAsFilesEnd(_ chunking: Chunking) throws {
        let typed = #"""
            {"documents":[{"documentRequest":{},"signatureInfo":{"signatureType":"CAdES"}},
            {"documentRequest":{},"signatureInfo":{}},{"documentRequest":{}}]}
            """#
        let orders: [([Part], [String])] = [
            ([.signRequest(typed), .file([1]), .file([2]), .file([3])], ["0:CAdES", "1:-", "2:-"]),
            ([.file([1]), .signRequest(typed), .file([2]), .file([3])], ["0:CAdES", "1:-", "2:-"]),
            ([.file([1]), .file([2]), .file([3]), .signRequest(typed)], ["0:CAdES", "1:-", "2:-"]),
        ]
        for (parts, expected) in orders {
            let sinks = OpenedSinks()
            let ended = Locked<[String]>([])
            var multipart = MultipartIntake(
                boundary: Self.boundary, openSink: sinks.open,
                endDocument: { index, type in ended.withLock { $0.append("\(index):\(type ?? "-")") } },
                maxDocuments: 10, maxMetadataBytes: 1 << 20)
            _ = try intake(&multipart, Self.body(parts), chunking)
            #expect(ended.withLock { $0 } == expected, "\(chunking)")
        }
    }

    static let signRequest = #"""
        {"externalReference": "m", "documents": [
          {"documentRequest": {"externalReference": "d0", "contentType": "application/pdf"}},
          {"documentRequest": {"name": "given.pdf"}}, {"documentRequest": {}}, {"documentRequest": {}}]}
        """#

    /// Content that looks like the delimiter without being it, CRs and LFs at the edges, and nothing.
    static let contents: [[UInt8]] = [
        IntakeTests.documents([100_000], seed: 9)[0],
        Array("line one\r\n--\(boundary.dropLast())\r\n\r\nx--\(boundary)\r\r\n\r\n--\r\n-\(boundary)\r\n\r".utf8),
        [], Array("\r".utf8),
    ]

    static func files() -> [Part] {
        [
            .file(contents[0], fileName: "a.pdf"), .file(contents[1], fileName: "ignored.pdf"), .file(contents[2]),
            .file(contents[3], fileName: "c.bin"),
        ]
    }

    static func expectDocuments(_ result: StreamedRequest, _ sinks: OpenedSinks, _ chunking: Chunking) {
        #expect(sinks.order == [0, 1, 2, 3])
        for index in 0..<4 { #expect(sinks.bytes(index) == contents[index], "document \(index), \(chunking)") }
        // The reader hands over bytes in runs; the sink gets them in 64 KiB batches, or as one
        // write when the whole 100 KB file is one run.
        #expect(sinks.sinks[0]?.writes == (chunking == .whole ? 1 : 2), "\(chunking)")
        #expect(result.hasContent == [true, true, true, true])
        #expect(result.request.externalReference == "m")
        #expect(result.request.documents.map(\.documentRequest.name) == ["a.pdf", "given.pdf", nil, "c.bin"])
    }

    @Test(arguments: Chunking.small)
    func signRequestFirst(_ chunking: Chunking) throws {
        let body = Self.body([.signRequest(Self.signRequest)] + Self.files(), preamble: "This is a preamble.\r\n")
        let (result, sinks) = try Self.run(body, chunking)
        Self.expectDocuments(result, sinks, chunking)
    }

    @Test(arguments: Chunking.small)
    func signRequestLastAsAFileAmongOtherParts(_ chunking: Chunking) throws {
        let files = Self.files()
        let body = Self.body(
            [files[0], .file(Array("ignored".utf8), name: "comment"), files[1], files[2], files[3]]
                + [.signRequest(Self.signRequest, asFile: true)],
            closing: "--\r\nepilogue\r\n--\(Self.boundary)--\r\n")
        let (result, sinks) = try Self.run(body, chunking)
        Self.expectDocuments(result, sinks, chunking)
    }

    /// A part's content comes out in one run per chunk, however many CRs it holds (multipart-kit's
    /// parser, which this reader replaced, gave one per CR: ~800 for a 200 KB PDF).
    @Test func contentComesOutInOneRunPerChunk() throws {
        var content = IntakeTests.documents([200_000], seed: 3)[0]
        for index in stride(from: 50, to: content.count, by: 100) { content[index] = 0x0D }
        let body = Self.body([.file(content)])
        final class Received {
            var runs = 0
            var bytes: [UInt8] = []
            var parts = 0
        }
        for chunkSize in [body.count, 65_536, 8_192] {
            let received = Received()
            var reader = MultipartReader(boundary: Self.boundary)
            reader.onBody = {
                received.runs += 1
                received.bytes.append(contentsOf: $0)
            }
            reader.onPartComplete = { received.parts += 1 }
            for start in stride(from: 0, to: body.count, by: chunkSize) {
                try body[start..<min(body.count, start + chunkSize)].withUnsafeBytes { try reader.feed($0) }
            }
            #expect(reader.closed)
            #expect(received.parts == 1)
            #expect(received.bytes == content, "\(chunkSize)")
            let chunks = (body.count + chunkSize - 1) / chunkSize
            #expect(received.runs <= chunks + 1, "\(chunkSize): \(received.runs) runs for \(chunks) chunks")
        }
    }

    /// Random one-byte changes of a small body: an `APIError` or a result whose documents are
    /// the files parts, never a crash or another error.
    @Test func mutatedBodiesFailCleanly() throws {
        let body = Self.body(
            [.signRequest(#"{"documents":[{"documentRequest":{}},{"documentRequest":{}}]}"#)]
                + [.file(Array("a\r\nb".utf8), fileName: "a"), .file([0x0D, 0x2D], fileName: "b")])
        var random = SeededRandom(seed: 8)
        let alphabet = Array("\r\n-=;:\" xfilesbsignRequest".utf8) + Array(Self.boundary.utf8)
        for _ in 0..<3000 {
            var mutated = body
            mutated[Int(random.next() % UInt64(body.count))] = alphabet[Int(random.next() % UInt64(alphabet.count))]
            do {
                let (result, sinks) = try Self.run(mutated, .size7)
                #expect(sinks.order == Array(result.request.documents.indices))
                #expect(result.hasContent == result.request.documents.map { _ in true })
            } catch is APIError {
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test func boundaryFromContentType() throws {
        let cases = [
            "multipart/form-data; boundary=abc": "abc", "Multipart/Form-Data;boundary=\"a b;c\"": "a b;c",
            "multipart/form-data; charset=UTF-8; BOUNDARY=\"----=_Part_1\"": "----=_Part_1",
            "multipart/form-data; boundary=\"q\\\"x\"": "q\"x",
        ]
        for (header, boundary) in cases { #expect(try MultipartIntake.boundary(contentType: header) == boundary) }
        for header in [
            "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"",
            "application/json; boundary=abc", "multipart/form-data; boundary=\(String(repeating: "x", count: 71))",
        ] {
            expectAPIError("INVALID_MULTIPART") { _ = try MultipartIntake.boundary(contentType: header) }
        }
    }

    @Test func completenessAtFinish() throws {
        let parts = [.signRequest(Self.signRequest)] + Self.files()
        let complete = Self.body(parts)
        // Cut anywhere before the closing delimiter's last byte: incomplete.
        for cut in [complete.count - 3, complete.count - 4, complete.count - 10, complete.count / 2, 50] {
            for chunking in [Chunking.whole, .size1] {
                expectAPIError("INVALID_MULTIPART", message: "closing boundary") {
                    _ = try Self.run(Array(complete[..<cut]), chunking)
                }
            }
        }
        expectAPIError("INVALID_MULTIPART", message: "closing boundary") {
            _ = try Self.run(Self.body(parts, closing: "-x\r\n"))
        }
        expectAPIError("INVALID_MULTIPART", message: "closing boundary") { _ = try Self.run([]) }
        _ = try Self.run(Self.body(parts, closing: "--"), .size1)
        expectAPIError("MISSING_SIGN_REQUEST") { _ = try Self.run(Self.body(Self.files())) }
        expectAPIError("DOCUMENT_COUNT_MISMATCH", message: "4 documents but the body has 3 files parts") {
            _ = try Self.run(Self.body(parts.dropLast()))
        }
        expectAPIError("INVALID_MULTIPART", message: "documents[1].documentRequest.base64Content must be absent") {
            let json = Self.signRequest.replacingOccurrences(
                of: #""given.pdf""#, with: #""x", "base64Content": "QQ==""#)
            _ = try Self.run(Self.body([.signRequest(json)] + Self.files()))
        }
        expectAPIError("INVALID_JSON", message: "signRequest: missing field documents") {
            _ = try Self.run(Self.body([.signRequest("{}")] + Self.files()))
        }
        expectAPIError("INVALID_MULTIPART", message: "more than one signRequest") {
            _ = try Self.run(Self.body(parts + [.signRequest(Self.signRequest)]))
        }
    }

    @Test func malformedAndLimits() throws {
        let parts = [.signRequest(Self.signRequest)] + Self.files()
        var malformed = Self.body(parts)
        malformed.replaceSubrange(
            malformed.count - 8..<malformed.count - 8, with: Array("\r\n--\(Self.boundary)?".utf8))
        expectAPIError("INVALID_MULTIPART", message: "malformed") { _ = try Self.run(malformed) }
        let badHeader = Self.body([Part(headers: ["Content Disposition: x"], content: [])] + parts)
        expectAPIError("INVALID_MULTIPART", message: "malformed") { _ = try Self.run(badHeader, .size3) }

        let sinks = OpenedSinks()
        var multipart = MultipartIntake(
            boundary: Self.boundary, openSink: sinks.open, maxDocuments: 2, maxMetadataBytes: 1 << 20)
        expectAPIError("TOO_MANY_DOCUMENTS", message: "at most 2 documents") {
            _ = try intake(&multipart, Self.body(parts), .size7)
        }
        #expect(sinks.order == [0, 1])
        expectAPIError("TOO_MANY_DOCUMENTS") { try multipart.feed(ByteBuffer()) }

        // Files do not count as metadata; other parts do, ignored or not.
        _ = try Self.run(Self.body(parts), .size4096, maxMetadataBytes: 1400)
        let padded = Self.body(parts + [.file(Array(repeating: 0x41, count: 5000), name: "comment")])
        expectAPIError("PAYLOAD_TOO_LARGE", .contentTooLarge) {
            _ = try Self.run(padded, .size4096, maxMetadataBytes: 4000)
        }
    }
}
