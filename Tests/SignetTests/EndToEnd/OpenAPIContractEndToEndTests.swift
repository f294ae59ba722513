import Foundation
import TestSupport
import Testing

/// The published contract (`GET /openapi.yaml`) against the running gateway: schemathesis runs
/// every check on every operation it describes (no server error, every status, header, content
/// type and body as documented, invalid input refused, 405 for other methods), and a Python client
/// generated from it by openapi-python-client runs the asynchronous flow.
@Suite(.serialized, .timeLimit(.minutes(15)))
struct OpenAPIContractEndToEndTests {
    static let tools = Shell.packageRoot.appendingPathComponent("Tests/tools")

    @Test func schemathesisFindsNoFailureOnAnyOperation() async throws {
        let gateway = try GatewayProcess(localSigners: 2)
        try await gateway.waitUntilReady(signers: 2)
        do {
            let document = try await gateway.request(.GET, "/openapi.yaml", user: nil)
            #expect(document.status == 200)
            #expect(document.headers.first(name: "Content-Type")?.hasPrefix("application/yaml") == true)
            let documented = OpenAPIDocumentTests.documented(String(decoding: document.body, as: UTF8.self))
            #expect(documented.count >= 20)

            let reports = gateway.directory.appendingPathComponent("schemathesis")
            let run = try await Shell.run(
                "schemathesis",
                [
                    "--config-file", Self.tools.appendingPathComponent("schemathesis.toml").path, "run",
                    "http://127.0.0.1:\(gateway.port)/openapi.yaml", "--auth", "alice:alice-secret",
                    "--max-examples", "25", "--seed", "20261203", "--workers", "1",
                    "--report", "junit", "--report-dir", reports.path,
                ], cwd: gateway.directory, timeout: .seconds(600))
            let tail = String(run.output.suffix(6000))
            #expect(run.status == 0, "schemathesis failed:\n\(tail)")
            // Every operation was tested (but the document schemathesis reads; its stateful
            // phase has a report entry of its own), and requests really went out.
            var tested: Set<String> = []
            for report in try FileManager.default.contentsOfDirectory(atPath: reports.path) {
                let junit = try String(contentsOf: reports.appendingPathComponent(report), encoding: .utf8)
                tested.formUnion(junit.matches(of: /testcase name="([A-Z]+ \/[^"]*)"/).map { String($0.1) })
            }
            #expect(tested == documented.subtracting(["GET /openapi.yaml"]), "\(tail)")
            let generated = run.output.firstMatch(of: /(\d+) generated/).flatMap { Int($0.1) } ?? 0
            #expect(generated > 20 * tested.count, "\(tail)")
            // Whatever schemathesis sent, the gateway and its signers stayed up.
            let ready = try await gateway.request(.GET, "/health/ready", user: nil)
            #expect(ready.status == 200)
            #expect(try await gateway.signerPIDs().count == 2)
        } catch {
            try await gateway.stop()
            throw error
        }
        try await gateway.stop()
    }

    @Test func aGeneratedPythonClientRunsTheAsynchronousFlow() async throws {
        let gateway = try GatewayProcess(localSigners: 2)
        try await gateway.waitUntilReady(signers: 2)
        do {
            let base = "http://127.0.0.1:\(gateway.port)"
            let packages = gateway.directory.appendingPathComponent("generated")
            let generated = try await Shell.run(
                "openapi-python-client",
                [
                    "generate", "--url", base + "/openapi.yaml",
                    "--config", Self.tools.appendingPathComponent("openapi-client.yaml").path,
                    "--output-path", packages.appendingPathComponent("signet_client").path, "--meta", "none",
                ])
            #expect(generated.status == 0, "\(generated.output)")
            // Every operation and model came through (the generator warns about what it leaves out).
            #expect(!generated.output.contains("WARNING"), "\(generated.output)")

            let out = gateway.directory.appendingPathComponent("flow")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let pdf = gateway.directory.appendingPathComponent("invoice.pdf")
            try Data(SamplePDF.page(showing: "Generated client")).write(to: pdf)
            let flow = try await Shell.run(
                "python",
                [
                    Self.tools.appendingPathComponent("generated_client_flow.py").path, packages.path, base, "alice",
                    "alice-secret", pdf.path, out.path,
                ])
            try #require(flow.status == 0, "\(flow.output)")
            let summary = try #require(
                JSONSerialization.jsonObject(with: Data(flow.stdout.utf8)) as? [String: Any], "\(flow.output)")
            #expect(summary["status"] as? String == "EXECUTED")

            // What the generated client brought back, checked by validators nobody here wrote.
            let cades = try await Tools.opensslVerifyDetached(
                signature: try Data(contentsOf: out.appendingPathComponent("note.txt.p7s")),
                content: try Data(contentsOf: out.appendingPathComponent("note.txt")),
                trusting: gateway.developmentCertificate)
            #expect(cades.status == 0, "\(cades.stderr)")
            let pades = try PyHanko.validate(
                out.appendingPathComponent("signed.pdf").path, trust: [gateway.developmentCertificate.path])
            #expect(pades.isValid(signatures: 1), "\(pades.output)")
        } catch {
            try await gateway.stop()
            throw error
        }
        try await gateway.stop()
    }
}
