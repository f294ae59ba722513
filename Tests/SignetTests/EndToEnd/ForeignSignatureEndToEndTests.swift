import Common
import Foundation
import Signing
import TestSupport
import Testing

/// The gateway checks every signed result before it stores it: an authorized signer that signs
/// with another key never gets its signatures served.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ForeignSignatureEndToEndTests {
    @Test func resultsSignedWithAnotherKeyAreRejectedNeverServed() async throws {
        let gateway = try GatewayProcess(localSigners: 0)
        try await gateway.waitUntilLive()
        var signers: [ServiceProcess] = []
        do {
            // An authorized signer (its CURVE key is in signer-keys) with a signing key of its own.
            let (key, certificate) = try DevelopmentIdentity.generate(commonName: "Someone else")
            try PrivateFiles.writeNew(gateway.workspace.path("foreign-key.pem"), Array(key.utf8))
            try certificate.write(to: gateway.workspace.url("foreign-cert.pem"), atomically: true, encoding: .utf8)
            let foreign = try await gateway.externalSigner(
                name: "foreign", slots: 2, signingKey: gateway.workspace.url("foreign-key.pem"),
                signingCertificate: gateway.workspace.url("foreign-cert.pem"))
            signers.append(foreign)
            try await gateway.waitUntilReady(signers: 1)

            // Alone, it gets each document twice (no other signer), and both are rejected.
            let alone = Requests.mixedDocuments(count: 4, seed: 31)
            let first = try await gateway.request(
                .POST, "/v1/operations", body: try Requests.operation(reference: nil, documents: alone))
            let firstID = try #require(first.json.operationID)
            let rejected = try await gateway.waitForCompletion(firstID)
            #expect(rejected["status"] as? String == "EXECUTION_FAILED")
            for entry in rejected["documentList"] as? [[String: Any]] ?? [] {
                #expect(entry["signError"] as? String == "SIGNATURE_REJECTED", "\(entry)")
            }
            let raw = try await gateway.request(.GET, "/v1/operations/\(firstID)/documents/0")
            #expect(raw.status == 409)
            // PAdES: the signer sends only what it appends (RESULT.appended), checked against the
            // spool file, and rejected just the same.
            var pdf = Requests.Document(
                name: "invoice.pdf", contentType: "application/pdf", content: Data(SamplePDF.page(showing: "Foreign")))
            pdf.signatureType = "PAdES"
            let padesStarted = try await gateway.request(
                .POST, "/v1/operations", body: try Requests.operation(reference: nil, documents: [pdf]))
            let padesRejected = try await gateway.waitForCompletion(try #require(padesStarted.json.operationID))
            let padesEntry = (padesRejected["documentList"] as? [[String: Any]])?.first
            #expect(padesEntry?["signError"] as? String == "SIGNATURE_REJECTED", "\(padesRejected)")

            // Beside an honest signer: every document ends signed by the configured identity.
            let honest = try await gateway.externalSigner(name: "honest", slots: 2)
            signers.append(honest)
            try await gateway.waitUntilReady(signers: 2)
            let documents = Requests.mixedDocuments(count: 40, seed: 32)
            let second = try await gateway.request(
                .POST, "/v1/operations", body: try Requests.operation(reference: nil, documents: documents))
            let secondID = try #require(second.json.operationID)
            #expect(try await gateway.waitForCompletion(secondID)["status"] as? String == "EXECUTED")
            let result = try await gateway.request(.GET, "/v1/operations/\(secondID)/result")
            let list = try #require(result.json["documentList"] as? [[String: Any]])
            try #require(list.count == documents.count)
            for (entry, document) in zip(list, documents) {
                if entry["signStatus"] as? String == "SIGNED" {
                    let signature = try #require(Data(base64Encoded: entry["signedContent"] as? String ?? ""))
                    let verified = try await Tools.opensslVerifyDetached(
                        signature: signature, content: document.content, trusting: gateway.developmentCertificate)
                    #expect(verified.status == 0, "\(document.name) served with a foreign signature")
                } else {
                    #expect(entry["signError"] as? String == "SIGNATURE_REJECTED", "\(entry)")
                }
            }
            // The foreign signer did get work, and its documents were signed again elsewhere.
            #expect(list.contains { ($0["attempts"] as? Int ?? 0) > 1 }, "the foreign signer got no document")
            #expect(gateway.log().contains("signed result rejected"))
            for signer in signers {
                #expect(try await signer.stop(timeout: .seconds(20)).isCleanExit)
                try signer.checkLogIsClean()
            }
        } catch {
            Issue.record("\(error)\n\(tail(gateway.log()))")
        }
        for signer in signers where signer.isRunning { kill(signer.pid, SIGKILL) }
        try await gateway.stop()
    }
}
