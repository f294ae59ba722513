import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import Gateway

/// Admission control, deletion and retention through the router in process: each refusal has
/// its status, code and `Retry-After`, and leaves nothing behind in the spool.
@Suite(.timeLimit(.minutes(2)))
struct AdmissionAPITests {
    typealias API = GatewayAPITests

    static func incoming(_ workspace: Workspace) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: workspace.path("state/spool/incoming"))
    }

    static func operationFolders(_ workspace: Workspace) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: workspace.path("state/spool")).filter { $0 != "incoming" }
    }

    /// An announced body past the limit is refused before it is read. (A chunked body, which
    /// announces nothing, is refused while it streams: `IntakeEndToEndTests`; this framework
    /// always sets Content-Length.)
    @Test func anAnnouncedBodyPastTheLimitIsRefusedAndLeavesNothing() async throws {
        let (built, workspace, _) = try await API.gateway()
        try await built.application.test(.router) { client in
            let body = try API.body(documents: 1, content: String(repeating: "x", count: 100_000))
            let refused = try await client.execute(
                uri: "/v1/operations", method: .post, headers: API.headers(), body: body)
            API.expectError(refused, .contentTooLarge, "PAYLOAD_TOO_LARGE")
            #expect(try Self.incoming(workspace).isEmpty)
            #expect(try Self.operationFolders(workspace).isEmpty)
        }
    }

    /// A detached CAdES signature needs only the document's digest: the spool keeps (and rows
    /// name) the bytes of PAdES documents only, whether the type comes before or after the content, as JSON or as
    /// multipart (where the type is known only at the end).
    @Test func documentsSignedFromTheirDigestKeepNoFile() async throws {
        let (built, workspace, _) = try await API.gateway()
        let content = Data("%PDF-1.7 not really".utf8).base64EncodedString()
        let json = try API.body([
            ["documentRequest": ["base64Content": content], "signatureInfo": ["signatureType": "CAdES"]],
            ["signatureInfo": ["signatureType": "pades"], "documentRequest": ["base64Content": content]],
            ["documentRequest": ["base64Content": content], "signatureInfo": ["signatureType": "CAdES"]],
        ])
        let boundary = "signet-digest-only"
        var multipart = ""
        for type in ["CAdES", "PAdES", "CAdES"] {
            multipart += "--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"\(type).pdf\"\r\n"
            multipart += "Content-Type: application/pdf\r\n\r\n%PDF-1.7 \(type)\r\n"
        }
        let types = #"""
            {"documents":[{"documentRequest":{},"signatureInfo":{"signatureType":"CAdES"}},
            {"documentRequest":{},"signatureInfo":{"signatureType":"PAdES"}},{"documentRequest":{},"signatureInfo":{"signatureType":"CAdES"}}]}
            """#
        multipart +=
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"signRequest\"\r\n\r\n\(types)\r\n--\(boundary)--\r\n"
        // The same with the signRequest first: each file's type is known as it ends.
        let signRequestFirst =
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"signRequest\"\r\n\r\n\(types)\r\n"
            + multipart[
                ..<multipart.range(of: "--\(boundary)\r\nContent-Disposition: form-data; name=\"signRequest\"")!
                    .lowerBound] + "--\(boundary)--\r\n"
        var multipartHeaders = API.headers()
        multipartHeaders[.contentType] = "multipart/form-data; boundary=\(boundary)"
        let requests = [
            // The PAdES document, and how many bytes the file holds: with the signRequest last,
            // each file's type is known only after the next one starts, so a CAdES file before
            // the PAdES one is written too (and named by no row).
            (json, API.headers(), "%PDF-1.7 not really", 19),
            (ByteBuffer(string: multipart), multipartHeaders, "%PDF-1.7 PAdES", 28),
            (ByteBuffer(string: signRequestFirst), multipartHeaders, "%PDF-1.7 PAdES", 14),
        ]
        try await built.application.test(.router) { client in
            for (body, headers, pades, fileSize) in requests {
                let started = try await client.execute(
                    uri: "/v1/operations", method: .post, headers: headers, body: body)
                #expect(started.status == .accepted, "\(String(buffer: started.body))")
                let id = try #require(API.json(started).operationID)
                let files = try FileManager.default.contentsOfDirectory(atPath: workspace.path("state/spool/\(id)"))
                #expect(files.sorted() == [SpoolContentFile.name])
                let written = try Data(contentsOf: workspace.url("state/spool/\(id)/\(SpoolContentFile.name)"))
                #expect(written.count == fileSize)
                let operation = try #require(await built.registry.operation(id: id))
                #expect(operation.documents.map { $0.contentOffset != nil } == [false, true, false])
                #expect(
                    try Spool.read(built.registry.spool.content(id, 1, operation.documents[1])) == Array(pades.utf8))
            }
            #expect(try Self.incoming(workspace).isEmpty)
        }
    }

    @Test func tooManyRunningOperationsOfOneClientAnswer429() async throws {
        let (built, workspace, _) = try await API.gateway { $0.maxRunningOperationsPerClient = 1 }
        try await built.application.test(.router) { client in
            let first = try await client.execute(
                uri: "/v1/operations", method: .post, headers: API.headers(), body: try API.body(documents: 1))
            #expect(first.status == .accepted)
            let second = try await client.execute(
                uri: "/v1/operations", method: .post, headers: API.headers(),
                body: try API.body(documents: 1, content: "other"))
            API.expectError(second, .tooManyRequests, "TOO_MANY_RUNNING_OPERATIONS")
            #expect(second.headers[.retryAfter] != nil)
            // Another client is not held back by alice's operations.
            let bob = try await client.execute(
                uri: "/v1/operations", method: .post, headers: API.headers("bob"), body: try API.body(documents: 1))
            #expect(bob.status == .accepted)
            #expect(try Self.incoming(workspace).isEmpty)
            #expect(try Self.operationFolders(workspace).count == 2)
        }
    }

    @Test func aFullQueueAnswers503AndAdmitsNothing() async throws {
        let (built, workspace, _) = try await API.gateway { $0.maxQueuedDocuments = 3 }
        try await built.application.test(.router) { client in
            let first = try await client.execute(
                uri: "/v1/operations", method: .post, headers: API.headers(), body: try API.body(documents: 2))
            #expect(first.status == .accepted)
            // Two more would make four waiting: refused after reading, nothing kept.
            let second = try await client.execute(
                uri: "/v1/operations", method: .post, headers: API.headers("bob"), body: try API.body(documents: 2))
            API.expectError(second, .serviceUnavailable, "QUEUE_FULL")
            #expect(second.headers[.retryAfter] != nil)
            #expect(try Self.incoming(workspace).isEmpty)
            #expect(try Self.operationFolders(workspace).count == 1)
            // One more fits.
            let third = try await client.execute(
                uri: "/v1/operations", method: .post, headers: API.headers("bob"), body: try API.body(documents: 1))
            #expect(third.status == .accepted)
        }
    }

    @Test func tooLittleFreeDiskAnswers507() async throws {
        // No file system has a million times a request free.
        let (built, workspace, _) = try await API.gateway { $0.minFreeDiskRatio = 1e12 }
        try await built.application.test(.router) { client in
            let body = try API.body(documents: 1)
            var headers = API.headers()
            headers[.contentLength] = "\(body.readableBytes)"
            let refused = try await client.execute(uri: "/v1/operations", method: .post, headers: headers, body: body)
            API.expectError(refused, .init(code: 507), "INSUFFICIENT_STORAGE")
            #expect(refused.headers[.retryAfter] != nil)
            #expect(try Self.incoming(workspace).isEmpty)
            #expect(try Self.operationFolders(workspace).isEmpty)
        }
    }

    @Test func aDeletedOperationAnswers410AndItsFilesAreGone() async throws {
        let (built, workspace, _) = try await API.gateway()
        try await built.application.test(.router) { client in
            let started = try await client.execute(
                uri: "/v1/operations", method: .post, headers: API.headers(), body: try API.body(documents: 2))
            let id = try #require(API.json(started).operationID)
            let other = try await client.execute(
                uri: "/v1/operations/\(id)", method: .delete, headers: API.headers("bob"))
            API.expectError(other, .notFound, "OPERATION_NOT_FOUND")
            let deleted = try await client.execute(uri: "/v1/operations/\(id)", method: .delete, headers: API.headers())
            #expect(deleted.status == .noContent)
            for path in ["/v1/operations/\(id)", "/v1/operations/\(id)/result", "/v1/operations/\(id)/documents/0"] {
                let gone = try await client.execute(uri: path, method: .get, headers: API.headers())
                API.expectError(gone, .gone, "OPERATION_DELETED")
            }
            let again = try await client.execute(uri: "/v1/operations/\(id)", method: .delete, headers: API.headers())
            API.expectError(again, .gone, "OPERATION_DELETED")
            #expect(try Self.operationFolders(workspace).isEmpty)
            #expect(await built.hub.queuedCount == 0)
        }
    }

    @Test func resultsArePurgedAfterTheirTimeToLive() async throws {
        let (built, workspace, _) = try await API.gateway {
            $0.resultTTL = .seconds(1)
            $0.purgeInterval = .milliseconds(100)
        }
        try await built.application.test(.router) { client in
            // An empty document fails at once: the operation is finished when it is admitted.
            let started = try await client.execute(
                uri: "/v1/operations", method: .post, headers: API.headers(),
                body: try API.body([["documentRequest": ["name": "e", "base64Content": ""]]]))
            let id = try #require(API.json(started).operationID)
            #expect(API.json(started)["status"] as? String == "EXECUTION_FAILED")
            let deadline = ContinuousClock.now.advanced(by: .seconds(20))
            var status = HTTPResponse.Status.ok
            while status != .gone, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                status = try await client.execute(uri: "/v1/operations/\(id)", method: .get, headers: API.headers())
                    .status
            }
            let gone = try await client.execute(
                uri: "/v1/operations/\(id)/result", method: .get, headers: API.headers())
            API.expectError(gone, .gone, "OPERATION_EXPIRED")
            #expect(try Self.operationFolders(workspace).isEmpty)
        }
    }
}
