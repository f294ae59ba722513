import AsyncHTTPClient
import Foundation
import Signing
import TestSupport
import Testing

/// The real `signet-gateway` with real signer processes, over loopback HTTP and ZeroMQ.
@Suite(.serialized, .timeLimit(.minutes(5)))
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
            let aliceID = try #require(alice.json.operationID)
            let bobID = try #require(bob.json.operationID)
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
                try await gateway.expectSignedByTheDevelopmentIdentity(list, documents)
                // One document as raw bytes.
                let raw = try await gateway.request(.GET, "/v1/operations/\(id)/documents/0", user: user)
                #expect(raw.status == 200)
                #expect(raw.headers.first(name: "Content-Type") == "application/pkcs7-signature")
                #expect(
                    try await Tools.opensslVerifyDetached(
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
            #expect(foundList?.map { $0.operationID } == [aliceID])
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
            let firstID = try #require(first.json.operationID)
            #expect(again.json.operationID == firstID)

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
                "documents": [
                    [
                        "documentRequest": ["name": "w", "base64Content": wrapped],
                        "signatureInfo": ["signatureType": "CAdES"],
                    ]
                ]
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
            #expect(token.json["token_type"] as? String == "bearer")
            let refused = try await gateway.request(
                .POST, "/oauth/token", user: nil,
                body: Data("grant_type=client_credentials&client_id=bob&client_secret=x".utf8),
                headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(refused.status == 401)

            let documents = Requests.mixedDocuments(count: 4, seed: 7)
            let sync = try await gateway.request(
                .POST, "/signstash/einvoice-integration-client-ws/api/v0/document/sign/base64/", user: nil,
                body: try Requests.operation(reference: "sync-1", documents: documents, returnSignedContent: true),
                authorization: "Bearer \(accessToken)")
            #expect(sync.status == 200)
            #expect(sync.json["status"] as? String == "EXECUTED")
            let list = try #require(sync.json["documentList"] as? [[String: Any]])
            try await gateway.expectSignedByTheDevelopmentIdentity(list, documents)
            // The bearer token's operation belongs to bob.
            let id = try #require(sync.json.operationID)
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

    /// SIGKILL a signer that holds jobs: its jobs are dispatched again, every document is signed
    /// once with a valid signature, and the supervisor replaces the signer.
    @Test func killingASignerLosesNothing() async throws {
        let gateway = try GatewayProcess(localSigners: 2, extraArguments: ["--signer-slots", "2"])
        try await gateway.waitUntilReady(signers: 2)
        var killed: Set<Int32> = []
        do {
            let documents = Requests.mixedDocuments(count: 600, seed: 3)
            let start = try await gateway.request(
                .POST, "/v1/operations", body: try Requests.operation(reference: "kill", documents: documents))
            let id = try #require(start.json.operationID)
            let victim = try #require(try await gateway.signerPIDs().first)
            // The victim holds jobs when it dies (it is refilled as soon as it answers).
            try await gateway.waitForSigner(pid: victim, holdingJobs: true)
            kill(victim, SIGKILL)
            killed.insert(victim)
            let during = try await gateway.request(.GET, "/v1/operations/\(id)").json
            #expect(during["status"] as? String == "PENDING_EXECUTION")

            let status = try await gateway.waitForCompletion(id)
            #expect(status["status"] as? String == "EXECUTED")
            let result = try await gateway.request(.GET, "/v1/operations/\(id)/result")
            let list = try #require(result.json["documentList"] as? [[String: Any]])
            try #require(list.count == documents.count)
            #expect(list.allSatisfy { $0["signStatus"] as? String == "SIGNED" })
            #expect((result.json["progress"] as? [String: Int])?["signed"] == documents.count)
            // The jobs the victim held went out again; the rest were signed at the first attempt.
            let attempts = list.map { $0["attempts"] as? Int ?? 0 }
            #expect(attempts.allSatisfy { $0 >= 1 })
            #expect(attempts.contains { $0 > 1 }, "no document was dispatched again")
            // Every signature matches its own document: nothing lost, nothing mixed up.
            try await gateway.expectSignedByTheDevelopmentIdentity(list, documents)
            // The supervisor saw the victim die and replaced it.
            #expect(GatewayProcess.signerExits(in: gateway.log()).map(\.pid) == [victim])
            try await gateway.waitUntilReady(signers: 2)
            let now = try await gateway.signerPIDs()
            #expect(now.count == 2 && !now.contains(victim))
        } catch {
            Issue.record("\(error)\n\(tail(gateway.log()))")
        }
        try await gateway.stop(killedSigners: killed)
    }

    /// An external signer takes work, drains what it holds on SIGTERM (no job of it is dispatched
    /// again), says DISCONNECT (forgotten at once, long before the liveness timeout) and exits 0;
    /// a second one finishes the operation.
    @Test func externalSignersServeAGatewayAndDrainOnSIGTERM() async throws {
        // Liveness 5 s × 3: a signer forgotten within 2 s was forgotten for its DISCONNECT.
        let gateway = try GatewayProcess(localSigners: 0, extraArguments: ["--heartbeat", "5"])
        try await gateway.waitUntilLive()
        #expect(try await gateway.request(.GET, "/health/ready", user: nil).status == 503)
        let documents = Requests.mixedDocuments(count: 300, seed: 9)
        var first: ServiceProcess?
        var second: ServiceProcess?
        do {
            // Started the way an operator on another host would (the development key from the state folder).
            first = try await gateway.externalSigner(name: "first", slots: 3)
            try await gateway.waitUntilReady(signers: 1)
            let started = try await gateway.request(
                .POST, "/v1/operations", body: try Requests.operation(reference: nil, documents: documents))
            let id = try #require(started.json.operationID)
            let firstPID = try #require(first?.pid)
            try await gateway.waitForSigner(pid: firstPID, holdingJobs: true)
            let termination = try #require(try await first?.stop(timeout: .seconds(20)))
            #expect(termination.isCleanExit, "the signer ended with \(termination)")
            try first?.checkLogIsClean()
            try await gateway.waitUntil("the gateway forgets the signer", timeout: .seconds(2)) {
                try await gateway.request(.GET, "/health/ready", user: nil).json["signers"] as? Int == 0
            }
            let midway = try await gateway.request(.GET, "/v1/operations/\(id)").json
            let signedByFirst = (midway["progress"] as? [String: Int])?["signed"] ?? 0
            #expect(midway["status"] as? String == "PENDING_EXECUTION")
            #expect(signedByFirst > 0)
            #expect(try await gateway.request(.GET, "/health/ready", user: nil).json["jobsInFlight"] as? Int == 0)

            second = try await gateway.externalSigner(name: "second", slots: 3)
            let status = try await gateway.waitForCompletion(id)
            #expect(status["status"] as? String == "EXECUTED")
            let result = try await gateway.request(.GET, "/v1/operations/\(id)/result")
            let list = try #require(result.json["documentList"] as? [[String: Any]])
            try #require(list.count == documents.count)
            // Drained, not abandoned: nothing the first signer held had to be dispatched again.
            #expect(list.allSatisfy { $0["attempts"] as? Int == 1 }, "a held job was dispatched again")
            try await gateway.expectSignedByTheDevelopmentIdentity(list, documents)
            let secondEnd = try #require(try await second?.stop(timeout: .seconds(20)))
            #expect(secondEnd.isCleanExit, "the second signer ended with \(secondEnd)")
            try second?.checkLogIsClean()
        } catch {
            Issue.record("\(error)\n\(tail(gateway.log()))\n\(first.map { tail($0.log()) } ?? "")")
        }
        for signer in [first, second].compactMap({ $0 }) where signer.isRunning { kill(signer.pid, SIGKILL) }
        try await gateway.stop()
    }

    /// SIGTERM with a batch in flight: the gateway stops its own signers (SIGTERM, they drain and
    /// exit 0), reaps them, then exits 0. Signers that merely noticed their parent was gone
    /// (`--exit-with-parent`) would outlive the gateway and leave no "stopped" record in its log.
    @Test func stoppingTheGatewayStopsItsSigners() async throws {
        let gateway = try GatewayProcess(localSigners: 2)
        try await gateway.waitUntilReady(signers: 2)
        let signers = Set(try await gateway.signerPIDs())
        #expect(signers.count == 2)
        let started = try await gateway.request(
            .POST, "/v1/operations",
            body: try Requests.operation(reference: nil, documents: Requests.mixedDocuments(count: 600, seed: 4)))
        #expect(started.status == 202)
        for pid in signers { try await gateway.waitForSigner(pid: pid, holdingJobs: true) }
        try await gateway.stop()
        // Gone the moment the gateway is: it waited for them.
        #expect(signers.allSatisfy { kill($0, 0) != 0 }, "signer processes outlived the gateway")
        let stopped = GatewayProcess.signersStopped(in: gateway.log())
        #expect(Set(stopped.keys) == signers, "the gateway did not stop its signers:\n\(tail(gateway.log()))")
        #expect(stopped.values.allSatisfy { $0 == "exit 0" }, "\(stopped)")
    }

    /// 2,000 connections that send nothing or drip a request head a byte at a time neither keep
    /// a real client from being served nor stay open past the idle timeout.
    @Test func idleAndDrippingConnectionsDoNotStarveClientsAndAreClosed() async throws {
        let gateway = try GatewayProcess(localSigners: 1, extraArguments: ["--idle-timeout", "3"])
        try await gateway.waitUntilReady()
        let slow = try SlowClients(port: gateway.port, idle: 1000, dripping: 1000)
        do {
            // A real client is served at once (the deadline is generous; the figure is printed).
            let start = ContinuousClock.now
            var request = HTTPClientRequest(url: gateway.baseURL + "/health/live")
            request.method = .GET
            let response = try await gateway.client.execute(request, timeout: .seconds(5))
            print("served beside \(slow.count) slow connections in \(start.duration(to: .now))")
            #expect(response.status == .ok)
            let signed = try await gateway.request(
                .POST, "/v1/operations",
                body: try Requests.operation(reference: nil, documents: Requests.mixedDocuments(count: 3)),
                headers: [("Prefer", "wait=30")])
            #expect(signed.json["status"] as? String == "EXECUTED")
            // All of them are closed after the idle timeout (3 s), the dripping ones included.
            let closed = slow.closedByServer(within: .seconds(30))
            #expect(closed == slow.count, "\(slow.count - closed) slow connections still open")
        } catch {
            Issue.record("\(error)\n\(tail(gateway.log()))")
        }
        slow.close()
        try await gateway.stop()
    }

    /// A client that sends a request head and then drips the body gets 408 REQUEST_TIMEOUT once
    /// `--request-timeout` passes, and its connection is closed.
    @Test func aDrippedBodyEndsWithRequestTimeout() async throws {
        let gateway = try GatewayProcess(localSigners: 0, extraArguments: ["--request-timeout", "2"])
        try await gateway.waitUntilLive()
        let credentials = Data("alice:alice-secret".utf8).base64EncodedString()
        let head =
            "POST /v1/operations HTTP/1.1\r\nHost: signet\r\nAuthorization: Basic \(credentials)\r\n"
            + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
        let drip = try DrippingRequest(port: gateway.port, head: Array(head.utf8))
        let answer = drip.read(until: "\r\n\r\n", within: .seconds(30))
        #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
        #expect(drip.closedByServer(within: .seconds(30)), "the connection stayed open")
        drip.close()
        try await gateway.stop()
    }

    /// Another service failing (here: the HTTP port is taken) stops the whole gateway, signers
    /// included, instead of hanging.
    @Test func aTakenHTTPPortStopsTheGatewayAndItsSigners() async throws {
        let first = try GatewayProcess(localSigners: 1)
        try await first.waitUntilLive()
        let signerEndpoint = "tcp://127.0.0.1:\(try Tools.freePort())"
        let second = try await Shell.run(
            Tools.binDirectory.appendingPathComponent("signet-gateway").path,
            [
                "--host", "127.0.0.1", "--port", "\(first.port)", "--signer-endpoint", signerEndpoint,
                "--work-folder", first.workFolder.path, "--state-dir", first.stateDirectory.path,
                "--local-signers", "2",
            ], timeout: .seconds(40))
        // Exit 1 with the reason (a hang ends in Shell.run's timeout instead).
        #expect(second.status == 1, "exit \(second.status): \(second.stderr)")
        #expect(second.stderr.contains("Address already in use"), "\(second.stderr)")
        #expect(CrashReport.find(in: second.stderr) == nil, "\(second.stderr)")
        // Every signer it started was stopped by it, and none is left.
        let started = second.stderr.split(separator: "\n").filter { $0.contains("local signer started") }.compactMap {
            $0.firstMatch(of: /signer\.pid=(\d+)/).flatMap { Int32($0.1) }
        }
        #expect(Set(GatewayProcess.signersStopped(in: second.stderr).keys) == Set(started), "\(second.stderr)")
        let left = try await Shell.run("pgrep", ["-f", "signet-signer --gateway \(signerEndpoint)"])
        #expect(left.stdout.isEmpty, "signers outlived the failed gateway: \(left.stdout)")
        try await first.stop()
    }

    @Test func missingClientConfigurationStopsTheGateway() async throws {
        let directory = try Workspace("noconfig")
        let output = try await Shell.run(
            Tools.binDirectory.appendingPathComponent("signet-gateway").path,
            ["--work-folder", directory.path("work"), "--state-dir", directory.path("state"), "--local-signers", "0"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("client-services-config.json"))
        // A signing key others can read stops the gateway and a signer, naming the fix.
        let (keyPEM, certificatePEM) = try DevelopmentIdentity.generate()
        try FileManager.default.createDirectory(at: directory.url("work"), withIntermediateDirectories: true)
        try Data(#"{"alice": {"secret": "s"}}"#.utf8).write(to: directory.url("work/client-services-config.json"))
        try keyPEM.write(to: directory.url("work/signing-key.pem"), atomically: true, encoding: .utf8)
        try certificatePEM.write(to: directory.url("work/signing-cert.pem"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o640], ofItemAtPath: directory.path("work/signing-key.pem"))
        let looseGateway = try await Shell.run(
            Tools.binDirectory.appendingPathComponent("signet-gateway").path,
            ["--work-folder", directory.path("work"), "--state-dir", directory.path("state"), "--local-signers", "0"])
        #expect(looseGateway.status == 1)
        #expect(looseGateway.stderr.contains("chmod 600"), "\(looseGateway.stderr)")
        let looseSigner = try await Shell.run(
            Tools.binDirectory.appendingPathComponent("signet-signer").path,
            [
                "--gateway", "ipc://\(directory.path("none"))", "--signing-key", directory.path("work/signing-key.pem"),
                "--signing-cert", directory.path("work/signing-cert.pem"),
            ])
        #expect(looseSigner.status == 1)
        #expect(looseSigner.stderr.contains("chmod 600"), "\(looseSigner.stderr)")

        let badFlag = try await Shell.run(
            Tools.binDirectory.appendingPathComponent("signet-gateway").path, ["--no-such-flag", "1"])
        #expect(badFlag.status != 0)
        #expect(badFlag.stderr.contains("--no-such-flag"))
    }
}
