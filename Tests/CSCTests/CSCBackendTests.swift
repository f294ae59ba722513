import CSC
import CSCSimulator
import Crypto
import Foundation
import Testing
import X509

@testable import Signing

/// The signer's CSC backend against the simulator in process: identities per client service,
/// Sign'Stash codes for what waiting cannot fix, retries and the circuit breaker for what it can.
@Suite(.timeLimit(.minutes(2)))
struct CSCBackendTests {
    static func backend(
        _ url: String, accounts: [String: RemoteAccount], _ adjust: (inout CSCBackend.Configuration) -> Void = { _ in }
    ) throws -> CSCBackend {
        var configuration = CSCBackend.Configuration()
        adjust(&configuration)
        let service = try CSCService(
            configuration: .init(baseURL: url, requestTimeout: .seconds(20)), logger: SimulatorHarness.logger)
        return CSCBackend(
            service: service, accounts: accounts, configuration: configuration, logger: SimulatorHarness.logger)
    }

    @Test func eachClientSignsWithItsOwnCredentialAndTheSignaturesVerify() async throws {
        try await SimulatorHarness.withSimulator(try SimulatorHarness.configuration) { _, url in
            let backend = try Self.backend(
                url,
                accounts: [
                    "erp": .init(clientID: "alice", clientSecret: "alice-secret", credentialID: "alice-ec-raw"),
                    "billing": .init(clientID: "bob", clientSecret: "bob-secret"),
                ])
            let erp = try await backend.identity(for: "erp")
            let billing = try await backend.identity(for: "billing")
            #expect(erp.chain != billing.chain)
            #expect(erp.algorithm == .ecdsaSHA256 && erp.chain.count == 2)
            #expect(await backend.maxBatch(for: "erp") == 10)
            let hashes = digests(7)
            let signatures = try await backend.sign(hashes, for: "erp")
            // Raw r||s answers come back as DER, and verify with the credential's key.
            let key = try #require(P256.Signing.PublicKey(try Certificate(derEncoded: erp.chain[0].der).publicKey))
            for (hash, signature) in zip(hashes, signatures) {
                #expect(key.isValidSignature(try P256.Signing.ECDSASignature(derRepresentation: signature), for: hash))
            }
            try await backend.service.shutdown()
        }
    }

    @Test func permanentFailuresGetSignStashCodesAtOnce() async throws {
        try await SimulatorHarness.withSimulator(try SimulatorHarness.configuration) { _, url in
            let backend = try Self.backend(
                url,
                accounts: [
                    "wrong-secret": .init(clientID: "alice", clientSecret: "nope"),
                    "foreign": .init(clientID: "alice", clientSecret: "alice-secret", credentialID: "bob-ec"),
                    "expired": .init(clientID: "alice", clientSecret: "alice-secret", credentialID: "alice-old"),
                ])
            let cases = [
                ("wrong-secret", "INVALID_CERT_SERVICE_CREDS"), ("foreign", "INVALID_CERT_ACCESS_ACCOUNT"),
                ("expired", "INVALID_CERTIFICATE_SIGN_ERROR"), ("unknown", "INVALID_CERT_SERVICE_CREDS"),
            ]
            for (client, code) in cases {
                let started = ContinuousClock.now
                do {
                    _ = try await backend.sign(digests(1), for: client)
                    Issue.record("\(client) signed")
                } catch let error as SigningError {
                    #expect(error.code == code, "\(client): \(error)")
                    #expect(error.retryAfter == nil)
                }
                #expect(started.duration(to: .now) < .seconds(5), "\(client) was retried")
            }
            try await backend.service.shutdown()
        }
    }

    /// Every signHash answers 503: the backend retries within its budget, the circuit opens
    /// after the threshold, and the batch fails as retryable (the gateway keeps the documents).
    @Test func anUnavailableServiceIsRetriedThenReportedAsRetryable() async throws {
        var options = SimulatorOptions()
        options.failRate = 1.0
        try await SimulatorHarness.withSimulator(try SimulatorHarness.configuration, options: options) { _, url in
            let backend = try Self.backend(
                url, accounts: ["erp": .init(clientID: "bob", clientSecret: "bob-secret")]
            ) {
                $0.retryBudget = .seconds(3)
                $0.backoffBase = .milliseconds(10)
                $0.backoffCap = .milliseconds(50)
                $0.breakerThreshold = 3
                $0.breakerCooldown = .seconds(10)
            }
            do {
                _ = try await backend.sign(digests(2), for: "erp")
                Issue.record("signed while every call fails")
            } catch let error as SigningError {
                #expect(error.code == "CERT_SERVICE_UNAVAILABLE")
                #expect(error.retryAfter != nil)
            }
            guard case .open = await backend.circuit else {
                Issue.record("the circuit did not open")
                return
            }
            // While open, a batch fails at once without calling the service.
            let started = ContinuousClock.now
            await #expect(throws: SigningError.self) { _ = try await backend.sign(digests(1), for: "erp") }
            #expect(started.duration(to: .now) < .seconds(1))
            try await backend.service.shutdown()
        }
    }

    @Test func theBreakerOpensAfterTheThresholdAndClosesOnSuccess() {
        var breaker = CircuitBreaker(threshold: 3, cooldown: .seconds(5))
        let now = ContinuousClock.now
        let first = breaker.failed(at: now)
        let second = breaker.failed(at: now)
        #expect(!first && !second)
        #expect(breaker.state(at: now) == .closed)
        let third = breaker.failed(at: now)
        #expect(third)
        #expect(breaker.state(at: now) == .open(retryAfter: .seconds(5)))
        #expect(breaker.remaining(at: now.advanced(by: .seconds(6))) == nil, "one call may try after the cooldown")
        let again = breaker.failed(at: now.advanced(by: .seconds(6)))
        #expect(again, "and one more failure opens it again")
        breaker.succeeded()
        #expect(breaker.state(at: now.advanced(by: .seconds(6))) == .closed)
    }

    @Test func accountsComeFromTheClientServicesFile() throws {
        let accounts = try RemoteAccount.parse(
            Data(
                #"{"erp": {"secret": "s1"}, "billing": {"secret": "s2", "remote": {"clientId": "c", "clientSecret": "x", "credentialID": "k"}}}"#
                    .utf8), path: "test.json")
        #expect(accounts["erp"] == .init(clientID: "erp", clientSecret: "s1"))
        #expect(accounts["billing"] == .init(clientID: "c", clientSecret: "x", credentialID: "k"))
        #expect(throws: SigningError.self) {
            try RemoteAccount.parse(Data(#"{"a": {"secret": "s", "remote": {"clientId": "c"}}}"#.utf8), path: "t")
        }
    }
}
