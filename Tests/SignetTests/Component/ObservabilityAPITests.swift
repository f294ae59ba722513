import Common
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import Signing
import TestSupport
import Testing

@testable import Gateway

/// Request ids and `/metrics` through the router in process (docs/operations.md, "Metrics and
/// logs"). The signer side is played by DEALER sockets on the hub's real endpoint.
@Suite(.timeLimit(.minutes(2)))
struct ObservabilityAPITests {
    typealias API = GatewayAPITests

    static func requestID(_ response: TestResponse) -> String? { response.headers[.requestID] }

    @Test func everyAnswerCarriesItsOwnRequestID() async throws {
        let (built, workspace, _) = try await API.gateway()
        try await built.application.test(.router) { client in
            let answers: [(expected: HTTPResponse.Status, response: TestResponse)] = [
                (.ok, try await client.execute(uri: "/health/live", method: .get)),
                // No signer is connected.
                (.serviceUnavailable, try await client.execute(uri: "/health/ready", method: .get)),
                (.ok, try await client.execute(uri: "/metrics", method: .get)),
                (
                    .accepted,
                    try await client.execute(
                        uri: "/v1/operations", method: .post, headers: API.headers(), body: try API.body(documents: 1))
                ),
                (
                    .unauthorized,
                    try await client.execute(
                        uri: "/v1/operations", method: .post, headers: [.contentType: "application/json"],
                        body: try API.body(documents: 1))
                ),
                (.notFound, try await client.execute(uri: "/no/such/route", method: .get)),
                (.notFound, try await client.execute(uri: "/v1/operations/123", method: .get, headers: API.headers())),
                (
                    .unsupportedMediaType,
                    try await client.execute(
                        uri: "/v1/operations", method: .post, headers: API.headers(contentType: "text/plain"),
                        body: try API.body(documents: 1))
                ),
                (
                    .badRequest,
                    try await client.execute(
                        uri: "/v1/operations", method: .post, headers: API.headers(), body: try API.body(documents: 0))
                ),
            ]
            var ids: Set<String> = []
            for (expected, response) in answers {
                #expect(response.status == expected)
                let id = try #require(Self.requestID(response), "no X-Request-Id on a \(response.status) answer")
                #expect(RequestIDMiddleware<BasicRequestContext>.sane(id) == id)
                ids.insert(id)
            }
            #expect(ids.count == answers.count, "generated request ids repeat: \(ids)")
        }
        withExtendedLifetime(workspace) {}  // its state folder holds the spool
    }

    @Test func aSaneRequestIDIsEchoedAndLoggedAHostileOneReplaced() async throws {
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test.gateway") { _ in handler }
        let (built, workspace, _) = try await API.gateway(logger: logger)
        try await built.application.test(.router) { client in
            func call(_ uri: String, _ method: HTTPRequest.Method, id: String, body: ByteBuffer? = nil) async throws
                -> TestResponse
            {
                var headers = API.headers()
                headers[.requestID] = id
                return try await client.execute(uri: uri, method: method, headers: headers, body: body)
            }
            let given = "client-7f3a:trace/42"
            let started = try await call("/v1/operations", .post, id: given, body: try API.body(documents: 1))
            #expect(started.status == .accepted)
            #expect(Self.requestID(started) == given)
            let operationID = try #require(API.json(started).operationID)
            // Error answers echo it too.
            let missing = try await call("/v1/operations/123", .get, id: "lookup-1")
            #expect(missing.status == .notFound)
            #expect(Self.requestID(missing) == "lookup-1")
            let longest = String(repeating: "a", count: RequestIDMiddleware<BasicRequestContext>.maxLength)
            #expect(Self.requestID(try await call("/v1/operations/123", .get, id: longest)) == longest)

            let hostile = [
                String(repeating: "b", count: RequestIDMiddleware<BasicRequestContext>.maxLength + 1),
                "tab\tinside", "new\u{01}control", "spaced id", "ünïcode", "",
            ]
            for value in hostile {
                let answer = try await call("/v1/operations/123", .get, id: value)
                let id = try #require(Self.requestID(answer))
                #expect(id != value)
                #expect(RequestIDMiddleware<BasicRequestContext>.sane(id) == id, "replaced by '\(id)'")
            }

            // The request's log lines carry its id beside the operation's.
            let accepted = handler.entries.filter { $0.message.description == "operation accepted" }
            #expect(accepted.count == 1)
            #expect(accepted.first?.metadata["request.id"]?.description == given)
            #expect(accepted.first?.metadata["operation.id"]?.description == operationID)
        }
        withExtendedLifetime(workspace) {}  // its state folder holds the spool
    }

    @Test func saneRequestIDs() {
        typealias Middleware = RequestIDMiddleware<BasicRequestContext>
        #expect(Middleware.sane("4bf92f3577b34da6a3ce929d0e0e4736") == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(Middleware.sane("a") == "a")
        #expect(Middleware.sane("~!#$%&'*+-.^_`|") == "~!#$%&'*+-.^_`|")
        for hostile in [
            nil, "", " ", "a b", "a\r\nSet-Cookie: x=1", "a\u{7F}", "é", String(repeating: "x", count: 129),
        ] {
            #expect(Middleware.sane(hostile) == nil, "\(String(describing: hostile))")
        }
    }

    /// Each gateway counts only its own work, however many are built in one process; the
    /// counters and gauges follow what a signer does with the jobs: a result rejected, a
    /// deferral (remote service unavailable), a signature, a failure, and the spool emptied
    /// when the operation is deleted.
    @Test func metricsFollowTheJobsAndBelongToTheirGateway() async throws {
        let (built, workspace, keys) = try await API.gateway()
        try await built.application.test(.router) { client in
            func metrics() async throws -> [String: Double] {
                let answer = try await client.execute(uri: "/metrics", method: .get)
                #expect(answer.status == .ok)
                #expect(answer.headers[.contentType] == MetricsController.contentType)
                return Self.samples(String(buffer: answer.body))
            }
            /// The hub follows the operation table through events: wait until it has seen them.
            func metrics(once condition: ([String: Double]) -> Bool) async throws -> [String: Double] {
                let deadline = ContinuousClock.now.advanced(by: .seconds(10))
                var samples = try await metrics()
                while !condition(samples) && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                    samples = try await metrics()
                }
                return samples
            }
            let notPDF = Data("not a pdf".utf8)
            let body = try API.body([
                [
                    "documentRequest": ["name": "a.txt", "base64Content": Data("hello 0".utf8).base64EncodedString()],
                    "signatureInfo": ["signatureType": "CAdES"],
                ],
                [
                    "documentRequest": ["name": "b.pdf", "base64Content": notPDF.base64EncodedString()],
                    "signatureInfo": ["signatureType": "PAdES"],
                ],
                [
                    "documentRequest": ["name": "empty.txt", "base64Content": ""],
                    "signatureInfo": ["signatureType": "CAdES"],
                ],
            ])
            var headers = API.headers()
            headers[.idempotencyKey] = "metrics-1"
            let started = try await client.execute(uri: "/v1/operations", method: .post, headers: headers, body: body)
            #expect(started.status == .accepted)
            let id = try #require(API.json(started).operationID)
            let again = try await client.execute(uri: "/v1/operations", method: .post, headers: headers, body: body)
            #expect(API.json(again).operationID == id)
            _ = try await client.execute(
                uri: "/v1/operations", method: .post, headers: API.headers(), body: try API.body(documents: 0))

            var before = try await metrics(once: { $0["signet_documents_queued"] == 2 })
            #expect(before[#"signet_operations_started_total{outcome="accepted"}"#] == 1)
            #expect(before[#"signet_operations_started_total{outcome="existing"}"#] == 1)
            #expect(before[#"signet_operations_started_total{outcome="invalid"}"#] == 1)
            #expect(before[#"signet_operations_started_total{outcome="refused"}"#] == 0)
            // The empty document failed at intake; the two others wait for a signer.
            #expect(before[#"signet_documents_finished_total{status="error_signing"}"#] == 1)
            #expect(before["signet_documents_queued"] == 2)
            #expect(before["signet_signers_connected"] == 0)
            // A CAdES document is signed from its digest: only the PDF's file is kept.
            #expect(before[#"signet_spool_bytes{kind="documents"}"#] == Double(notPDF.count))
            #expect(before[#"signet_spool_bytes{kind="results"}"#] == 0)

            let signer = try await FakeSigner(
                endpoint: try await built.hub.boundEndpoint(), id: "played", serverKey: built.signerPublicKey,
                keys: keys)
            signer.send(.ready(.init(signerID: signer.id, credit: 2, pid: 1, host: "test")))
            // Both jobs may come in one batch: each is kept as the batch is read.
            let received = Locked<[Int: WireMessage.Job]>([:])
            _ = try await signer.nextMessage { message in
                guard case .job(let job, _) = message else { return false }
                return received.withLock {
                    $0[job.document] = job
                    return $0.count == 2
                }
            }
            let jobs = received.withLock { $0 }
            let cades = try #require(jobs[0])
            let pades = try #require(jobs[1])
            let during = try await metrics()
            #expect(during["signet_documents_queued"] == 0)
            #expect(during["signet_jobs_in_flight"] == 2)
            #expect(during["signet_signers_connected"] == 1)
            #expect(during["signet_signer_credit"] == 0)

            // Not a signature: rejected, and the job comes back.
            signer.send(.result(.init(job: cades, signed: true), body: Array("junk".utf8)))
            let (retried, _) = try await signer.nextJobWithBody()
            #expect(retried.document == 0 && retried.attempt == 2)
            let documentSigner = DocumentSigner(
                backend: try LocalKeyBackend(
                    keyFile: workspace.path("state/dev-signing-key.pem"),
                    certificateFile: workspace.path("state/dev-signing-cert.pem")))
            let signed = try await documentSigner.sign(
                [], parameters: retried.signature, client: retried.clientService ?? "",
                expectedDigest: retried.contentDigest)
            signer.send(.result(.init(job: retried, signed: true), body: signed))
            // The remote service is unavailable for the PDF: it waits, comes back, then fails.
            signer.send(
                .result(
                    .init(job: pades, signed: false, signError: "CERT_SERVICE_GLOBAL_ERROR", retryAfter: 0.1), body: [])
            )
            let (deferred, _) = try await signer.nextJobWithBody()
            #expect(deferred.document == 1 && deferred.attempt == 2)
            signer.send(
                .result(
                    .init(job: deferred, signed: false, signError: "INVALID_PDF", errorMessage: "not a PDF"), body: []))
            let status = try await API.waitForCompletion(id, client: client)
            #expect(status["status"] as? String == "EXECUTED")

            let after = try await metrics()
            #expect(after[#"signet_documents_finished_total{status="signed"}"#] == 1)
            #expect(after[#"signet_documents_finished_total{status="error_signing"}"#] == 2)
            #expect(after["signet_results_rejected_total"] == 1)
            #expect(after["signet_remote_deferrals_total"] == 1)
            #expect(after[#"signet_documents_given_up_total{reason="rejected"}"#] == 0)
            // Every result answering its lease was timed: junk, signature, deferral, failure.
            #expect(after["signet_job_duration_seconds_count"] == 4)
            #expect(after[#"signet_job_duration_seconds_bucket{le="+Inf"}"#] == 4)
            #expect(after["signet_documents_queued"] == 0)
            #expect(after["signet_jobs_in_flight"] == 0)
            #expect(after["signet_signer_credit"] == 2)
            // A CAdES result is stored whole.
            #expect(after[#"signet_spool_bytes{kind="results"}"#] == Double(signed.count))

            let deleted = try await client.execute(uri: "/v1/operations/\(id)", method: .delete, headers: API.headers())
            #expect(deleted.status == .noContent)
            before = try await metrics()
            #expect(before[#"signet_spool_bytes{kind="documents"}"#] == 0)
            #expect(before[#"signet_spool_bytes{kind="results"}"#] == 0)
            await signer.close()
        }

        // A second gateway in the same process starts from zero.
        let (other, otherWorkspace, _) = try await API.gateway()
        try await other.application.test(.router) { client in
            let answer = try await client.execute(uri: "/metrics", method: .get)
            let samples = Self.samples(String(buffer: answer.body))
            #expect(samples[#"signet_operations_started_total{outcome="accepted"}"#] == 0)
            #expect(samples[#"signet_documents_finished_total{status="signed"}"#] == 0)
        }
        withExtendedLifetime((workspace, otherWorkspace)) {}  // their state folders hold the spools
    }

    /// The samples of a Prometheus text exposition by name and labels, the labels sorted:
    /// `name{a="1",b="2"}`. (The end-to-end test reads it with Prometheus' own parser.)
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            var key = String(line[..<space])
            if let brace = key.firstIndex(of: "{"), key.hasSuffix("}") {
                let labels = key[key.index(after: brace)..<key.index(before: key.endIndex)].split(separator: ",")
                key = key[..<brace] + "{" + labels.sorted().joined(separator: ",") + "}"
            }
            samples[key] = value
        }
        return samples
    }
}
