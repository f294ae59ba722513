import CSC
import ServiceLifecycle

/// Keeps a `CSCService`'s HTTP client open while the process runs and shuts it down when the
/// service group stops (AsyncHTTPClient must be shut down before it is released). Put it first
/// in the group: services stop in reverse order, so it closes after those that call it.
public struct RemoteServiceLifetime: Service {
    let service: CSCService

    public init(_ service: CSCService) {
        self.service = service
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try await service.shutdown()
    }
}
