import CSC
import Logging
import Signing

/// With remote signing, the certificate each client service's results must carry: the leaf of
/// its credential as the CSC service's `credentials/info` names it, fetched by the gateway
/// itself (not taken from what signers send) and pinned for the gateway's life. Also answers
/// whether the service is up, for `/health/ready`.
actor RemoteIdentities {
    struct State: Sendable, Encodable, Equatable {
        var url: String
        var reachable: Bool
        var error: String?
    }

    /// The gateway's own CSC backend, used only for identities: its own OAuth2 clients, the
    /// signers' resolution of each client's credential, error codes and retries.
    let backend: CSCBackend
    var service: CSCService { backend.service }
    private let logger: Logger
    /// Counts the calls this makes to the service (`signet_remote_calls_total`).
    let metrics: GatewayMetrics
    private var pinned: [String: SignatureCheck] = [:]
    private var probed: (at: ContinuousClock.Instant, state: State)?
    private let clock = ContinuousClock()

    init(service: CSCService, accounts: [String: RemoteAccount], logger: Logger, metrics: GatewayMetrics) {
        // A short retry budget: a result waiting for its check should not hold on for long; a
        // service that stays down makes the job wait in the queue instead.
        var configuration = CSCBackend.Configuration()
        configuration.retryBudget = .seconds(2)
        self.backend = CSCBackend(service: service, accounts: accounts, configuration: configuration, logger: logger)
        self.logger = logger
        self.metrics = metrics
    }

    /// The check for `client`'s results. A service still unavailable throws a `SigningError`
    /// with `retryAfter` (the result waits and the job runs again later).
    func check(for client: String) async throws(SigningError) -> SignatureCheck {
        if let check = pinned[client] { return check }
        do {
            let identity: SigningIdentity
            do {
                identity = try await backend.identity(for: client)
                metrics.remoteCall(.certificate, succeeded: true)
            } catch {
                metrics.remoteCall(.certificate, succeeded: false)
                throw error
            }
            guard let leaf = identity.chain.first else {
                throw SigningError(code: "BAD_CERTIFICATE", message: "client service \(client): no certificate")
            }
            let check = try SignatureCheck(leafCertificateDER: leaf.der)
            pinned[client] = check
            logger.info("remote certificate pinned", metadata: ["client.id": "\(client)"])
            return check
        } catch let error as SigningError {
            throw error
        } catch {
            throw SigningError(code: "CERT_SERVICE_GLOBAL_ERROR", message: "client service \(client): \(error)")
        }
    }

    /// Whether the service answers `info`, asked at most every 5 s.
    func state() async -> State {
        if let probed, probed.at.duration(to: clock.now) < .seconds(5) { return probed.state }
        var state = State(url: service.apiBase, reachable: true, error: nil)
        do {
            try await service.probe()
            metrics.remoteCall(.probe, succeeded: true)
        } catch {
            metrics.remoteCall(.probe, succeeded: false)
            state.reachable = false
            state.error = error.code
        }
        probed = (clock.now, state)
        return state
    }
}
