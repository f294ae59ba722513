import Foundation
import Hummingbird

/// `GET /health/live` (the process answers) and `GET /health/ready` (it can sign: at least one
/// signer is connected). Ready also says whether the development identity is in use.
struct HealthController: Sendable {
    let hub: SignerHub
    let identity: SigningIdentity

    func addRoutes(to router: Router<BasicRequestContext>) {
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
        let signingIdentity: Identity
    }

    private struct Identity: Encodable {
        let subject: String
        let developmentIdentity: Bool
        let warning: String?
    }

    func ready() async throws -> Response {
        let signers = await hub.signerStates
        let body = Readiness(
            status: signers.isEmpty ? "DOWN" : "UP", signers: signers.count,
            queuedJobs: await hub.queuedCount, jobsInFlight: await hub.inFlightCount,
            signerList: signers,
            signingIdentity: Identity(
                subject: identity.signerName, developmentIdentity: identity.isDevelopment,
                warning: identity.isDevelopment ? "self-signed development identity: NOT FOR PRODUCTION" : nil))
        return try .json(body, status: signers.isEmpty ? .serviceUnavailable : .ok)
    }
}
