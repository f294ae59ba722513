import Foundation
import TestSupport
import Testing

/// `/metrics` and `--log-format json` on the real gateway with its local signers: the metrics
/// read by the Prometheus client library's own parser agree with the operations the test ran,
/// and every log line of the gateway and its signers is a JSON object.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ObservabilityEndToEndTests {
    /// One sample as `Tests/tools/prometheus_metrics.py` prints it.
    struct Sample: Decodable {
        var family: String
        var type: String
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// The gateway's `/metrics`, read without credentials and parsed by prometheus_client.
    static func metrics(_ gateway: GatewayProcess) async throws -> [Sample] {
        let answer = try await gateway.request(.GET, "/metrics", user: nil)
        #expect(answer.status == 200)
        #expect(answer.headers.first(name: "Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let parsed = try await Shell.run(
            "python", [Shell.packageRoot.appendingPathComponent("Tests/tools/prometheus_metrics.py").path],
            input: answer.body)
        guard parsed.status == 0 else {
            throw TestFailure(
                "prometheus_client rejected /metrics: \(parsed.stderr)\n\(String(decoding: answer.body, as: UTF8.self))"
            )
        }
        return try JSONDecoder().decode([Sample].self, from: Data(parsed.stdout.utf8))
    }

    /// The value of the one sample with this name and these labels (the `le` of a bucket included).
    static func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples.filter { $0.name == name && $0.labels == labels }
        return matching.count == 1 ? matching[0].value : nil
    }

    @Test func metricsParsedByPrometheusAgreeWithTheOperationsRun() async throws {
        let gateway = try GatewayProcess(localSigners: 2)
        try await gateway.waitUntilReady(signers: 2)
        do {
            let initial = try await Self.metrics(gateway)
            // Every family Signet documents is there from the start, with its type.
            let types = Dictionary(initial.map { ($0.family, $0.type) }, uniquingKeysWith: { first, _ in first })
            for (family, type) in [
                ("signet_operations_started", "counter"), ("signet_documents_finished", "counter"),
                ("signet_documents_given_up", "counter"), ("signet_results_rejected", "counter"),
                ("signet_remote_deferrals", "counter"), ("signet_remote_calls", "counter"),
                ("signet_job_duration_seconds", "histogram"), ("signet_documents_queued", "gauge"),
                ("signet_jobs_in_flight", "gauge"), ("signet_signers_connected", "gauge"),
                ("signet_signer_credit", "gauge"), ("signet_spool_bytes", "gauge"),
            ] {
                #expect(types[family] == type, "\(family): \(types[family] ?? "missing")")
            }

            // Alice: four documents, all signed (CAdES: signed from their digests, no file kept).
            let aliceDocuments = Requests.mixedDocuments(count: 4, seed: 9)
            let aliceBody = try Requests.operation(reference: "metrics-alice", documents: aliceDocuments)
            let alice = try await gateway.request(.POST, "/v1/operations", user: "alice", body: aliceBody)
            #expect(alice.status == 202)
            let aliceID = try #require(alice.json.operationID)
            // Bob: PAdES, one good PDF, one malformed (its signer fails it), one empty (failed at intake).
            let good = Data(SamplePDF.page(showing: "metrics"))
            let malformed = Data("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage\n%%EOF\n".utf8)
            let bob = try await gateway.request(
                .POST, "/v1/operations", user: "bob",
                body: try Requests.operation(
                    reference: "metrics-bob",
                    documents: [
                        .init(name: "good.pdf", contentType: "application/pdf", content: good, signatureType: "PAdES"),
                        .init(
                            name: "malformed.pdf", contentType: "application/pdf", content: malformed,
                            signatureType: "PAdES"),
                        .init(
                            name: "empty.pdf", contentType: "application/pdf", content: Data(), signatureType: "PAdES"),
                    ]))
            #expect(bob.status == 202)
            let bobID = try #require(bob.json.operationID)
            // Alice's request again (the same operation answers), and a request without documents.
            let again = try await gateway.request(.POST, "/v1/operations", user: "alice", body: aliceBody)
            #expect(again.json.operationID == aliceID)
            let empty = try await gateway.request(
                .POST, "/v1/operations", user: "alice", body: try Requests.operation(reference: nil, documents: []))
            #expect(empty.status == 400)

            let aliceStatus = try await gateway.waitForCompletion(aliceID, user: "alice")
            let bobStatus = try await gateway.waitForCompletion(bobID, user: "bob")
            #expect(aliceStatus["status"] as? String == "EXECUTED")
            let bobList = try #require(bobStatus["documentList"] as? [[String: Any]])
            #expect(bobList.map { $0["signStatus"] as? String } == ["SIGNED", "ERROR_SIGNING", "ERROR_SIGNING"])

            let samples = try await Self.metrics(gateway)
            func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
                Self.value(samples, name, labels)
            }
            #expect(value("signet_operations_started_total", ["outcome": "accepted"]) == 2)
            #expect(value("signet_operations_started_total", ["outcome": "existing"]) == 1)
            #expect(value("signet_operations_started_total", ["outcome": "invalid"]) == 1)
            for outcome in ["conflict", "refused", "failed"] {
                #expect(value("signet_operations_started_total", ["outcome": outcome]) == 0, "\(outcome)")
            }
            #expect(value("signet_documents_finished_total", ["status": "signed"]) == 5)
            #expect(value("signet_documents_finished_total", ["status": "error_signing"]) == 2)
            for reason in ["lost", "crashed", "rejected", "unavailable"] {
                #expect(value("signet_documents_given_up_total", ["reason": reason]) == 0, "\(reason)")
            }
            #expect(value("signet_results_rejected_total") == 0)
            #expect(value("signet_remote_deferrals_total") == 0)
            // Six documents went to signers, each once; the empty one never did.
            #expect(value("signet_job_duration_seconds_count") == 6)
            #expect(value("signet_job_duration_seconds_bucket", ["le": "+Inf"]) == 6)
            #expect((value("signet_job_duration_seconds_sum") ?? 0) > 0)
            #expect(value("signet_documents_queued") == 0)
            #expect(value("signet_jobs_in_flight") == 0)
            #expect(value("signet_signers_connected") == 2)
            // Idle signers: all their slots are free again (4 each, the gateway's default).
            #expect(value("signet_signer_credit") == 8)
            // Only the PDFs' files are kept; a result is kept as what it adds to its document.
            #expect(value("signet_spool_bytes", ["kind": "documents"]) == Double(good.count + malformed.count))
            #expect((value("signet_spool_bytes", ["kind": "results"]) ?? 0) > 0)
            // Hummingbird's request metrics share the registry (bootstrapped once in main).
            let postRoute = ["http_route": "/v1/operations", "http_request_method": "POST"]
            #expect(value("hb_requests_total", postRoute.merging(["http_response_status_code": "202"]) { $1 }) == 3)
            #expect(value("hb_requests_total", postRoute.merging(["http_response_status_code": "400"]) { $1 }) == 1)

            // Deleting the operations empties the spool.
            #expect(try await gateway.request(.DELETE, "/v1/operations/\(aliceID)", user: "alice").status == 204)
            #expect(try await gateway.request(.DELETE, "/v1/operations/\(bobID)", user: "bob").status == 204)
            let after = try await Self.metrics(gateway)
            #expect(Self.value(after, "signet_spool_bytes", ["kind": "documents"]) == 0)
            #expect(Self.value(after, "signet_spool_bytes", ["kind": "results"]) == 0)
        } catch {
            Issue.record("\(error)\n\(gateway.log())")
        }
        try await gateway.stop()
    }

    @Test func jsonLogLinesCarryTheOperationAndNoSecrets() async throws {
        let gateway = try GatewayProcess(localSigners: 1, extraArguments: ["--log-format", "json"])
        try await gateway.waitUntilReady()
        let good = Data(SamplePDF.page(showing: "json log"))
        let malformed = Data("%PDF-1.7\nnot really a PDF\n%%EOF\n".utf8)
        var operationID = ""
        do {
            let started = try await gateway.request(
                .POST, "/v1/operations", user: "alice",
                body: try Requests.operation(
                    reference: "json-log",
                    documents: [
                        .init(name: "good.pdf", contentType: "application/pdf", content: good, signatureType: "PAdES"),
                        .init(
                            name: "bad.pdf", contentType: "application/pdf", content: malformed,
                            signatureType: "PAdES"),
                    ]),
                headers: [("X-Request-Id", "e2e-json-1")])
            #expect(started.status == 202)
            #expect(started.headers.first(name: "X-Request-Id") == "e2e-json-1")
            operationID = try #require(started.json.operationID)
            _ = try await gateway.waitForCompletion(operationID, user: "alice")
        } catch {
            Issue.record("\(error)\n\(gateway.log())")
        }
        try await gateway.stop()

        var lines: [[String: Any]] = []
        for line in gateway.log().split(separator: "\n") {
            // The ready line is for people, on stdout (the test's log file holds both streams).
            if line.hasPrefix("Signet ready:") { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                Issue.record("not a JSON object: \(line)")
                continue
            }
            for key in ["timestamp", "level", "label", "message", "source"] {
                #expect(object[key] is String, "\(key) missing: \(line)")
            }
            lines.append(object)
        }
        func saying(_ message: String) -> [[String: Any]] { lines.filter { $0["message"] as? String == message } }
        let accepted = try #require(saying("operation accepted").first)
        #expect(accepted["operation.id"] as? String == operationID)
        #expect(accepted["request.id"] as? String == "e2e-json-1")
        #expect(accepted["client.id"] as? String == "alice")
        let failed = try #require(saying("document not signed").first)
        #expect(failed["operation.id"] as? String == operationID)
        #expect(failed["document.index"] as? String == "1")
        #expect(failed["job.attempt"] as? String == "1")
        #expect((failed["sign.error"] as? String)?.isEmpty == false)
        let finished = try #require(saying("operation finished").first)
        #expect(finished["operation.id"] as? String == operationID)
        #expect(finished["documents.signed"] as? String == "1")
        #expect(finished["documents.failed"] as? String == "1")
        // The local signer got the flag too.
        #expect(lines.contains { $0["label"] as? String == "signet.signer" })

        // Neither the client's secret nor the documents' content is in the log.
        let log = gateway.log()
        for secret in ["alice-secret", good.base64EncodedString(), malformed.base64EncodedString(), "not really a PDF"]
        {
            #expect(!log.contains(secret), "the log holds \(secret.prefix(40))")
        }
    }
}
