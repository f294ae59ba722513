import CSC
import CSCSimulator
import Crypto
import Foundation
import Testing
import X509
import _CryptoExtras

/// CSCClient against the simulator started in process on loopback.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ClientTests {
    @Test func aTokenIsAskedForOnceThenReusedAndRenewedOnceOnA401() async throws {
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration) { simulator, url in
            try await SimulatorHarness.withClient(url, id: "alice", secret: "alice-secret") { client in
                #expect(
                    try await client.listCredentials().sorted() == [
                        "alice-ec", "alice-ec-raw", "alice-old", "alice-rsa",
                    ])
                _ = try await client.credential("alice-rsa")
                _ = try await client.listCredentials()
                #expect(await simulator.tokensIssued() == 1)
                #expect(await client.tokenRequests == 1)

                // The service forgets the token: the next call gets a 401, renews once and succeeds.
                await simulator.revokeTokens()
                _ = try await client.listCredentials()
                #expect(await simulator.tokensIssued() == 2)
                #expect(await client.tokenRequests == 2)

                let calls = await simulator.calls()
                // info once; tokens from the OAuth 2.0 server info names, not the fallback.
                #expect(calls["/csc/v2/info"] == 1)
                #expect(calls["/oauth2/token"] == 2)
                #expect(calls["/csc/v2/oauth2/token"] == nil)
                #expect(calls["/csc/v2/credentials/list"] == 4)
            }
        }
    }

    @Test func concurrentCallsShareOneTokenRequest() async throws {
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration) { simulator, url in
            try await SimulatorHarness.withClient(url, id: "bob", secret: "bob-secret") { client in
                try await withThrowingTaskGroup(of: [String].self) { group in
                    for _ in 0..<8 { group.addTask { try await client.listCredentials() } }
                    for try await ids in group { #expect(ids == ["bob-ec"]) }
                }
                #expect(await simulator.tokensIssued() == 1)
            }
        }
    }

    @Test func aTokenIsRenewedShortlyBeforeItExpires() async throws {
        var options = SimulatorOptions()
        options.tokenLifetime = 2
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration, options: options) { simulator, url in
            try await SimulatorHarness.withClient(url, id: "bob", secret: "bob-secret") { client in
                _ = try await client.listCredentials()
                try await Task.sleep(for: .milliseconds(1900))
                _ = try await client.listCredentials()
                #expect(await simulator.tokensIssued() == 2)
                // Renewed ahead of expiry: no call was refused.
                #expect(await simulator.calls()["/csc/v2/credentials/list"] == 2)
            }
        }
    }

    @Test func credentialInfoGivesTheChainAsDERAndTheCredentialsTerms() async throws {
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration) { simulator, url in
            try await SimulatorHarness.withClient(url, id: "alice", secret: "alice-secret") { client in
                let rsa = try await client.credential("alice-rsa")
                #expect(rsa.chain.count == 2)
                #expect(rsa.chain == simulator.chain(of: "alice-rsa"))
                #expect(rsa.multisign == 5)
                #expect(rsa.authorizationMode == .implicit)
                #expect(rsa.keyAlgorithms.contains(CSCSignatureAlgorithm.rsaPKCS1SHA256.oid))
                #expect(rsa.signatureAlgorithm() == .rsaPKCS1SHA256)
                #expect(rsa.signatureAlgorithm(preferPSS: true) == .rsaPSSSHA256)
                // The chain ends at the simulator's CA.
                let ca = try Certificate(pemEncoded: simulator.caPEM)
                #expect(try Certificate(derEncoded: rsa.chain[1]) == ca)
                #expect(try rsa.certificate.issuer == ca.subject)

                let ec = try await client.credential("alice-ec")
                #expect(ec.authorizationMode == .explicit)
                #expect(ec.multisign == 3)
                #expect(ec.signatureAlgorithm() == .ecdsaSHA256)
            }
        }
    }

    @Test func aBatchUpToMultisignIsSignedAndALargerOneIsRefused() async throws {
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration) { simulator, url in
            try await SimulatorHarness.withClient(url, id: "alice", secret: "alice-secret") { client in
                let five = digests(5)
                let signatures = try await client.signHash(five, credentialID: "alice-rsa", algorithm: .rsaPKCS1SHA256)
                #expect(signatures.count == 5)

                await #expect(throws: CSCError.self) {
                    _ = try await client.signHash(digests(6), credentialID: "alice-rsa", algorithm: .rsaPKCS1SHA256)
                }
                do {
                    _ = try await client.signHash(digests(6), credentialID: "alice-rsa", algorithm: .rsaPKCS1SHA256)
                } catch let error as CSCError {
                    guard case .protocolError(let message) = error else {
                        Issue.record("expected a protocol error, got \(error)")
                        return
                    }
                    #expect(message.contains("HTTP 400"), "\(message)")
                    #expect(message.contains("at most 5"), "\(message)")
                }

                // sign() cuts 12 hashes into batches of 5, 5 and 2.
                let before = await simulator.calls()["/csc/v2/signatures/signHash"] ?? 0
                let credential = try await client.credential("alice-rsa")
                let twelve = try await client.sign(digests(12), with: credential, algorithm: .rsaPKCS1SHA256)
                #expect(twelve.count == 12)
                #expect(await simulator.calls()["/csc/v2/signatures/signHash"] == before + 3)
                let key = try #require(_RSA.Signing.PublicKey(try credential.certificate.publicKey))
                for (digest, signature) in zip(digests(12), twelve) {
                    #expect(
                        key.isValidSignature(
                            _RSA.Signing.RSASignature(rawRepresentation: signature), for: digest,
                            padding: .insecurePKCS1v1_5))
                }
            }
        }
    }

    @Test func anExplicitCredentialSignsOnlyWhatItsSADCovers() async throws {
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration) { simulator, url in
            try await SimulatorHarness.withClient(url, id: "alice", secret: "alice-secret") { client in
                let hashes = digests(3)
                // No SAD: refused.
                await #expect(throws: CSCError.self) {
                    _ = try await client.signHash(hashes, credentialID: "alice-ec", algorithm: .ecdsaSHA256)
                }
                // A SAD for other hashes: refused.
                let other = try await client.authorize(credentialID: "alice-ec", hashes: digests(3, salt: "other"))
                await #expect(throws: CSCError.self) {
                    _ = try await client.signHash(hashes, credentialID: "alice-ec", algorithm: .ecdsaSHA256, sad: other)
                }
                // A SAD for these hashes: signed, once.
                let sad = try await client.authorize(credentialID: "alice-ec", hashes: hashes)
                #expect("\(sad)" == "SignatureActivationData(<redacted>)")
                let signatures = try await client.signHash(
                    hashes, credentialID: "alice-ec", algorithm: .ecdsaSHA256, sad: sad)
                #expect(signatures.count == 3)
                await #expect(throws: CSCError.self) {
                    _ = try await client.signHash(hashes, credentialID: "alice-ec", algorithm: .ecdsaSHA256, sad: sad)
                }

                // sign() authorizes each batch (3 per call) itself.
                let credential = try await client.credential("alice-ec")
                let before = await simulator.calls()["/csc/v2/credentials/authorize"] ?? 0
                let seven = try await client.sign(digests(7), with: credential, algorithm: .ecdsaSHA256)
                #expect(seven.count == 7)
                #expect(await simulator.calls()["/csc/v2/credentials/authorize"] == before + 3)
                let key = try #require(P256.Signing.PublicKey(try credential.certificate.publicKey))
                for (digest, signature) in zip(digests(7), seven) {
                    #expect(
                        key.isValidSignature(try P256.Signing.ECDSASignature(derRepresentation: signature), for: digest)
                    )
                }
            }
        }
    }

    @Test(arguments: [
        ("alice-rsa", CSCSignatureAlgorithm.rsaPKCS1SHA256), ("alice-rsa", .rsaPSSSHA256), ("alice-ec", .ecdsaSHA256),
        ("alice-ec-raw", .ecdsaSHA256),
    ])
    func signaturesVerifyWithTheCertificatesKey(credentialID: String, algorithm: CSCSignatureAlgorithm) async throws {
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration) { _, url in
            try await SimulatorHarness.withClient(url, id: "alice", secret: "alice-secret") { client in
                let credential = try await client.credential(credentialID)
                let hashes = digests(3, salt: credentialID)
                let signatures = try await client.sign(hashes, with: credential, algorithm: algorithm)
                #expect(signatures.count == hashes.count)
                let publicKey = try credential.certificate.publicKey
                for (digest, signature) in zip(hashes, signatures) {
                    switch algorithm {
                    case .rsaPKCS1SHA256, .rsaPSSSHA256:
                        let key = try #require(_RSA.Signing.PublicKey(publicKey))
                        let padding: _RSA.Signing.Padding = algorithm == .rsaPSSSHA256 ? .PSS : .insecurePKCS1v1_5
                        #expect(
                            key.isValidSignature(.init(rawRepresentation: signature), for: digest, padding: padding))
                        // The other padding does not verify: the service used the one asked for.
                        let otherPadding: _RSA.Signing.Padding = algorithm == .rsaPSSSHA256 ? .insecurePKCS1v1_5 : .PSS
                        #expect(
                            !key.isValidSignature(
                                .init(rawRepresentation: signature), for: digest, padding: otherPadding))
                    case .ecdsaSHA256:
                        // DER whatever form the service answered in (the raw one is converted).
                        let key = try #require(P256.Signing.PublicKey(publicKey))
                        #expect(signature.first == 0x30)
                        #expect(key.isValidSignature(try .init(derRepresentation: signature), for: digest))
                    }
                }
            }
        }
    }
}
