import CSC
import Common
import Foundation
import Logging
import ServiceLifecycle
import Signing

/// `signet-signer`: reads its flags, loads the signing key and runs one session per gateway.
@main
struct SignerMain {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            print(SignerConfiguration.usage)
            return
        }
        if let index = arguments.firstIndex(where: {
            $0 == "--generate-curve-key" || $0.hasPrefix("--generate-curve-key=")
        }) {
            let argument = arguments[index]
            let file =
                argument.contains("=")
                ? String(argument.drop(while: { $0 != "=" }).dropFirst()) : arguments.dropFirst(index + 1).first ?? ""
            do {
                let pair = try CurveKeyPair.generate()
                try pair.write(
                    secretKeyFile: file,
                    comment: "Signet signer key: keep it secret; authorize its public key at the gateway")
                print(pair.publicKey)
            } catch {
                FileHandle.standardError.write(Data("signet-signer: \(error)\n".utf8))
                exit(1)
            }
            return
        }
        let configuration: SignerConfiguration
        do {
            configuration = try SignerConfiguration(arguments: arguments)
        } catch {
            FileHandle.standardError.write(Data("signet-signer: \(error)\n".utf8))
            exit(1)
        }
        configuration.logFormat.bootstrap(level: Logger.Level(rawValue: configuration.logLevel) ?? .info)
        let logger = Logger(label: "signet.signer")
        let backend: (signing: any SigningBackend, lifetime: RemoteServiceLifetime?)
        do {
            backend = try makeBackend(configuration, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("signet-signer: \(error)\n".utf8))
            exit(1)
        }
        let context = ZMQContext()
        let group = buildServiceGroup(
            configuration: configuration, backend: backend.signing, context: context, logger: logger,
            before: backend.lifetime.map { [$0] } ?? [])
        do {
            try await group.run()
        } catch {
            logger.error("signer failed", metadata: ["error": "\(error)"])
            exit(1)
        }
        // Every session has closed its socket. Terminating the context is what makes LINGER
        // apply: libzmq's I/O thread delivers the last RESULTs and the DISCONNECT (within 1 s)
        // before the process exits, instead of dying with them still queued. Nothing else runs
        // any more, so blocking here for that second is harmless.
        context.terminate()
    }
}

/// The remote CSC service when `--remote-url` is given, else the local key.
/// A remote service comes with the lifetime that shuts its HTTP client down.
func makeBackend(_ configuration: SignerConfiguration, logger: Logger) throws -> (
    signing: any SigningBackend, lifetime: RemoteServiceLifetime?
) {
    guard let url = configuration.remoteURL else {
        try PrivateFiles.checkOwnerOnly(configuration.signingKey, what: "signing key")
        return (
            try LocalKeyBackend(keyFile: configuration.signingKey, certificateFile: configuration.signingCert), nil
        )
    }
    let service = try CSCService(
        configuration: .init(
            baseURL: url, proxy: configuration.remoteProxy.map { .init(host: $0.host, port: $0.port) },
            extraCAFile: configuration.remoteCAFile),
        logger: logger)
    let accounts = try RemoteAccount.load(from: configuration.clientServicesFile)
    logger.info(
        "signing with a remote CSC API v2 service",
        metadata: ["csc.url": "\(service.apiBase)", "csc.clients": "\(accounts.count)"])
    return (CSCBackend(service: service, accounts: accounts, logger: logger), RemoteServiceLifetime(service))
}

/// One `SignerSession` per gateway, sharing the signing backend (and so its batches); SIGTERM and
/// SIGINT drain them. `before` run first and stop last (the remote service's HTTP client).
/// `context` is terminated by the caller once the group has run.
func buildServiceGroup(
    configuration: SignerConfiguration, backend: any SigningBackend, context: ZMQContext, logger: Logger,
    before: [any Service] = []
) -> ServiceGroup {
    let signer = DocumentSigner(
        backend: backend, timestampAuthority: configuration.tsaURL.map { TimestampAuthority(url: $0) })
    let signerID = UUID().uuidString.lowercased()
    let sessions = configuration.gateways.enumerated().map { index, gateway in
        SignerSession(
            configuration: .init(
                gateway: gateway, signerID: configuration.gateways.count == 1 ? signerID : "\(signerID)-\(index)",
                slots: configuration.slots, heartbeatInterval: configuration.heartbeatInterval,
                liveness: configuration.liveness, shutdownGrace: configuration.shutdownGrace,
                exitWithParent: configuration.exitWithParent,
                curve: configuration.gatewayPublicKey.flatMap { key in configuration.curveKeys.map { (key, $0) } }),
            signer: signer, context: context, logger: logger)
    }
    return ServiceGroup(
        configuration: .init(
            services: before.map { .init(service: $0) } + sessions.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
}
