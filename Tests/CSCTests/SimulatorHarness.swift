import CSC
import CSCSimulator
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The simulator started in process on loopback, and CSC clients against it.
enum SimulatorHarness {
    static let logger: Logger = {
        var logger = Logger(label: "csc-tests")
        logger.logLevel = .warning
        return logger
    }()

    /// Runs `body` with a simulator listening on 127.0.0.1 and its base URL.
    static func withSimulator<Value: Sendable>(
        _ configuration: SimulatorConfiguration, options: SimulatorOptions = .init(),
        _ body: @Sendable (CSCSimulator, String) async throws -> Value
    ) async throws -> Value {
        let simulator = try CSCSimulator(configuration: configuration, options: options)
        let application = try simulator.buildApplication(logger: logger)
        return try await application.test(.live) { client in
            let port = try #require(client.port)
            let scheme = options.tls ? "https" : "http"
            return try await body(simulator, "\(scheme)://127.0.0.1:\(port)")
        }
    }

    /// Runs `body` with a service at `url` (shut down afterwards).
    static func withService<Value: Sendable>(
        _ configuration: CSCService.Configuration, _ body: @Sendable (CSCService) async throws -> Value
    ) async throws -> Value {
        let service = try CSCService(configuration: configuration, logger: logger)
        do {
            let value = try await body(service)
            try await service.shutdown()
            return value
        } catch {
            try? await service.shutdown()
            throw error
        }
    }

    /// A client `id`/`secret` of the service at `url`.
    static func withClient<Value: Sendable>(
        _ url: String, id: String, secret: String, _ body: @Sendable (CSCClient) async throws -> Value
    ) async throws -> Value {
        try await withService(.init(baseURL: url, requestTimeout: .seconds(20))) { service in
            try await body(CSCClient(service: service, clientID: id, clientSecret: secret, logger: logger))
        }
    }

    /// Two clients: `alice` with an implicit RSA credential (multisign 5), an explicit P-256
    /// one (DER, multisign 3), a raw-signature P-256 one and an expired one; `bob` with one
    /// P-256 credential.
    static var configuration: SimulatorConfiguration {
        get throws {
            try SimulatorConfiguration(
                clients: [
                    "alice": .init(
                        secret: "alice-secret",
                        credentials: [
                            .init(id: "alice-rsa", key: .rsa, authMode: .implicit, multisign: 5),
                            .init(id: "alice-ec", key: .p256, authMode: .explicit, multisign: 3),
                            .init(id: "alice-ec-raw", key: .p256, multisign: 10, ecdsaSignature: .raw),
                            .init(id: "alice-old", key: .p256, expired: true),
                        ]),
                    "bob": .init(secret: "bob-secret", credentials: [.init(id: "bob-ec", key: .p256, multisign: 2)]),
                ], tokenLifetime: 3600)
        }
    }
}

/// Digests of some distinct messages.
func digests(_ count: Int, salt: String = "") -> [SHA256.Digest] {
    (0..<count).map { SHA256.hash(data: Array("invoice \(salt) \($0)".utf8)) }
}
