import Foundation
import TestSupport
import Testing

/// Raw files in `multipart/form-data` (Sign'Stash's `files` + `signRequest`), on the native path
/// and on the Sign'Stash synchronous path, signed by real signers and checked by openssl.
@Suite(.timeLimit(.minutes(3)))
struct MultipartEndToEndTests {
    static let boundary = "----signet-test-7MA4YWxkTrZu0gW"

    /// Files whose bytes look like trouble for a multipart parser: CRLFs, a line starting with part
    /// of the boundary (the whole one cannot appear in a part, RFC 2046),
    /// binary zeros, and an empty-looking tail.
    static func documents(_ tag: String) -> [Requests.Document] {
        let tricky: [[UInt8]] = [
            Array("line one\r\nline two\r\n--\(boundary.dropLast(3))\r\n".utf8),
            (0..<70_000).map { _ in UInt8.random(in: 0...255) } + [0, 0, 13, 10],
            Array("\r\n--\r\n\(tag)".utf8),
        ]
        return tricky.enumerated().map { index, bytes in
            Requests.Document(
                name: "\(tag)-\(index).bin", contentType: "application/octet-stream", content: Data(bytes))
        }
    }

    /// The form: `signRequest` first or last, one `files` part per document in order.
    static func form(
        _ documents: [Requests.Document], files fileDocuments: [Requests.Document]? = nil, reference: String,
        signRequestFirst: Bool
    ) throws -> Data {
        let request: [String: Any] = [
            "externalReference": reference, "description": "multipart", "returnSignedContent": true,
            "documents": documents.map {
                [
                    "documentRequest": ["externalReference": $0.name, "name": $0.name, "contentType": $0.contentType],
                    "signatureInfo": ["signatureType": "CAdES"],
                ]
            },
        ]
        var signRequest = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"signRequest\"\r\n".utf8)
        signRequest += Data("Content-Type: application/json\r\n\r\n".utf8)
        signRequest += try JSONSerialization.data(withJSONObject: request) + Data("\r\n".utf8)
        var files = Data()
        for document in fileDocuments ?? documents {
            files += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; ".utf8)
            files += Data("filename=\"\(document.name)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            files += document.content + Data("\r\n".utf8)
        }
        let end = Data("--\(boundary)--\r\n".utf8)
        return (signRequestFirst ? signRequest + files : files + signRequest) + end
    }

    @Test func filesAreSignedOnBothPaths() async throws {
        let gateway = try GatewayProcess(localSigners: 2)
        try await gateway.waitUntilReady(signers: 2)
        let headers = [("Content-Type", "multipart/form-data; boundary=\"\(Self.boundary)\"")]

        let native = Self.documents("native")
        let started = try await gateway.request(
            .POST, "/v1/operations",
            body: try Self.form(native, reference: "multipart-native", signRequestFirst: false), headers: headers)
        #expect(started.status == 202, "\(String(decoding: started.body, as: UTF8.self))")
        let id = try #require(started.json.operationID)
        let list = try #require(started.json["documentList"] as? [[String: Any]])
        #expect(list.map { $0["contentLength"] as? Int } == native.map { $0.content.count })
        _ = try await gateway.waitForCompletion(id)
        let result = try await gateway.request(.GET, "/v1/operations/\(id)/result", user: "alice")
        try await gateway.expectSignedByTheDevelopmentIdentity(
            try #require(result.json["documentList"] as? [[String: Any]]), native)

        let signStash = Self.documents("signstash")
        let synchronous = try await gateway.request(
            .POST, "/signstash/einvoice-integration-client-ws/api/v0/document/sign/",
            body: try Self.form(signStash, reference: "multipart-sync", signRequestFirst: true), headers: headers)
        #expect(synchronous.status == 200, "\(String(decoding: synchronous.body, as: UTF8.self))")
        try await gateway.expectSignedByTheDevelopmentIdentity(
            try #require(synchronous.json["documentList"] as? [[String: Any]]), signStash)

        // One file fewer than the request names: refused whole, nothing kept.
        let short = try Self.form(native, files: Array(native.prefix(2)), reference: "short", signRequestFirst: true)
        let mismatch = try await gateway.request(.POST, "/v1/operations", body: short, headers: headers)
        #expect(mismatch.status == 400)
        #expect(mismatch.json["errorCode"] as? String == "DOCUMENT_COUNT_MISMATCH", "\(mismatch.json)")
        let spool = gateway.stateDirectory.appendingPathComponent("spool")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("incoming").path).isEmpty)
        try await gateway.stop()
    }
}
