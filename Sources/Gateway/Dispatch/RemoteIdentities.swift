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

    let service: CSCService
    private let accounts: [String: RemoteAccount]
    private let logger: Logger
    private var clients: [String: CSCClient] = [:]
    private var pinned: [String: SignatureCheck] = [:]
    private var probed: (at: ContinuousClock.Instant, state: State)?
    private let clock = ContinuousClock()

    init(service: CSCService, accounts: [String: RemoteAccount], logger: Logger) {
        self.service = service
        self.accounts = accounts
        self.logger = logger
    }

    /// The check for `client`'s results. A transient failure of the service throws a
    /// `SigningError` with `retryAfter` (the result waits and the job runs again later).
    func check(for client: String) async throws(SigningError) -> SignatureCheck {
        if let check = pinned[client] { return check }
        guard let account = accounts[client] else {
            throw SigningError(
                code: "INVALID_CERT_SERVICE_CREDS", message: "client service \(client) has no remote account")
        }
        let cscClient =
            clients[client]
            ?? CSCClient(
                service: service, clientID: account.clientID, clientSecret: account.clientSecret, logger: logger)
        clients[client] = cscClient
        do {
            let id: String
            if let wanted = account.credentialID {
                id = wanted
            } else {
                guard let first = try await cscClient.listCredentials().first else {
                    throw CSCError.credentialNotAllowed("the remote account lists no credential")
                }
                id = first
            }
            let credential = try await cscClient.credential(id)
            let check = try SignatureCheck(leafCertificateDER: credential.chain[0])
            pinned[client] = check
            logger.info(
                "remote certificate pinned", metadata: ["client.id": "\(client)", "csc.credential": "\(id)"])
            return check
        } catch let error as CSCError {
            if error.isTransient {
                throw SigningError(code: "CERT_SERVICE_UNAVAILABLE", message: error.message, retryAfter: .seconds(1))
            }
            throw CSCBackend.signingError(error, client: client)
        } catch let error as SigningError {
            throw error
        } catch {
            throw SigningError(code: "CERT_SERVICE_GLOBAL_ERROR", message: "\(error)")
        }
    }

    /// Whether the service answers `info`, asked at most every 5 s.
    func state() async -> State {
        if let probed, probed.at.duration(to: clock.now) < .seconds(5) { return probed.state }
        var state = State(url: service.apiBase, reachable: true, error: nil)
        do {
            try await service.probe()
        } catch {
            state.reachable = false
            state.error = error.code
        }
        probed = (clock.now, state)
        return state
    }
}
