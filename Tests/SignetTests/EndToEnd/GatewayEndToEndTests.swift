import Foundation
import Testing

/// The real `signet-gateway` with real signer processes, over loopback HTTP and ZeroMQ.
@Suite(.serialized)
struct GatewayEndToEndTests {
    @Test func twoClientsSignMixedBatchesVerifiedByOpenSSL() async throws {
        let gateway = try GatewayProcess(localSigners: 2)
        try await gateway.waitUntilReady(signers: 2)
        do {
            let aliceDocuments = Requests.mixedDocuments(count: 20, seed: 1)
            let bobDocuments = Requests.mixedDocuments(count: 5, seed: 2)
            let alice = try await gateway.request(
                .POST, "/v1/operations", user: "alice",
                body: try Requests.operation(reference: "alice-batch", documents: aliceDocuments))
            let bob = try await gateway.request(
                .POST, "/v1/operations", user: "bob",
                body: try Requests.operation(reference: "bob-batch", documents: bobDocuments))
            #expect(alice.status == 202)
            #expect(bob.status == 202)
            let aliceID = try #require(alice.json["id"] as? String)
            let bobID = try #require(bob.json["id"] as? String)
            #expect(alice.json["host"] as? String == "127.0.0.1")
            #expect(alice.json["port"] as? Int == gateway.port)
            #expect(
                alice.headers.first(name: "Location") == "http://127.0.0.1:\(gateway.port)/v1/operations/\(aliceID)")
            #expect(alice.headers.first(name: "Retry-After") != nil)

            for (user, id, documents) in [("alice", aliceID, aliceDocuments), ("bob", bobID, bobDocuments)] {
                let status = try await gateway.waitForCompletion(id, user: user)
                #expect(status["status"] as? String == "EXECUTED")
                let result = try await gateway.request(.GET, "/v1/operations/\(id)/result", user: user)
                #expect(result.status == 200)
                let list = try #require(result.json["documentList"] as? [[String: Any]])
                #expect(list.count == documents.count)
                for (entry, document) in zip(list, documents) {
                    #expect(entry["signStatus"] as? String == "SIGNED")
                    #expect(entry["name"] as? String == document.name)
                    let signature = try #require(Data(base64Encoded: entry["signedContent"] as? String ?? ""))
                    let verified = try Tools.opensslVerifyDetached(
                        signature: signature, content: document.content,
                        trusting: gateway.developmentCertificate)
                    #expect(verified.status == 0, "\(document.name): \(verified.stderr)")
                }
                // One document as raw bytes.
                let raw = try await gateway.request(.GET, "/v1/operations/\(id)/documents/0", user: user)
                #expect(raw.status == 200)
                #expect(raw.headers.first(name: "Content-Type") == "application/pkcs7-signature")
                #expect(
                    try Tools.opensslVerifyDetached(
                        signature: raw.body, content: documents[0].content,
                        trusting: gateway.developmentCertificate
                    ).status == 0)
            }

            // Each client sees only its own operations: another's id answers like an unknown one.
            let crossed = try await gateway.request(.GET, "/v1/operations/\(bobID)", user: "alice")
            let unknown = try await gateway.request(.GET, "/v1/operations/\(bobID.dropLast(4))beef", user: "alice")
            #expect(crossed.status == 404)
            #expect(crossed.body == unknown.body)
            #expect(try await gateway.request(.GET, "/v1/operations/\(aliceID)/result", user: "bob").status == 404)
            #expect(try await gateway.request(.GET, "/v1/operations/\(aliceID)/documents/0", user: "bob").status == 404)

            // Lookup by externalReference, scoped to the client.
            let found = try await gateway.request(.GET, "/v1/operations?externalReference=alice-batch", user: "alice")
            let foundList = try JSONSerialization.jsonObject(with: found.body) as? [[String: Any]]
            #expect(foundList?.map { $0["id"] as? String } == [aliceID])
            let notFound = try await gateway.request(.GET, "/v1/operations?externalReference=alice-batch", user: "bob")
            #expect((try JSONSerialization.jsonObject(with: notFound.body) as? [Any])?.isEmpty == true)
        } catch {
            Issue.record("\(error)\n\(gateway.log())")
        }
        try await gateway.stop()
    }

    @Test func idempotencyConflictsAndBadRequests() async throws {
        let gateway = try GatewayProcess(localSigners: 1)
        try await gateway.waitUntilReady()
        do {
            let documents = Requests.mixedDocuments(count: 3)
            let body = try Requests.operation(reference: "ref-1", documents: documents)
            let first = try await gateway.request(.POST, "/v1/operations", body: body)
            let again = try await gateway.request(.POST, "/v1/operations", body: body)
            #expect(first.status == 202)
            #expect(again.json["id"] as? String == first.json["id"] as? String)

            let different = try Requests.operation(reference: "ref-1", documents: Array(documents.prefix(2)))
            let conflict = try await gateway.request(.POST, "/v1/operations", body: different)
            #expect(conflict.status == 409)
            #expect(conflict.json["errorCode"] as? String == "EXTERNAL_REFERENCE_CONFLICT")

            // The same reference from another client is that client's own.
            let bobs = try await gateway.request(.POST, "/v1/operations", user: "bob", body: different)
            #expect(bobs.status == 202)

            let malformed = try await gateway.request(.POST, "/v1/operations", body: Data("{\"documents\": [".utf8))
            #expect(malformed.status == 400)
            #expect(malformed.json["errorCode"] as? String == "INVALID_JSON")
            #expect(malformed.json["errorCodeDescription"] is String)
            #expect(malformed.json["causeMessage"] is String)

            let missingField = try await gateway.request(
                .POST, "/v1/operations", body: Data(#"{"externalReference":"x"}"#.utf8))
            #expect(missingField.status == 400)
            #expect((missingField.json["causeMessage"] as? String)?.contains("documents") == true)

            // MIME-style line-wrapped base64 is accepted.
            let wrapped = Data(repeating: 0x41, count: 200).base64EncodedString(options: .lineLength64Characters)
            let wrappedBody = try JSONSerialization.data(withJSONObject: [
                "documents": [["documentRequest": ["name": "w", "base64Content": wrapped]]]
            ])
            #expect(wrapped.contains("\r\n"))
            #expect(try await gateway.request(.POST, "/v1/operations", body: wrappedBody).status == 202)

            let badBase64 = Data(#"{"documents":[{"documentRequest":{"name":"a","base64Content":"!!!"}}]}"#.utf8)
            #expect(
                try await gateway.request(.POST, "/v1/operations", body: badBase64).json["errorCode"] as? String
                    == "INVALID_BASE64")

            let noCredentials = try await gateway.request(.POST, "/v1/operations", user: nil, body: body)
            #expect(noCredentials.status == 401)
            #expect(noCredentials.json["errorCode"] as? String == "UNAUTHORIZED")
            let wrongSecret = try await gateway.request(.GET, "/v1/operations/x", user: "mallory")
            #expect(wrongSecret.status == 401)
            let badBearer = try await gateway.request(.GET, "/v1/operations/x", user: nil, authorization: "Bearer nope")
            #expect(badBearer.status == 401)
        } catch {
            Issue.record("\(error)\n\(gateway.log())")
        }
        try await gateway.stop()
    }

    @Test func bearerTokensAndTheSynchronousAlias() async throws {
        let gateway = try GatewayProcess(localSigners: 1)
        try await gateway.waitUntilReady()
        do {
            let form = Data("grant_type=client_credentials&client_id=bob&client_secret=bob-secret".utf8)
            let token = try await gateway.request(
                .POST, "/oauth/token", user: nil, body: form,
                headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(token.status == 200)
            let accessToken = try #require(token.json["access_token"] as? String)
            #expect(token.json["token_type"] as? String == "Bearer")
            let refused = try await gateway.request(
                .POST, "/oauth/token", user: nil,
                body: Data("grant_type=client_credentials&client_id=bob&client_secret=x".utf8),
                headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(refused.status == 401)

            let documents = Requests.mixedDocuments(count: 4, seed: 7)
            let sync = try await gateway.request(
                .POST, "/signstash/einvoice-integration-client-ws/api/v0/document/sign/base64/", user: nil,
                body: try Requests.operation(reference: "sync-1", documents: documents),
                authorization: "Bearer \(accessToken)")
            #expect(sync.status == 200)
            #expect(sync.json["status"] as? String == "EXECUTED")
            let list = try #require(sync.json["documentList"] as? [[String: Any]])
            #expect(list.count == 4)
            for (entry, document) in zip(list, documents) {
                let signature = try #require(Data(base64Encoded: entry["signedContent"] as? String ?? ""))
                #expect(
                    try Tools.opensslVerifyDetached(
                        signature: signature, content: document.content,
                        trusting: gateway.developmentCertificate
                    ).status == 0)
            }
            // The bearer token's operation belongs to bob.
            let id = try #require(sync.json["id"] as? String)
            #expect(try await gateway.request(.GET, "/v1/operations/\(id)", user: "bob").status == 200)
            #expect(try await gateway.request(.GET, "/v1/operations/\(id)", user: "alice").status == 404)

            // Prefer: wait answers 200 with the finished operation.
            let waited = try await gateway.request(
                .POST, "/v1/operations", body: try Requests.operation(reference: nil, documents: documents),
                headers: [("Prefer", "wait=30")])
            #expect(waited.status == 200)
            #expect(waited.json["status"] as? String == "EXECUTED")
        } catch {
            Issue.record("\(error)\n\(gateway.log())")
        }
        try await gateway.stop()
    }

    @Test func killingASignerLosesNothing() async throws {
        let gateway = try GatewayProcess(
            localSigners: 2, extraArguments: ["--heartbeat", "0.2", "--signer-slots", "2"])
        try await gateway.waitUntilReady(signers: 2)
        do {
            let documents = Requests.mixedDocuments(count: 600, seed: 3)
            let start = try await gateway.request(
                .POST, "/v1/operations", body: try Requests.operation(reference: "kill", documents: documents))
            let id = try #require(start.json["id"] as? String)
            let victims = try gateway.signerPIDs()
            #expect(victims.count == 2)
            if let victim = victims.first { kill(victim, SIGKILL) }
            // The kill landed while the operation was running.
            let during = try await gateway.request(.GET, "/v1/operations/\(id)").json
            #expect(during["status"] as? String == "PENDING_EXECUTION")
            let status = try await gateway.waitForCompletion(id)
            #expect(status["status"] as? String == "EXECUTED")
            let result = try await gateway.request(.GET, "/v1/operations/\(id)/result")
            let list = try #require(result.json["documentList"] as? [[String: Any]])
            #expect(list.count == documents.count)
            #expect(list.allSatisfy { $0["signStatus"] as? String == "SIGNED" })
            let progress = result.json["progress"] as? [String: Int]
            #expect(progress?["signed"] == documents.count)
            // Every signature matches its own document: nothing mixed up.
            for index in stride(from: 0, to: documents.count, by: 25) {
                let signature = try #require(Data(base64Encoded: list[index]["signedContent"] as? String ?? ""))
                #expect(
                    try Tools.opensslVerifyDetached(
                        signature: signature, content: documents[index].content,
                        trusting: gateway.developmentCertificate
                    ).status == 0)
            }
            // The supervisor replaced the killed signer.
            try await gateway.waitUntilReady(signers: 2)
            #expect(try gateway.signerPIDs().count == 2)
        } catch {
            Issue.record("\(error)\n\(gateway.log())")
        }
        try await gateway.stop()
    }

    @Test func externalSignersServeAGatewayWithoutLocalOnes() async throws {
        let gateway = try GatewayProcess(localSigners: 0)
        // Not ready without signers.
        try await gateway.waitUntilLive()
        #expect(try await gateway.request(.GET, "/health/ready", user: nil).status == 503)
        // Start one the way an operator on another host would (the development key from the state folder).
        let signer = Process()
        signer.executableURL = Tools.binDirectory.appendingPathComponent("signet-signer")
        signer.arguments = [
            "--gateway", "tcp://127.0.0.1:\(gateway.signerPort)",
            "--signing-key", gateway.stateDirectory.appendingPathComponent("dev-signing-key.pem").path,
            "--signing-cert", gateway.developmentCertificate.path, "--slots", "3",
        ]
        signer.standardError = FileHandle.nullDevice
        try signer.run()
        do {
            try await gateway.waitUntilReady(signers: 1)
            let documents = Requests.mixedDocuments(count: 6, seed: 9)
            let started = try await gateway.request(
                .POST, "/v1/operations", body: try Requests.operation(reference: nil, documents: documents))
            let id = try #require(started.json["id"] as? String)
            #expect(try await gateway.waitForCompletion(id)["status"] as? String == "EXECUTED")
            // SIGTERM: the signer drains, says DISCONNECT and exits 0; the gateway forgets it at once.
            signer.terminate()
            let deadline = ContinuousClock.now.advanced(by: .seconds(15))
            while signer.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(!signer.isRunning)
            #expect(signer.terminationStatus == 0)
            try await Task.sleep(for: .milliseconds(300))
            let ready = try await gateway.request(.GET, "/health/ready", user: nil)
            #expect(ready.status == 503)
            #expect(ready.json["signers"] as? Int == 0)
        } catch {
            Issue.record("\(error)\n\(gateway.log())")
        }
        if signer.isRunning { kill(signer.processIdentifier, SIGKILL) }
        try await gateway.stop()
    }

    @Test func stoppingTheGatewayStopsItsSigners() async throws {
        let gateway = try GatewayProcess(localSigners: 2)
        try await gateway.waitUntilReady(signers: 2)
        let signers = try gateway.signerPIDs()
        #expect(signers.count == 2)
        gateway.process.terminate()
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while (gateway.process.isRunning || signers.contains { kill($0, 0) == 0 }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(!gateway.process.isRunning)
        #expect(gateway.process.terminationStatus == 0, "\(gateway.log())")
        #expect(signers.allSatisfy { kill($0, 0) != 0 }, "signer processes outlived the gateway")
        try await gateway.stop()
    }

    /// Another service failing (here: the HTTP port is taken) stops the whole gateway, signers
    /// included, instead of hanging.
    @Test func aTakenHTTPPortStopsTheGatewayAndItsSigners() async throws {
        let first = try GatewayProcess(localSigners: 1)
        try await first.waitUntilLive()
        let work = first.directory.appendingPathComponent("work").path
        let second = try Tools.run(
            "timeout",
            [
                "-k", "5", "30", Tools.binDirectory.appendingPathComponent("signet-gateway").path,
                "--host", "127.0.0.1", "--port", "\(first.port)", "--signer-endpoint",
                "tcp://127.0.0.1:\(try Tools.freePort())",
                "--work-folder", work, "--state-dir", first.stateDirectory.path, "--local-signers", "1",
            ])
        // Exit 1 with the reason: a hang ends in timeout's SIGKILL instead (Foundation reports
        // that as status 9), a timeout as 124.
        #expect(second.status == 1, "exit \(second.status): \(second.stderr)")
        #expect(second.stderr.contains("Address already in use"), "\(second.stderr)")
        try await first.stop()
    }

    @Test func missingClientConfigurationStopsTheGateway() async throws {
        let directory = try Tools.temporaryDirectory("noconfig")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = try Tools.run(
            Tools.binDirectory.appendingPathComponent("signet-gateway").path,
            ["--work-folder", directory.path, "--state-dir", directory.path, "--local-signers", "0"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("client-services-config.json"))
        let badFlag = try Tools.run(
            Tools.binDirectory.appendingPathComponent("signet-gateway").path, ["--no-such-flag", "1"])
        #expect(badFlag.status != 0)
        #expect(badFlag.stderr.contains("--no-such-flag"))
    }
}
