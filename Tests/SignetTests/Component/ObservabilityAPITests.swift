import Common
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Signing
import TestSupport
import Testing

@testable import Gateway

/// Request ids through the router in process (docs/operations.md, "Metrics and logs").
@Suite(.timeLimit(.minutes(2)))
struct ObservabilityAPITests {
    typealias API = GatewayAPITests

    static func requestID(_ response: TestResponse) -> String? { response.headers[.requestID] }

    @Test func everyAnswerCarriesItsOwnRequestID() async throws {
        let (built, workspace, _) = try await API.gateway()
        try await built.application.test(.router) { client in
            let answers: [(expected: HTTPResponse.Status, response: TestResponse)] = [
                (.ok, try await client.execute(uri: "/health/live", method: .get)),
                // No signer is connected.
                (.serviceUnavailable, try await client.execute(uri: "/health/ready", method: .get)),
                (
                    .accepted,
                    try await client.execute(
                        uri: "/v1/operations", method: .post, headers: API.headers(), body: try API.body(documents: 1))
                ),
                (
                    .unauthorized,
                    try await client.execute(
                        uri: "/v1/operations", method: .post, headers: [.contentType: "application/json"],
                        body: try API.body(documents: 1))
                ),
                (.notFound, try await client.execute(uri: "/no/such/route", method: .get)),
                (.notFound, try await client.execute(uri: "/v1/operations/123", method: .get, headers: API.headers())),
                (
                    .unsupportedMediaType,
                    try await client.execute(
                        uri: "/v1/operations", method: .post, headers: API.headers(contentType: "text/plain"),
                        body: try API.body(documents: 1))
                ),
                (
                    .badRequest,
                    try await client.execute(
                        uri: "/v1/operations", method: .post, headers: API.headers(), body: try API.body(documents: 0))
                ),
            ]
            var ids: Set<String> = []
            for (expected, response) in answers {
                #expect(response.status == expected)
                let id = try #require(Self.requestID(response), "no X-Request-Id on a \(response.status) answer")
                #expect(RequestIDMiddleware<BasicRequestContext>.sane(id) == id)
                ids.insert(id)
            }
            #expect(ids.count == answers.count, "generated request ids repeat: \(ids)")
        }
        withExtendedLifetime(workspace) {}  // its state folder holds the spool
    }

    @Test func aSaneRequestIDIsEchoedAHostileOneReplaced() async throws {
        let (built, workspace, _) = try await API.gateway()
        try await built.application.test(.router) { client in
            func call(_ uri: String, _ method: HTTPRequest.Method, id: String, body: ByteBuffer? = nil) async throws
                -> TestResponse
            {
                var headers = API.headers()
                headers[.requestID] = id
                return try await client.execute(uri: uri, method: method, headers: headers, body: body)
            }
            let given = "client-7f3a:trace/42"
            let started = try await call("/v1/operations", .post, id: given, body: try API.body(documents: 1))
            #expect(started.status == .accepted)
            #expect(Self.requestID(started) == given)
            // Error answers echo it too.
            let missing = try await call("/v1/operations/123", .get, id: "lookup-1")
            #expect(missing.status == .notFound)
            #expect(Self.requestID(missing) == "lookup-1")
            let longest = String(repeating: "a", count: RequestIDMiddleware<BasicRequestContext>.maxLength)
            #expect(Self.requestID(try await call("/v1/operations/123", .get, id: longest)) == longest)

            let hostile = [
                String(repeating: "b", count: RequestIDMiddleware<BasicRequestContext>.maxLength + 1),
                "tab\tinside", "new\u{01}control", "spaced id", "ünïcode", "",
            ]
            for value in hostile {
                let answer = try await call("/v1/operations/123", .get, id: value)
                let id = try #require(Self.requestID(answer))
                #expect(id != value)
                #expect(RequestIDMiddleware<BasicRequestContext>.sane(id) == id, "replaced by '\(id)'")
            }
        }
        withExtendedLifetime(workspace) {}  // its state folder holds the spool
    }

    @Test func saneRequestIDs() {
        typealias Middleware = RequestIDMiddleware<BasicRequestContext>
        #expect(Middleware.sane("4bf92f3577b34da6a3ce929d0e0e4736") == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(Middleware.sane("a") == "a")
        #expect(Middleware.sane("~!#$%&'*+-.^_`|") == "~!#$%&'*+-.^_`|")
        for hostile in [
            nil, "", " ", "a b", "a\r\nSet-Cookie: x=1", "a\u{7F}", "é", String(repeating: "x", count: 129),
        ] {
            #expect(Middleware.sane(hostile) == nil, "\(String(describing: hostile))")
        }
    }
}
