import AsyncHTTPClient
import Foundation
import TestSupport
import Testing
import NIOCore
import NIOHTTP1

/// A real `signet-gateway` process on loopback, with its own work and state folders.
final class GatewayProcess: @unchecked Sendable {
    let service: ServiceProcess
    let port: Int
    let signerPort: Int
    let workspace: Workspace
    let client = HTTPClient.shared

    var process: Process { service.process }
    var directory: URL { workspace.dir }
    var workFolder: URL { workspace.url("work") }
    var stateDirectory: URL { workspace.url("state") }
    var developmentCertificate: URL { stateDirectory.appendingPathComponent("dev-signing-cert.pem") }
    var developmentKey: URL { stateDirectory.appendingPathComponent("dev-signing-key.pem") }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    static let clients = ["alice": "alice-secret", "bob": "bob-secret"]

    /// `port`: the HTTP port (a free one when nil); `prepare` runs on the new folders before the
    /// gateway starts.
    init(
        localSigners: Int = 2, port: Int? = nil, extraArguments: [String] = [],
        prepare: (Workspace) throws -> Void = { _ in }
    ) throws {
        workspace = try Workspace("gateway")
        try FileManager.default.createDirectory(at: workspace.url("work"), withIntermediateDirectories: true)
        let config = Self.clients.mapValues { ["secret": $0] }
        try JSONSerialization.data(withJSONObject: config).write(
            to: workspace.url("work/client-services-config.json"))
        try prepare(workspace)
        self.port = try port ?? Tools.freePort()
        signerPort = try Tools.freePort()
        service = try ServiceProcess(
            "signet-gateway", Self.arguments(workspace, self.port, signerPort, localSigners) + extraArguments,
            log: workspace.url("gateway.log"))
    }

    /// The same gateway started again on the same folders and ports (after it was killed), as an
    /// operator's supervisor restarts it. Its log goes to `gateway-N.log`.
    init(restarting previous: GatewayProcess, run: Int, localSigners: Int = 2, extraArguments: [String] = []) throws {
        workspace = previous.workspace
        port = previous.port
        signerPort = previous.signerPort
        service = try ServiceProcess(
            "signet-gateway", Self.arguments(workspace, port, signerPort, localSigners) + extraArguments,
            log: workspace.url("gateway-\(run).log"))
    }

    static func arguments(_ workspace: Workspace, _ port: Int, _ signerPort: Int, _ localSigners: Int) -> [String] {
        [
            "--host", "127.0.0.1", "--port", "\(port)", "--server.host.port=127.0.0.1:\(port)",
            "--signer-endpoint", "tcp://127.0.0.1:\(signerPort)",
            "--work-folder", workspace.path("work"), "--state-dir", workspace.path("state"),
            "--local-signers", "\(localSigners)",
        ]
    }

    /// Waits until `/health/ready` answers 200 (at least `signers` signers connected).
    func waitUntilReady(signers: Int = 1, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let response = try? await request(.GET, "/health/ready", user: nil), response.status == 200,
                let json = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
                (json["signers"] as? Int ?? 0) >= signers
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("gateway not ready in time; log:\n\(log())")
    }

    /// Waits until the HTTP server answers `/health/live`.
    func waitUntilLive(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let response = try? await request(.GET, "/health/live", user: nil), response.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("gateway not live in time; log:\n\(log())")
    }

    /// The gateway's log; local signers write into it too.
    func log() -> String { service.log() }

    struct HTTPResult {
        let status: UInt
        let headers: HTTPHeaders
        let body: Data

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
        var jsonArray: [[String: Any]] { (try? JSONSerialization.jsonObject(with: body) as? [[String: Any]]) ?? [] }
    }

    /// An HTTP call; `user` authenticates with HTTP Basic using the test secrets.
    func request(
        _ method: HTTPMethod, _ path: String, user: String? = "alice", body: Data? = nil,
        headers: [(String, String)] = [], authorization: String? = nil
    ) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let user {
            let secret = Self.clients[user] ?? "wrong"
            request.headers.add(
                name: "Authorization", value: "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString())
        }
        if let authorization { request.headers.replaceOrAdd(name: "Authorization", value: authorization) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                request.headers.add(name: "Content-Type", value: "application/json")
            }
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(120))
        let collected = try await response.body.collect(upTo: 1 << 30)
        return HTTPResult(
            status: response.status.code, headers: response.headers, body: Data(collected.readableBytesView))
    }

    /// Polls an operation until it is no longer PENDING_EXECUTION.
    func waitForCompletion(_ id: String, user: String = "alice", timeout: Duration = .seconds(120)) async throws
        -> [String: Any]
    {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            let status = try await request(.GET, "/v1/operations/\(id)", user: user).json
            if let value = status["status"] as? String, value != "PENDING_EXECUTION" { return status }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("operation \(id) did not finish; log:\n\(log())")
    }

    /// Every entry of a result's `documentList` is SIGNED under its document's name, and its
    /// `signedContent` is a detached CMS over that very document by the development identity
    /// (checked by `openssl cms -verify`): nothing lost, nothing mixed up.
    func expectSignedByTheDevelopmentIdentity(
        _ list: [[String: Any]], _ documents: [Requests.Document], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(list.count == documents.count, sourceLocation: sourceLocation)
        for (entry, document) in zip(list, documents) {
            #expect(entry["signStatus"] as? String == "SIGNED", "\(entry)", sourceLocation: sourceLocation)
            #expect(entry["name"] as? String == document.name, sourceLocation: sourceLocation)
            let signature = try #require(
                Data(base64Encoded: entry["signedContent"] as? String ?? ""), sourceLocation: sourceLocation)
            let verified = try await Tools.opensslVerifyDetached(
                signature: signature, content: document.content, trusting: developmentCertificate)
            #expect(verified.status == 0, "\(document.name): \(verified.stderr)", sourceLocation: sourceLocation)
        }
    }

    /// Pids of the signer processes this gateway started.
    func signerPIDs() async throws -> [Int32] {
        let output = try await Shell.run("pgrep", ["-P", "\(process.processIdentifier)", "-f", "signet-signer"])
        return output.stdout.split(separator: "\n").compactMap { Int32($0) }
    }

    /// Polls `condition` until it holds; throws with the log when `timeout` passes first.
    func waitUntil(
        _ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("timed out waiting until \(what); log:\n\(tail(log()))")
    }

    /// Waits until the signer with this pid is registered and holds jobs (or holds none).
    func waitForSigner(pid: Int32, holdingJobs: Bool, timeout: Duration = .seconds(30)) async throws {
        try await waitUntil("signer \(pid) \(holdingJobs ? "holds" : "holds no") jobs", timeout: timeout) {
            try await signers().contains {
                $0["pid"] as? Int == Int(pid) && (($0["jobsInFlight"] as? Int ?? 0) > 0) == holdingJobs
            }
        }
    }

    /// A `signet-signer` started the way an operator on another host would: a CURVE key made by
    /// `--generate-curve-key`, its public key authorized in the gateway's signer-keys folder, the
    /// gateway's public key from the state folder, and (unless given) the development signing
    /// identity. Its log goes to the gateway's folder.
    func externalSigner(
        name: String, slots: Int, signingKey: URL? = nil, signingCertificate: URL? = nil, extraArguments: [String] = []
    ) async throws -> ServiceProcess {
        let keyFile = workspace.path("signer-\(name).key")
        let generated = try await Shell.run(
            Tools.binDirectory.appendingPathComponent("signet-signer").path, ["--generate-curve-key", keyFile])
        guard generated.status == 0 else { throw TestFailure("--generate-curve-key: \(generated.output)") }
        try authorizeSigner(publicKey: generated.stdout.trimmingCharacters(in: .whitespacesAndNewlines), name: name)
        return try ServiceProcess(
            "signet-signer",
            [
                "--gateway", "tcp://127.0.0.1:\(signerPort)", "--gateway-public-key",
                stateDirectory.appendingPathComponent("signer-curve.pub").path, "--curve-key", keyFile,
                "--signing-key", (signingKey ?? developmentKey).path,
                "--signing-cert", (signingCertificate ?? developmentCertificate).path, "--slots", "\(slots)",
            ] + extraArguments,
            log: workspace.url("signer-\(name).log"))
    }

    /// Authorizes a signer's CURVE public key as an operator does: a file in WORK/signer-keys.
    func authorizeSigner(publicKey: String, name: String) throws {
        let folder = workFolder.appendingPathComponent("signer-keys")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("# \(name)\n\(publicKey)\n".utf8).write(to: folder.appendingPathComponent(name))
    }

    /// The gateway's CURVE public key, as it wrote it for operators.
    func signerPublicKey() throws -> String {
        try String(contentsOf: stateDirectory.appendingPathComponent("signer-curve.pub"), encoding: .utf8)
            .split(separator: "\n").first { !$0.hasPrefix("#") }.map(String.init) ?? ""
    }

    /// The signers `/health/ready` lists, with the jobs each holds.
    func signers() async throws -> [[String: Any]] {
        try await request(.GET, "/health/ready", user: nil).json["signerList"] as? [[String: Any]] ?? []
    }

    /// Stops the gateway with SIGTERM and checks how it went: it exits 0 in time, no process
    /// writing to its log (the gateway and its local signers) reported a sanitizer error or a
    /// crash, and no local signer exited unless the test killed it (`killedSigners`). A failed
    /// check keeps the folder with the log and throws.
    func stop(killedSigners: Set<Int32> = []) async throws {
        var problems: [String] = []
        do {
            let termination = try await service.stop()
            if !termination.isCleanExit { problems.append("the gateway ended with \(termination)") }
        } catch {
            problems.append("\(error)")
        }
        do { try service.checkLogIsClean() } catch { problems.append("\(error)") }
        let unexpected = Self.signerExits(in: log()).filter { !killedSigners.contains($0.pid) }
        if !unexpected.isEmpty {
            problems.append("local signers exited on their own: \(unexpected.map { "\($0.pid) (\($0.how))" })")
        }
        guard problems.isEmpty else {
            workspace.keep()
            throw TestFailure(problems.joined(separator: "\n") + "\nlog \(service.logFile.path):\n" + tail(log()))
        }
    }

    /// Local signers the supervisor saw exit while the gateway ran (it restarts them).
    static func signerExits(in log: String) -> [(pid: Int32, how: String)] {
        log.split(separator: "\n").filter { $0.contains("local signer exited") }.map { line in
            let pid = line.firstMatch(of: /signer\.pid=(\d+)/).flatMap { Int32($0.1) } ?? 0
            let how = line.firstMatch(of: /signer\.exit=(\w+ -?\d+)/).map { String($0.1) } ?? "?"
            return (pid, how)
        }
    }

    /// Pids of the local signers the gateway stopped and reaped at its shutdown, with how each ended.
    static func signersStopped(in log: String) -> [Int32: String] {
        var stopped: [Int32: String] = [:]
        for line in log.split(separator: "\n") where line.contains("local signer stopped") {
            if let pid = line.firstMatch(of: /signer\.pid=(\d+)/).flatMap({ Int32($0.1) }) {
                stopped[pid] = line.firstMatch(of: /signer\.exit=(\w+ -?\d+)/).map { String($0.1) } ?? "?"
            }
        }
        return stopped
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Builds client requests in the Sign'Stash model.
enum Requests {
    struct Document {
        var name: String
        var contentType: String
        var content: Data
        var signatureType = "CAdES"
    }

    static func operation(reference: String?, documents: [Document], returnSignedContent: Bool? = nil) throws -> Data {
        var object: [String: Any] = [
            "description": "test",
            "documents": documents.map { document in
                [
                    "documentRequest": [
                        "externalReference": document.name, "name": document.name,
                        "contentType": document.contentType, "base64Content": document.content.base64EncodedString(),
                    ],
                    "signatureInfo": ["signatureType": document.signatureType],
                ]
            },
        ]
        if let reference { object["externalReference"] = reference }
        if let returnSignedContent { object["returnSignedContent"] = returnSignedContent }
        return try JSONSerialization.data(withJSONObject: object)
    }

    /// A mixed batch: minimal PDFs, XML invoices and random binary blobs.
    static func mixedDocuments(count: Int, seed: Int = 0) -> [Document] {
        (0..<count).map { index in
            switch index % 3 {
            case 0:
                Document(
                    name: "invoice-\(seed)-\(index).pdf", contentType: "application/pdf",
                    content: Data(SamplePDF.page(showing: "Invoice \(seed)-\(index)")))
            case 1:
                Document(
                    name: "invoice-\(seed)-\(index).xml", contentType: "application/xml",
                    content: Data(
                        "<?xml version=\"1.0\"?><Invoice><ID>\(seed)-\(index)</ID><Total>\(index * 10)</Total></Invoice>"
                            .utf8))
            default:
                Document(
                    name: "blob-\(seed)-\(index).bin", contentType: "application/octet-stream",
                    content: Data(
                        (0..<(1000 + index * 37)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index &+ seed) }))
            }
        }
    }
}
