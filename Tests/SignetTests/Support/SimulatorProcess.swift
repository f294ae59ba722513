import AsyncHTTPClient
import Foundation
import TestSupport

/// `signet-csc-sim` started by a test: a CSC API v2 service with a key per client service, its
/// chains exported beside its log of request sizes.
final class SimulatorProcess: @unchecked Sendable {
    let service: ServiceProcess
    let workspace: Workspace
    let port: Int
    let tls: Bool

    /// Alice signs with RSA (implicit authorization), Bob with P-256 (explicit authorization,
    /// raw `r||s` answers): the gateway's test clients, same ids and secrets.
    static var twoClients: [String: Any] {
        [
            "clients": [
                "alice": [
                    "secret": "alice-secret",
                    "credentials": [["id": "alice-rsa", "key": "rsa", "multisign": 100]],
                ],
                "bob": [
                    "secret": "bob-secret",
                    "credentials": [
                        [
                            "id": "bob-ec", "key": "p256", "authMode": "explicit", "multisign": 20,
                            "ecdsaSignature": "raw",
                        ]
                    ],
                ],
            ]
        ]
    }

    init(config: [String: Any] = SimulatorProcess.twoClients, tls: Bool = false, arguments: [String] = []) throws {
        workspace = try Workspace("csc-sim")
        try JSONSerialization.data(withJSONObject: config).write(to: workspace.url("sim.json"))
        port = try Tools.freePort()
        self.tls = tls
        service = try ServiceProcess(
            "signet-csc-sim",
            [
                "--config", workspace.path("sim.json"), "--port", "\(port)", "--export-dir", workspace.path("certs"),
                "--log", workspace.path("requests.jsonl"),
            ] + (tls ? ["--tls", "true"] : []) + arguments,
            log: workspace.url("sim.log"))
    }

    var url: String { "\(tls ? "https" : "http")://\(tls ? "localhost" : "127.0.0.1"):\(port)/" }
    var caFile: String { workspace.path("certs/ca.pem") }
    func chainFile(_ credential: String) -> String { workspace.path("certs/\(credential).pem") }

    /// Waits until the simulator has written its certificates and answers on its port.
    func waitUntilReady(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if service.log().contains("listening on"), FileManager.default.fileExists(atPath: caFile) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("the CSC simulator did not start; log:\n\(service.log())")
    }

    /// `POST /admin/<command>` (down?seconds=N, up, revoke-tokens).
    func admin(_ command: String) async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/admin/\(command)")
        request.method = .POST
        if tls { throw TestFailure("admin calls over TLS are not needed by these tests") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard response.status == .ok else { throw TestFailure("admin \(command): \(response.status)") }
    }

    /// The request log: one object per request, sizes only.
    func requests() throws -> [[String: Any]] {
        let text = (try? String(contentsOfFile: workspace.path("requests.jsonl"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func stop() async throws {
        _ = try await service.stop()
    }
}
