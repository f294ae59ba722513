import CoreMetrics
import Prometheus

/// What the gateway counts and measures, exported in Prometheus' text format at `GET /metrics`
/// (every name, type and label in docs/operations.md, "Metrics and logs"). Few metrics, named
/// `signet_…`, with labels whose values are fixed lists: never a client, operation or signer id.
///
/// Each gateway owns its registry, and its metrics are made through swift-metrics with that
/// registry's factory passed in (`Counter(label:dimensions:factory:)`), not through the global
/// `MetricsSystem`: the global system can be bootstrapped once per process, while tests build
/// many gateways in one process and each must count only its own work. `GatewayMain` does
/// bootstrap the global system, once, with a factory over the same registry, so what libraries
/// report through swift-metrics (Hummingbird's `MetricsMiddleware`: HTTP requests by route and
/// status, and their duration) is exported beside Signet's own metrics; in tests it stays the
/// no-op system.
///
/// Counters count from the gateway's start. Gauges that describe the dispatcher and the spool
/// are read when `/metrics` is asked (`MetricsController`), so the hot paths pay nothing for them.
final class GatewayMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    /// How a request to start an operation (`POST /v1/operations`, the synchronous paths) ended.
    enum StartOutcome: String, CaseIterable, Sendable {
        /// A new operation was stored.
        case accepted
        /// The same request again (reference or `Idempotency-Key`): the existing operation answered.
        case existing
        /// The reference or key belongs to another payload (409).
        case conflict
        /// Refused for capacity: queue full, too many running operations, disk full (503, 429, 507).
        case refused
        /// Any other client error (400, 408, 413, 415).
        case invalid
        /// The gateway could not store it (500).
        case failed
    }

    /// Why the gateway itself failed a document (`Dispatcher.Loss`).
    enum GiveUp: String, CaseIterable, Sendable {
        case lost, crashed, rejected, unavailable
    }

    /// The gateway's own calls to the remote signing service (`RemoteIdentities`).
    enum RemoteCall: String, CaseIterable, Sendable {
        /// A client service's certificate, pinned to check its results.
        case certificate
        /// The readiness probe (`/health/ready`).
        case probe
    }

    private let operationsStarted: [StartOutcome: CoreMetrics.Counter]
    private let documentsSigned: CoreMetrics.Counter
    private let documentsFailed: CoreMetrics.Counter
    private let documentsGivenUp: [GiveUp: CoreMetrics.Counter]
    private let resultsRejected: CoreMetrics.Counter
    private let remoteDeferrals: CoreMetrics.Counter
    private let remoteCalls: [RemoteCall: (success: CoreMetrics.Counter, failure: CoreMetrics.Counter)]
    private let jobDuration: CoreMetrics.Timer
    private let documentsQueued: CoreMetrics.Gauge
    private let jobsInFlight: CoreMetrics.Gauge
    private let signersConnected: CoreMetrics.Gauge
    private let signerCredit: CoreMetrics.Gauge
    private let spoolDocumentBytes: CoreMetrics.Gauge
    private let spoolResultBytes: CoreMetrics.Gauge

    /// Signing one document takes milliseconds with a local key and a remote call's latency
    /// (hundreds of ms, seconds when batches wait) with a remote service.
    static let jobDurationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60), .seconds(120),
    ]

    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["signet_job_duration_seconds"] = Self.jobDurationBuckets
        self.factory = factory
        // Every labelled series exists from the start (at 0), so a query never sees a hole.
        operationsStarted = Dictionary(
            uniqueKeysWithValues: StartOutcome.allCases.map {
                (
                    $0,
                    CoreMetrics.Counter(
                        label: "signet_operations_started_total", dimensions: [("outcome", $0.rawValue)],
                        factory: factory)
                )
            })
        documentsSigned = CoreMetrics.Counter(
            label: "signet_documents_finished_total", dimensions: [("status", "signed")], factory: factory)
        documentsFailed = CoreMetrics.Counter(
            label: "signet_documents_finished_total", dimensions: [("status", "error_signing")], factory: factory)
        documentsGivenUp = Dictionary(
            uniqueKeysWithValues: GiveUp.allCases.map {
                (
                    $0,
                    CoreMetrics.Counter(
                        label: "signet_documents_given_up_total", dimensions: [("reason", $0.rawValue)],
                        factory: factory)
                )
            })
        resultsRejected = CoreMetrics.Counter(label: "signet_results_rejected_total", factory: factory)
        remoteDeferrals = CoreMetrics.Counter(label: "signet_remote_deferrals_total", factory: factory)
        remoteCalls = Dictionary(
            uniqueKeysWithValues: RemoteCall.allCases.map { call in
                let counters = ["success", "failure"].map {
                    CoreMetrics.Counter(
                        label: "signet_remote_calls_total", dimensions: [("call", call.rawValue), ("outcome", $0)],
                        factory: factory)
                }
                return (call, (counters[0], counters[1]))
            })
        jobDuration = CoreMetrics.Timer(label: "signet_job_duration_seconds", factory: factory)
        documentsQueued = CoreMetrics.Gauge(label: "signet_documents_queued", factory: factory)
        jobsInFlight = CoreMetrics.Gauge(label: "signet_jobs_in_flight", factory: factory)
        signersConnected = CoreMetrics.Gauge(label: "signet_signers_connected", factory: factory)
        signerCredit = CoreMetrics.Gauge(label: "signet_signer_credit", factory: factory)
        spoolDocumentBytes = CoreMetrics.Gauge(
            label: "signet_spool_bytes", dimensions: [("kind", "documents")], factory: factory)
        spoolResultBytes = CoreMetrics.Gauge(
            label: "signet_spool_bytes", dimensions: [("kind", "results")], factory: factory)
    }

    // MARK: - Events

    func operationStarted(_ outcome: StartOutcome) {
        operationsStarted[outcome]?.increment()
    }

    /// A document reached its final status (signed, or failed by a signer, by the gateway or at intake).
    func documentFinished(signed: Bool) {
        (signed ? documentsSigned : documentsFailed).increment()
    }

    func documentGivenUp(_ reason: GiveUp) {
        documentsGivenUp[reason]?.increment()
    }

    /// A signer's signed result failed the gateway's check (not stored; the job runs again).
    func resultRejected() {
        resultsRejected.increment()
    }

    /// A signer reported the remote signing service unavailable (`retryAfter`): the job waits.
    func remoteDeferred() {
        remoteDeferrals.increment()
    }

    func remoteCall(_ call: RemoteCall, succeeded: Bool) {
        guard let counters = remoteCalls[call] else { return }
        (succeeded ? counters.success : counters.failure).increment()
    }

    /// From sending a job to a signer to receiving its result.
    func jobFinished(after duration: Duration) {
        jobDuration.recordNanoseconds(duration.nanoseconds)
    }

    // MARK: - State, read at each scrape

    func dispatcher(queued: Int, inFlight: Int, signers: Int, credit: Int) {
        documentsQueued.record(queued)
        jobsInFlight.record(inFlight)
        signersConnected.record(signers)
        signerCredit.record(credit)
    }

    func spool(_ usage: SpoolUsage) {
        spoolDocumentBytes.record(usage.documentBytes)
        spoolResultBytes.record(usage.resultBytes)
    }

    /// Everything in Prometheus' text exposition format (version 0.0.4).
    func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}

extension GatewayMetrics.GiveUp {
    init(_ loss: Dispatcher<ContinuousClock.Instant>.Loss) {
        switch loss {
        case .lost: self = .lost
        case .crashed: self = .crashed
        case .rejected: self = .rejected
        case .unavailable: self = .unavailable
        }
    }
}
