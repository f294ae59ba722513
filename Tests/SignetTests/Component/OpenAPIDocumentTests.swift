import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Gateway

/// The published contract and the router agree: every path and method the gateway serves is in
/// `/openapi.yaml` and nothing else is; other methods on a known path answer 405 with `Allow`.
@Suite(.timeLimit(.minutes(2)))
struct OpenAPIDocumentTests {
    /// `(path, method)` pairs of the document, read from its `paths:` section.
    static func documented(_ yaml: String) -> Set<String> {
        var pairs: Set<String> = []
        var path: String?
        var inPaths = false
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
            } else if inPaths, let first = line.first, first != " " {
                break
            } else if inPaths, let match = line.firstMatch(of: /^  (\/[^:]*):$/) {
                path = String(match.1)
            } else if inPaths, let path, let match = line.firstMatch(of: /^    (get|post|put|patch|delete):$/) {
                pairs.insert("\(match.1.uppercased()) \(path)")
            }
        }
        return pairs
    }

    /// A path with its parameters unnamed and no trailing slash (the router takes it either way).
    static func shape(_ pair: String) -> String {
        var shaped = pair.replacing(/\{[^}]*\}/, with: "{}")
        if shaped.hasSuffix("/") { shaped.removeLast() }
        return shaped
    }

    @Test func theDocumentDescribesExactlyTheRoutesServed() async throws {
        let (built, _, _) = try await GatewayAPITests.gateway()
        let served = Set(built.routes.flatMap { route in route.methods.map { Self.shape("\($0) \(route.path)") } })
        let documented = Set(Self.documented(OpenAPIDocument.yaml).map(Self.shape))
        #expect(served.count >= 20)
        #expect(served.subtracting(documented).isEmpty, "served, not documented: \(served.subtracting(documented))")
        #expect(documented.subtracting(served).isEmpty, "documented, not served: \(documented.subtracting(served))")
    }

    @Test func theDocumentAndItsPageAreServedWithoutCredentials() async throws {
        let (built, _, _) = try await GatewayAPITests.gateway()
        try await built.application.test(.router) { client in
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/yaml; charset=utf-8")
                #expect(String(buffer: response.body) == OpenAPIDocument.yaml)
                #expect(OpenAPIDocument.yaml.hasPrefix("openapi: 3.1.0\n"))
            }
            try await client.execute(uri: "/swagger-ui.html", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#"href="/openapi.yaml""#))
            }
        }
    }

    @Test func anotherMethodOnAKnownPathIs405WithAllow() async throws {
        let (built, _, _) = try await GatewayAPITests.gateway()
        try await built.application.test(.router) { client in
            for (method, uri, allow) in [
                (HTTPRequest.Method.put, "/v1/operations/123", "GET, DELETE"),
                (.patch, "/v1/operations", "POST, GET"),
                (HTTPRequest.Method("QUERY")!, "/v1/instance", "GET"),
                (.get, "/signstash/einvoice-integration-client-ws/api/v0/document/sign/base64/", "POST"),
                (.delete, "/signstash/einvoice-integration-client-ws/api/v0/operation/status/7", "GET"),
            ] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                    #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                    #expect(String(buffer: response.body).contains(#""errorCode":"METHOD_NOT_ALLOWED""#))
                }
            }
            // An unknown path stays a 404, whatever the method.
            for method in [HTTPRequest.Method.get, .put] {
                try await client.execute(uri: "/v1/nothing-here", method: method) { response in
                    #expect(response.status == .notFound)
                }
            }
            // The document number is checked before the operation is looked up.
            try await client.execute(
                uri: "/v1/operations/1/documents/-1", method: .get, headers: GatewayAPITests.headers()
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains(#""errorCode":"INVALID_PARAMETER""#))
            }
        }
    }
}
