import AsyncHTTPClient
import CSC
import CSCSimulator
import Foundation
import NIOCore
import Testing

/// The simulator's own HTTP surface, as other clients and compose stacks use it.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SimulatorHTTPTests {
    static func post(_ url: String, body: String = "", headers: [(String, String)] = []) async throws -> (
        status: Int, body: String, retryAfter: String?
    ) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let answer = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: answer), response.headers.first(name: "Retry-After"))
    }

    @Test func theTokenEndpointTakesTheClientInTheFormOrAsHTTPBasic() async throws {
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration) { _, url in
            let form = [("Content-Type", "application/x-www-form-urlencoded")]
            let inForm = try await Self.post(
                "\(url)/oauth2/token", body: "grant_type=client_credentials&client_id=bob&client_secret=bob-secret",
                headers: form)
            #expect(inForm.status == 200)
            #expect(inForm.body.contains(#""token_type":"Bearer""#))

            let basic = "Basic " + Data("bob:bob-secret".utf8).base64EncodedString()
            let inBasic = try await Self.post(
                "\(url)/csc/v2/oauth2/token", body: "grant_type=client_credentials",
                headers: form + [("Authorization", basic)])
            #expect(inBasic.status == 200)

            let wrongBasic = "Basic " + Data("bob:nope".utf8).base64EncodedString()
            let refused = try await Self.post(
                "\(url)/oauth2/token", body: "grant_type=client_credentials",
                headers: form + [("Authorization", wrongBasic)])
            #expect(refused.status == 401)
            #expect(refused.body.contains("invalid_client"))

            let password = try await Self.post(
                "\(url)/oauth2/token", body: "grant_type=password&client_id=bob&client_secret=bob-secret",
                headers: form)
            #expect(password.status == 400)
            #expect(password.body.contains("unsupported_grant_type"))
        }
    }

    @Test func theAdminEndpointTakesTheServiceDownAndUp() async throws {
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration) { _, url in
            #expect(try await Self.post("\(url)/csc/v2/info", body: "{}").status == 200)
            #expect(try await Self.post("\(url)/admin/down?seconds=20").status == 200)
            let down = try await Self.post("\(url)/csc/v2/info", body: "{}")
            #expect(down.status == 503)
            #expect(down.retryAfter == "20" || down.retryAfter == "19", "\(down.retryAfter ?? "none")")
            #expect(try await Self.post("\(url)/admin/up").status == 200)
            #expect(try await Self.post("\(url)/csc/v2/info", body: "{}").status == 200)
        }
    }

    @Test func everySignHashFailsAtFailRateOneAndLatencyIsAdded() async throws {
        var options = SimulatorOptions()
        options.failRate = 1
        options.latency = .milliseconds(300)
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration, options: options) { _, url in
            try await SimulatorHarness.withClient(url, id: "bob", secret: "bob-secret") { client in
                for _ in 0..<3 {
                    do {
                        _ = try await client.signHash(digests(1), credentialID: "bob-ec", algorithm: .ecdsaSHA256)
                        Issue.record("signed at fail rate 1")
                    } catch let error as CSCError {
                        #expect(error.isTransient)
                        #expect(error.retryAfter == .seconds(1))
                    }
                }
            }
        }
        options.failRate = 0
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration, options: options) { _, url in
            try await SimulatorHarness.withClient(url, id: "bob", secret: "bob-secret") { client in
                _ = try await client.listCredentials()
                let started = ContinuousClock.now
                _ = try await client.signHash(digests(1), credentialID: "bob-ec", algorithm: .ecdsaSHA256)
                #expect(ContinuousClock.now - started >= .milliseconds(300))
            }
        }
    }
}
