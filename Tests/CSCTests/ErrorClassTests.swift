import CSC
import CSCSimulator
import Foundation
import TestSupport
import Testing

/// Each failure the caller must tell apart, from the real service double.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ErrorClassTests {
    @Test func aWrongSecretIsAnInvalidClient() async throws {
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration) { _, url in
            try await SimulatorHarness.withClient(url, id: "alice", secret: "not-alices-secret") { client in
                do {
                    _ = try await client.listCredentials()
                    Issue.record("a wrong secret was accepted")
                } catch let error as CSCError {
                    guard case .invalidClient(let message) = error else {
                        Issue.record("expected invalidClient, got \(error)")
                        return
                    }
                    #expect(error.code == "CSC_INVALID_CLIENT")
                    #expect(message.contains("invalid_client"), "\(message)")
                    #expect(!message.contains("not-alices-secret"))
                    #expect(!error.isTransient)
                }
            }
            // An unknown client too.
            try await SimulatorHarness.withClient(url, id: "mallory", secret: "whatever") { client in
                do {
                    _ = try await client.listCredentials()
                    Issue.record("an unknown client was accepted")
                } catch let error as CSCError {
                    #expect(error.code == "CSC_INVALID_CLIENT", "\(error)")
                }
            }
        }
    }

    @Test func anotherClientsOrAnUnknownCredentialIsNotAllowed() async throws {
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration) { _, url in
            try await SimulatorHarness.withClient(url, id: "alice", secret: "alice-secret") { client in
                for credentialID in ["bob-ec", "nobodys"] {
                    await Self.expectNotAllowed(credentialID) { _ = try await client.credential(credentialID) }
                    await Self.expectNotAllowed(credentialID) {
                        _ = try await client.signHash(digests(1), credentialID: credentialID, algorithm: .ecdsaSHA256)
                    }
                }
            }
        }
    }

    static func expectNotAllowed(_ credentialID: String, _ call: () async throws -> Void) async {
        do {
            try await call()
            Issue.record("\(credentialID) was usable by alice")
        } catch let error as CSCError {
            #expect(error.code == "CSC_CREDENTIAL_NOT_ALLOWED", "\(error)")
        } catch {
            Issue.record("not a CSCError: \(error)")
        }
    }

    @Test func anExpiredCertificateIsUnusable() async throws {
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration) { _, url in
            try await SimulatorHarness.withClient(url, id: "alice", secret: "alice-secret") { client in
                do {
                    _ = try await client.credential("alice-old")
                    Issue.record("an expired credential was described as usable")
                } catch let error as CSCError {
                    guard case .certificateUnusable(let message) = error else {
                        Issue.record("expected certificateUnusable, got \(error)")
                        return
                    }
                    #expect(message.contains("expired"), "\(message)")
                }
                // And signHash, asked directly, says so too.
                do {
                    _ = try await client.signHash(digests(1), credentialID: "alice-old", algorithm: .ecdsaSHA256)
                    Issue.record("an expired credential signed")
                } catch let error as CSCError {
                    guard case .certificateUnusable = error else {
                        Issue.record("expected certificateUnusable, got \(error)")
                        return
                    }
                }
            }
        }
    }

    @Test func aServiceThatIsDownIsTransientWithItsRetryAfter() async throws {
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration) { simulator, url in
            try await SimulatorHarness.withClient(url, id: "bob", secret: "bob-secret") { client in
                _ = try await client.listCredentials()
                await simulator.takeDown(for: .seconds(20))
                do {
                    _ = try await client.signHash(digests(1), credentialID: "bob-ec", algorithm: .ecdsaSHA256)
                    Issue.record("a service that is down signed")
                } catch let error as CSCError {
                    #expect(error.isTransient)
                    #expect(error.code == "CSC_UNAVAILABLE")
                    let retryAfter = try #require(error.retryAfter)
                    #expect(retryAfter >= .seconds(19) && retryAfter <= .seconds(20), "\(retryAfter)")
                }
            }
        }
    }

    @Test func injectedFailuresAreTransientAndTheNextCallSucceeds() async throws {
        var options = SimulatorOptions()
        options.failFirst = 2
        options.failStatus = 429
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration, options: options) { _, url in
            try await SimulatorHarness.withClient(url, id: "bob", secret: "bob-secret") { client in
                for _ in 0..<2 {
                    do {
                        _ = try await client.signHash(digests(1), credentialID: "bob-ec", algorithm: .ecdsaSHA256)
                        Issue.record("an injected failure signed")
                    } catch let error as CSCError {
                        #expect(error == .transient(error.message, retryAfter: .seconds(1)))
                        #expect(error.message.contains("HTTP 429"), "\(error)")
                    }
                }
                #expect(
                    try await client.signHash(digests(1), credentialID: "bob-ec", algorithm: .ecdsaSHA256).count == 1)
            }
        }
    }

    @Test func anUnreachableServiceIsTransient() async throws {
        // A port nothing listens on: bind one, note it, close it.
        let port = try freeLoopbackPort()
        let configuration = CSCService.Configuration(baseURL: "http://127.0.0.1:\(port)", connectTimeout: .seconds(1))
        try await SimulatorHarness.withService(configuration) { service in
            let client = CSCClient(
                service: service, clientID: "bob", clientSecret: "bob-secret", logger: SimulatorHarness.logger)
            do {
                _ = try await client.listCredentials()
                Issue.record("a closed port answered")
            } catch let error as CSCError {
                #expect(error.isTransient, "\(error)")
            }
        }
    }
}
