import CSC
import CSCSimulator
import Foundation
import SwiftASN1
import TestSupport
import Testing

/// The signatures the client returns, checked by openssl against the certificate from
/// credentials/info: a verifier nobody here wrote.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct OpenSSLCheckTests {
    @Test func opensslVerifiesEachAlgorithmsSignatures() async throws {
        let workspace = try Workspace("csc-openssl")
        let cases: [(String, CSCSignatureAlgorithm, [String])] = [
            ("alice-rsa", .rsaPKCS1SHA256, ["-pkeyopt", "digest:sha256"]),
            (
                "alice-rsa", .rsaPSSSHA256,
                ["-pkeyopt", "digest:sha256", "-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:32"]
            ),
            ("alice-ec", .ecdsaSHA256, []),
            ("alice-ec-raw", .ecdsaSHA256, []),
        ]
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration) { _, url in
            try await SimulatorHarness.withClient(url, id: "alice", secret: "alice-secret") { client in
                for (index, (credentialID, algorithm, options)) in cases.enumerated() {
                    let credential = try await client.credential(credentialID)
                    let digest = digests(1, salt: "openssl \(index)")[0]
                    let signature = try #require(
                        try await client.sign([digest], with: credential, algorithm: algorithm).first)
                    let certificate = workspace.path("cert-\(index).pem")
                    try workspace.write(
                        "cert-\(index).pem",
                        text: PEMDocument(type: "CERTIFICATE", derBytes: credential.chain[0]).pemString + "\n")
                    try workspace.write("digest-\(index).bin", Array(digest))
                    try workspace.write("signature-\(index).bin", signature)
                    let result = try await Shell.run(
                        "openssl",
                        [
                            "pkeyutl", "-verify", "-certin", "-inkey", certificate, "-in",
                            workspace.path("digest-\(index).bin"), "-sigfile", workspace.path("signature-\(index).bin"),
                        ] + options)
                    #expect(
                        result.status == 0, "\(credentialID) \(algorithm): \(result.stdout)\(result.stderr)")
                }
            }
        }
    }
}
