import Foundation
import Hummingbird

/// `GET /health/live` (the process answers) and `GET /health/ready` (it can sign: at least one
/// signer is connected). Ready also says whether the development identity is in use.
struct HealthController: Sendable {
    let hub: SignerHub
    let signing: SigningMode.Health

    func addRoutes(to router: some RouterMethods<BasicRequestContext>) {
        router.get("/health/live") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"status":"UP"}"#)))
        }
        router.get("/health/ready") { _, _ in try await self.ready() }
    }

    private struct Readiness: Encodable {
        let status: String
        let signers: Int
        let queuedJobs: Int
        let jobsInFlight: Int
        let signerList: [Dispatcher<ContinuousClock.Instant>.SignerState]
        let signingIdentity: Identity?
        let remoteSigning: RemoteIdentities.State?
    }

    private struct Identity: Encodable {
        let subject: String
        let developmentIdentity: Bool
        let warning: String?
    }

    /// Ready when a signer is connected and, with remote signing, the service answers.
    func ready() async throws -> Response {
        let signers = await hub.signerStates
        var identity: Identity?
        var remote: RemoteIdentities.State?
        switch signing {
        case .local(let local):
            identity = Identity(
                subject: local.signerName, developmentIdentity: local.isDevelopment,
                warning: local.isDevelopment ? "self-signed development identity: NOT FOR PRODUCTION" : nil)
        case .remote(let identities):
            remote = await identities.state()
        }
        let up = !signers.isEmpty && (remote?.reachable ?? true)
        let body = Readiness(
            status: up ? "UP" : "DOWN", signers: signers.count,
            queuedJobs: await hub.queuedCount, jobsInFlight: await hub.inFlightCount,
            signerList: signers, signingIdentity: identity, remoteSigning: remote)
        return try .json(body, status: up ? .ok : .serviceUnavailable)
    }
}
