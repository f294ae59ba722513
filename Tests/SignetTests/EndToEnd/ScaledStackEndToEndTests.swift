import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// The scaled topology without containers (`make stack`, docs/operations.md): Debian's HAProxy
/// round-robin over two gateways that name each other with `--peer`, and external signers
/// serving both. Every operation started through HAProxy is reached again through it: by the
/// owner directly, or by the other gateway's `307` to the owner; none is answered as unknown.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ScaledStackEndToEndTests {
    static let operations = 200
    static let documentsPerOperation = 2

    /// Two gateways of one deployment share the signer-endpoint key (the signers know one
    /// gateway key) and the signing identity (results are checked against it); everything else
    /// is their own: folders, operation tables, ports.
    static func startPair() async throws -> (GatewayProcess, GatewayProcess) {
        let ports = (try Tools.freePort(), try Tools.freePort())
        let first = try GatewayProcess(
            localSigners: 0, port: ports.0, extraArguments: ["--peer", "http://127.0.0.1:\(ports.1)"])
        do {
            try await first.waitUntilLive()
            let second = try GatewayProcess(
                localSigners: 0, port: ports.1, extraArguments: ["--peer", "http://127.0.0.1:\(ports.0)"]
            ) { workspace in
                try copyState(
                    ["signer-curve.key", "dev-signing-key.pem", "dev-signing-cert.pem"],
                    from: first.stateDirectory, to: workspace.url("state"))
            }
            return (first, second)
        } catch {
            try? await first.stop()
            throw error
        }
    }

    /// An external signer connected to both gateways, authorized at each.
    static func signer(_ name: String, serving gateways: [GatewayProcess], slots: Int) async throws -> ServiceProcess {
        let first = gateways[0]
        let keyFile = first.workspace.path("signer-\(name).key")
        let generated = try await Shell.run(
            Tools.binDirectory.appendingPathComponent("signet-signer").path, ["--generate-curve-key", keyFile])
        guard generated.status == 0 else { throw TestFailure("--generate-curve-key: \(generated.output)") }
        let publicKey = generated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for gateway in gateways { try gateway.authorizeSigner(publicKey: publicKey, name: name) }
        return try ServiceProcess(
            "signet-signer",
            [
                "--gateway", gateways.map { "tcp://127.0.0.1:\($0.signerPort)" }.joined(separator: ","),
                "--gateway-public-key", first.stateDirectory.appendingPathComponent("signer-curve.pub").path,
                "--curve-key", keyFile, "--signing-key", first.developmentKey.path,
                "--signing-cert", first.developmentCertificate.path, "--slots", "\(slots)",
            ],
            log: first.workspace.url("signer-\(name).log"))
    }

    struct Started {
        var id: String
        var owner: String
        var documents: [Requests.Document]
    }

    @Test func operationsStartedThroughHAProxyAreFollowedToTheirOwner() async throws {
        let (first, second) = try await Self.startPair()
        let gateways = [first, second]
        var signers: [ServiceProcess] = []
        let proxy = try HAProxy(servers: gateways.map { "127.0.0.1:\($0.port)" })
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            for name in ["s1", "s2"] { signers.append(try await Self.signer(name, serving: gateways, slots: 4)) }
            // Each signer registers at both gateways, with its slots at each.
            for gateway in gateways {
                try await gateway.waitUntilReady(signers: 2)
                try await gateway.waitUntil("both signers offer their slots") {
                    let list = try await gateway.signers()
                    return list.count == 2 && list.allSatisfy { $0["credit"] as? Int == 4 }
                }
            }
            let base = "http://127.0.0.1:\(proxy.port)"
            try await Self.waitUntilProxied(base, client: client)

            let started = try await Self.start(through: base, client: client)
            let owners = Set(started.map(\.owner))
            #expect(owners == Set(gateways.map(\.baseURL)), "HAProxy spread the starts over both gateways")

            // Every follow-up through HAProxy reaches the owner: directly, or by a 307 to it.
            var redirected = 0
            for operation in started {
                let path = "/v1/operations/\(operation.id)"
                let answer = try await Self.get(base + path, client: client)
                switch answer.status {
                case 200: continue
                case 307:
                    redirected += 1
                    #expect(answer.headers.first(name: "Location") == operation.owner + path)
                    let followed = try await Self.get(operation.owner + path, client: client)
                    #expect(
                        followed.status == 200, "\(operation.id): \(String(decoding: followed.body, as: UTF8.self))")
                default:
                    Issue.record(
                        "\(operation.id) through HAProxy: \(answer.status) \(String(decoding: answer.body, as: UTF8.self))"
                    )
                }
            }
            #expect(redirected > 0, "round-robin sent some follow-ups to the other gateway")

            // The owner's host and port from the start answer are used for the results; every
            // document is signed by the shared identity, over its own content.
            for operation in started {
                let gateway = try #require(gateways.first { $0.baseURL == operation.owner })
                let status = try await gateway.waitForCompletion(operation.id)
                #expect(status["status"] as? String == "EXECUTED", "\(operation.id): \(status)")
                let result = try await gateway.request(.GET, "/v1/operations/\(operation.id)/result").json
                try await gateway.expectSignedByTheDevelopmentIdentity(
                    result["documentList"] as? [[String: Any]] ?? [], operation.documents)
            }
            // An id another instance minted, which is no peer of this one: not "unknown".
            var instances: Set<Int> = []
            for gateway in gateways {
                instances.insert(try #require(try await gateway.request(.GET, "/v1/instance").json["instance"] as? Int))
            }
            #expect(instances.count == 2, "the two gateways carry different instance numbers")
            let strangerInstance = try #require((0..<1024).first { !instances.contains($0) })
            let stranger = "\((Int64(strangerInstance) << 43) + 1_796_000_000_000)"
            let elsewhere = try await first.request(.GET, "/v1/operations/\(stranger)")
            #expect(elsewhere.status == 404)
            #expect(elsewhere.json["errorCode"] as? String == "OPERATION_ON_OTHER_INSTANCE")
        } catch {
            first.workspace.keep()
            Issue.record("\(error)\nhaproxy:\n\(proxy.log())")
        }
        try await client.shutdown()
        proxy.stop()
        for signer in signers { _ = try? await signer.stop() }
        for gateway in gateways { try await gateway.stop() }
    }

    static func waitUntilProxied(_ base: String, client: HTTPClient) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        var answered = 0
        while ContinuousClock.now < deadline {
            if let live = try? await get(base + "/health/ready", client: client, user: nil), live.status == 200 {
                answered += 1
                if answered >= 4 { return }  // both servers, twice: HAProxy's checks see both up
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("HAProxy did not pass requests to both gateways")
    }

    /// Starts `operations` operations through HAProxy, eight at a time; each answer's owner is
    /// the gateway its host and port name.
    static func start(through base: String, client: HTTPClient) async throws -> [Started] {
        try await withThrowingTaskGroup(of: [Started].self) { group in
            for lane in 0..<8 {
                group.addTask {
                    var started: [Started] = []
                    for index in stride(from: lane, to: operations, by: 8) {
                        let documents = (0..<documentsPerOperation).map { document in
                            Requests.Document(
                                name: "op\(index)-\(document).xml", contentType: "application/xml",
                                content: Data("<Invoice><ID>\(index)-\(document)</ID></Invoice>".utf8))
                        }
                        var request = HTTPClientRequest(url: base + "/v1/operations")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: basic("alice"))
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(
                            ByteBuffer(bytes: try Requests.operation(reference: "op\(index)", documents: documents)))
                        let response = try await client.execute(request, timeout: .seconds(60))
                        let body = try await response.body.collect(upTo: 1 << 20)
                        let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] ?? [:]
                        guard response.status == .accepted, let id = json.operationID,
                            let host = json["host"] as? String, let port = json["port"] as? Int
                        else { throw TestFailure("start \(index): \(response.status) \(json)") }
                        started.append(Started(id: id, owner: "http://\(host):\(port)", documents: documents))
                    }
                    return started
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    static func basic(_ user: String) -> String {
        "Basic " + Data("\(user):\(GatewayProcess.clients[user] ?? "")".utf8).base64EncodedString()
    }

    static func get(_ url: String, client: HTTPClient, user: String? = "alice") async throws
        -> GatewayProcess.HTTPResult
    {
        var request = HTTPClientRequest(url: url)
        if let user { request.headers.add(name: "Authorization", value: basic(user)) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 24)
        return GatewayProcess.HTTPResult(
            status: response.status.code, headers: response.headers, body: Data(buffer: body))
    }
}

/// Copies files of one state folder into another (created 0700), keeping them private.
func copyState(_ names: [String], from source: URL, to target: URL) throws {
    try FileManager.default.createDirectory(
        at: target, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    for name in names {
        let destination = target.appendingPathComponent(name)
        try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: destination)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: destination.path)
    }
}
