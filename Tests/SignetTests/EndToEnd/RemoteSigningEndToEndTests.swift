import Foundation
import TestSupport
import Testing

/// Remote signing through the CSC API v2 simulator (`signet-csc-sim`): a real gateway with the
/// seed's flags, real signers calling the simulator over HTTP, results checked by openssl and
/// pyHanko against each client's own certificate, and the simulator's log of what left.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct RemoteSigningEndToEndTests {
    /// Starts the simulator and a gateway signing with it (`arguments` go to the gateway), runs
    /// `body`, then stops both, whether `body` threw or not.
    func withRemoteGateway(
        _ simulator: SimulatorProcess, arguments: [String] = [], _ body: (GatewayProcess) async throws -> Void
    ) async throws {
        let gateway: GatewayProcess
        do {
            try await simulator.waitUntilReady()
            gateway = try GatewayProcess(
                localSigners: 2,
                extraArguments: ["--einvoice-integration-client.service.domain=\(simulator.url)"] + arguments)
            try await gateway.waitUntilReady(signers: 2)
        } catch {
            try? await simulator.stop()
            throw error
        }
        do {
            try await body(gateway)
        } catch {
            try? await gateway.stop()
            try? await simulator.stop()
            throw error
        }
        try await gateway.stop()
        try await simulator.stop()
    }

    static func pdfs(_ count: Int, seed: Int) -> [Requests.Document] {
        (0..<count).map {
            Requests.Document(
                name: "invoice-\(seed)-\($0).pdf", contentType: "application/pdf",
                content: Data(SamplePDF.page(showing: "Invoice \(seed)-\($0)")), signatureType: "PAdES")
        }
    }

    static func blobs(_ count: Int, size: Int, seed: Int) -> [Requests.Document] {
        var random = SeededRandom(seed: UInt64(seed))
        return (0..<count).map {
            Requests.Document(
                name: "blob-\(seed)-\($0).bin", contentType: "application/octet-stream",
                content: Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }))
        }
    }

    /// Submits `documents` for `user` and waits for the whole result.
    func sign(
        _ documents: [Requests.Document], as user: String, on gateway: GatewayProcess, timeout: Duration = .seconds(120)
    ) async throws -> [[String: Any]] {
        let created = try await gateway.request(
            .POST, "/v1/operations", user: user,
            body: try Requests.operation(reference: "\(user)-\(UUID())", documents: documents))
        #expect(created.status == 202, "\(String(decoding: created.body, as: UTF8.self))")
        let id = try #require(created.json.operationID)
        _ = try await gateway.waitForCompletion(id, user: user, timeout: timeout)
        let result = try await gateway.request(.GET, "/v1/operations/\(id)/result", user: user)
        return try #require(result.json["documentList"] as? [[String: Any]])
    }

    @Test func twoClientServicesSignWithTheirOwnRemoteCertificatesAndOnlyDigestsLeave() async throws {
        let simulator = try SimulatorProcess()
        let ws = try Workspace("remote-results")
        try await withRemoteGateway(simulator) { gateway in
            for (user, credential) in [("alice", "alice-rsa"), ("bob", "bob-ec")] {
                let documents = Self.blobs(3, size: 20_000, seed: user.count) + Self.pdfs(2, seed: user.count)
                let list = try await sign(documents, as: user, on: gateway)
                #expect(list.count == documents.count)
                // Only this client's own certificate may be the signer (`-nointern`), chained to
                // the simulator's CA.
                let leaf = ws.path("\(user)-leaf.pem")
                let chain = try String(contentsOfFile: simulator.chainFile(credential), encoding: .utf8)
                try ws.write(
                    "\(user)-leaf.pem",
                    text: String(chain[..<chain.range(of: "-----END CERTIFICATE-----")!.upperBound]) + "\n")
                for (entry, document) in zip(list, documents) {
                    #expect(entry["signStatus"] as? String == "SIGNED", "\(user) \(entry)")
                    let signed = try #require(Data(base64Encoded: entry["signedContent"] as? String ?? ""))
                    if document.signatureType == "CAdES" {
                        try ws.write("sig.p7s", Array(signed))
                        try ws.write("content.bin", Array(document.content))
                        let verified = try await Shell.run(
                            "openssl",
                            [
                                "cms", "-verify", "-binary", "-inform", "DER", "-in", ws.path("sig.p7s"), "-content",
                                ws.path("content.bin"), "-nointern", "-certfile", leaf, "-CAfile", simulator.caFile,
                                "-purpose", "any", "-out", "/dev/null",
                            ])
                        #expect(verified.status == 0, "\(user) \(document.name): \(verified.stderr)")
                    } else {
                        try ws.write("signed.pdf", Array(signed))
                        #expect(signed.starts(with: document.content), "the PDF update keeps the original bytes")
                        let validation = try PyHanko.validate(ws.path("signed.pdf"), trust: [leaf])
                        #expect(validation.isValid(signatures: 1), "\(user) \(document.name): \(validation.output)")
                    }
                }
            }
            // What left the premises: per signHash at most a small envelope plus 64 bytes per
            // hash, every hash 32 bytes; no request anywhere near a document's size.
            let requests = try simulator.requests()
            let signCalls = requests.filter { ($0["path"] as? String)?.hasSuffix("signatures/signHash") == true }
            #expect(!signCalls.isEmpty)
            for call in signCalls {
                let hashes = call["hashes"] as? Int ?? -1
                let bytes = call["requestBytes"] as? Int ?? .max
                #expect(hashes >= 1 && bytes <= 1024 + 64 * hashes, "\(call)")
                #expect((call["hashLengths"] as? [Int] ?? [0]).allSatisfy { $0 == 32 }, "\(call)")
            }
            for request in requests {
                let bytes = request["requestBytes"] as? Int ?? .max
                #expect(bytes < 1024 + 64 * 100, "\(request)")
            }
            let ready = try await gateway.request(.GET, "/health/ready", user: nil)
            #expect(ready.status == 200)
            #expect((ready.json["remoteSigning"] as? [String: Any])?["reachable"] as? Bool == true)
        }
    }

    @Test func aWrongSecretFailsThatClientsDocumentsAtOnceAndOnlyThem() async throws {
        // Alice's secret at the service differs from hers at the gateway; Bob's is right.
        var config = SimulatorProcess.twoClients
        var clients = config["clients"] as! [String: Any]
        var alice = clients["alice"] as! [String: Any]
        alice["secret"] = "another-secret"
        clients["alice"] = alice
        config["clients"] = clients
        let simulator = try SimulatorProcess(config: config)
        try await withRemoteGateway(simulator) { gateway in
            let started = ContinuousClock.now
            async let bobsList = sign(Self.blobs(20, size: 2_000, seed: 2), as: "bob", on: gateway)
            let alicesList = try await sign(Self.blobs(50, size: 2_000, seed: 1), as: "alice", on: gateway)
            #expect(started.duration(to: .now) < .seconds(30))
            #expect(alicesList.count == 50)
            for entry in alicesList {
                #expect(entry["signStatus"] as? String == "ERROR_SIGNING", "\(entry)")
                #expect(entry["signError"] as? String == "INVALID_CERT_SERVICE_CREDS", "\(entry)")
            }
            let bobs = try await bobsList
            #expect(bobs.allSatisfy { $0["signStatus"] as? String == "SIGNED" }, "\(bobs.prefix(2))")
            #expect(!gateway.log().contains("another-secret") && !gateway.log().contains("alice-secret"))
        }
    }

    @Test func documentsWaitWhileTheServiceIsDownAndAllAreSignedWhenItIsBack() async throws {
        let simulator = try SimulatorProcess()
        try await withRemoteGateway(simulator) { gateway in
            try await simulator.admin("down?seconds=20")
            let documents = Self.blobs(30, size: 5_000, seed: 3)
            let created = try await gateway.request(
                .POST, "/v1/operations", user: "alice",
                body: try Requests.operation(reference: "down-\(UUID())", documents: documents))
            #expect(created.status == 202)
            let id = try #require(created.json.operationID)
            // While it is down the gateway says so, and the documents wait.
            try await gateway.waitUntil("the service is reported down", timeout: .seconds(20)) {
                let ready = try await gateway.request(.GET, "/health/ready", user: nil)
                return ready.status == 503
                    && (ready.json["remoteSigning"] as? [String: Any])?["reachable"] as? Bool == false
            }
            let status = try await gateway.request(.GET, "/v1/operations/\(id)", user: "alice")
            #expect(status.json["status"] as? String == "PENDING_EXECUTION")
            _ = try await gateway.waitForCompletion(id, user: "alice", timeout: .seconds(90))
            let result = try await gateway.request(.GET, "/v1/operations/\(id)/result", user: "alice")
            let list = try #require(result.json["documentList"] as? [[String: Any]])
            #expect(list.count == 30)
            #expect(list.allSatisfy { $0["signStatus"] as? String == "SIGNED" }, "\(list.prefix(2))")
        }
    }

    @Test func withAThirdOfCallsFailingAndSlowCallsFiveHundredDocumentsAreAllSigned() async throws {
        let simulator = try SimulatorProcess(arguments: ["--fail-rate", "0.3", "--latency-ms", "200"])
        try await withRemoteGateway(simulator) { gateway in
            let list = try await sign(Self.blobs(500, size: 1_000, seed: 4), as: "alice", on: gateway)
            #expect(list.count == 500)
            let failed = list.filter { $0["signStatus"] as? String != "SIGNED" }
            #expect(failed.isEmpty, "\(failed.count) not signed, e.g. \(failed.prefix(2))")
            let failures = try simulator.requests().filter { ($0["status"] as? Int ?? 0) == 503 }
            #expect(!failures.isEmpty, "the simulator injected no failure")
        }
    }

    /// The seed's docker command: `--server.host.port`, the service URL and both proxy flags,
    /// here to an HTTPS simulator (its CA given with --remote-ca-file) through tinyproxy.
    @Test func theSeedsFlagsSignThroughAnHTTPProxy() async throws {
        let proxy = try TinyProxy()
        defer { proxy.stop() }
        try await proxy.waitUntilReady()
        let simulator = try SimulatorProcess(tls: true)
        let flags = [
            "--einvoice-integration-client.rest.provider.proxy.hostname=127.0.0.1",
            "--einvoice-integration-client.rest.provider.proxy.port=\(proxy.port)",
            "--remote-ca-file", simulator.caFile,
        ]
        try await withRemoteGateway(simulator, arguments: flags) { gateway in
            let documents = Self.blobs(2, size: 3_000, seed: 5) + Self.pdfs(1, seed: 5)
            let list = try await sign(documents, as: "alice", on: gateway)
            #expect(list.allSatisfy { $0["signStatus"] as? String == "SIGNED" }, "\(list)")
            #expect(try !simulator.requests().isEmpty)
            // Every call went through the proxy: it logged the tunnels to the simulator.
            let log = proxy.log()
            #expect(log.contains("CONNECT localhost:\(simulator.port)"), "\(log.suffix(2000))")
        }
    }
}
