import AsyncHTTPClient
import Foundation
import NIOCore
import TestSupport
import Testing

/// A chunked upload (no Content-Length, so nothing to refuse up front) past `--max-request-bytes`
/// is refused by the count kept while it streams, and nothing of it stays in the spool.
@Suite(.timeLimit(.minutes(2)))
struct IntakeEndToEndTests {
    @Test func aChunkedBodyPastTheLimitIsRefusedWhileItStreams() async throws {
        let gateway = try GatewayProcess(localSigners: 0, extraArguments: ["--max-request-bytes", "1000000"])
        try await gateway.waitUntilLive()
        // 64 KiB chunks of a JSON document's base64, up to 64 MiB: far past the 1 MB limit.
        let chunks = AsyncStream<ByteBuffer> { continuation in
            continuation.yield(ByteBuffer(string: #"{"documents":[{"documentRequest":{"name":"big","base64Content":""#))
            let chunk = ByteBuffer(string: String(repeating: "QUJD", count: 16 * 1024))
            for _ in 0..<1024 { continuation.yield(chunk) }
            continuation.finish()
        }
        var request = HTTPClientRequest(url: gateway.baseURL + "/v1/operations")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(
            name: "Authorization", value: "Basic " + Data("alice:alice-secret".utf8).base64EncodedString())
        request.body = .stream(chunks, length: .unknown)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 20)
        #expect(response.status.code == 413, "\(String(buffer: body))")
        let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
        #expect(json?["errorCode"] as? String == "PAYLOAD_TOO_LARGE")
        let spool = gateway.stateDirectory.appendingPathComponent("spool")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: spool.appendingPathComponent("incoming").path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path) == ["incoming"])
        try await gateway.stop()
    }
}
