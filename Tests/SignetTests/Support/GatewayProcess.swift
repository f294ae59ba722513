import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A real `signet-gateway` process on loopback, with its own work and state folders.
final class GatewayProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let signerPort: Int
    let directory: URL
    let logFile: URL
    let client = HTTPClient.shared

    var stateDirectory: URL { directory.appendingPathComponent("state") }
    var developmentCertificate: URL { stateDirectory.appendingPathComponent("dev-signing-cert.pem") }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    static let clients = ["alice": "alice-secret", "bob": "bob-secret"]

    init(localSigners: Int = 2, extraArguments: [String] = []) throws {
        directory = try Tools.temporaryDirectory("gateway")
        let work = directory.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let config = Self.clients.mapValues { ["secret": $0] }
        try JSONSerialization.data(withJSONObject: config).write(
            to: work.appendingPathComponent("client-services-config.json"))
        port = try Tools.freePort()
        signerPort = try Tools.freePort()
        logFile = directory.appendingPathComponent("gateway.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.executableURL = Tools.binDirectory.appendingPathComponent("signet-gateway")
        process.arguments =
            [
                "--host", "127.0.0.1", "--port", "\(port)", "--server.host.port=127.0.0.1:\(port)",
                "--signer-endpoint", "tcp://127.0.0.1:\(signerPort)",
                "--work-folder", work.path, "--state-dir", stateDirectory.path,
                "--local-signers", "\(localSigners)",
            ] + extraArguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
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

    func log() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    struct HTTPResult {
        let status: UInt
        let headers: HTTPHeaders
        let body: Data

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
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

    /// Pids of the signer processes this gateway started.
    func signerPIDs() throws -> [Int32] {
        let output = try Tools.run("pgrep", ["-P", "\(process.processIdentifier)", "-f", "signet-signer"])
        return output.stdout.split(separator: "\n").compactMap { Int32($0) }
    }

    func stop() async throws {
        if process.isRunning {
            process.terminate()
            let deadline = ContinuousClock.now.advanced(by: .seconds(20))
            while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: directory)
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

    static func operation(reference: String?, documents: [Document]) throws -> Data {
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
        return try JSONSerialization.data(withJSONObject: object)
    }

    /// A mixed batch: minimal PDFs, XML invoices and random binary blobs.
    static func mixedDocuments(count: Int, seed: Int = 0) -> [Document] {
        (0..<count).map { index in
            switch index % 3 {
            case 0:
                Document(
                    name: "invoice-\(seed)-\(index).pdf", contentType: "application/pdf",
                    content: Samples.pdf(text: "Invoice \(seed)-\(index)"))
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

enum Samples {
    /// A small, valid one-page PDF with a classic xref table.
    static func pdf(text: String) -> Data {
        let stream = "BT /F1 24 Tf 72 720 Td (\(text)) Tj ET"
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        var out = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(out.utf8.count)
            out += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = out.utf8.count
        out += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { out += String(format: "%010d 00000 n \n", offset) }
        out += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Data(out.utf8)
    }
}
