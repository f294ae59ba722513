import CSC
import Common
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Signing

/// What `buildApplication` returns: the HTTP application with its services, plus handles tests use.
struct GatewayApplication {
    let application: Application<RouterResponder<BasicRequestContext>>
    let hub: SignerHub
    let registry: OperationRegistry
    let supervisor: LocalSignerSupervisor
    /// What signers pass as `--gateway-public-key`.
    let signerPublicKey: String
    /// Every path the API serves, with its methods (`AllowedMethods.table`).
    let routes: [(path: String, methods: [String])]
}

struct StartupError: Error, CustomStringConvertible {
    let description: String
}

/// Builds the gateway: signing identity, client services, operation table (recovered from the
/// state folder), signer hub, local
/// signers and the HTTP API. The services run in that order and stop in reverse.
func buildApplication(
    configuration: GatewayConfiguration,
    logger: Logger,
    metrics: GatewayMetrics = GatewayMetrics(),
    onReady:
        @escaping @Sendable (_ httpPort: Int, _ signerEndpoint: String, _ signerPublicKey: String) async -> Void = {
            _, _, _ in
        }
) async throws -> GatewayApplication {
    let clients: ClientServices
    do {
        clients = try ClientServices.load(from: configuration.clientServicesFile)
    } catch {
        throw StartupError(description: "\(error)")
    }
    do {
        try PrivateFiles.createDirectory(configuration.stateDirectory)
    } catch {
        throw StartupError(description: "state folder: \(error)")
    }
    let keys = try signerChannelKeys(configuration)
    let signing = try signingMode(configuration, logger: logger, metrics: metrics)
    let registry: OperationRegistry
    do {
        let store = try SQLiteOperationStore(path: configuration.databaseFile)
        let spool = try Spool(root: configuration.spoolDirectory)
        registry = OperationRegistry(
            configuration: .init(
                resultTTL: configuration.resultTTL, maxQueuedDocuments: configuration.maxQueuedDocuments,
                maxRunningOperationsPerClient: configuration.maxRunningOperationsPerClient,
                purgeInterval: configuration.purgeInterval),
            store: store, spool: spool, logger: logger, metrics: metrics)
        _ = try await registry.recover()
    } catch {
        throw StartupError(description: "operation store in \(configuration.stateDirectory): \(error)")
    }
    let context = ZMQContext()
    let hub = SignerHub(
        configuration: .init(
            endpoint: configuration.signerEndpoint,
            dispatcher: .init(
                heartbeatInterval: configuration.heartbeatInterval, liveness: configuration.liveness,
                lease: configuration.jobLease, maxAttempts: configuration.maxAttempts,
                maxBytesInFlight: configuration.maxBytesInFlight, retryDeadline: configuration.remoteRetryDeadline),
            maxMessageBytes: Int64(configuration.maxRequestBytes), serverKeys: keys.server,
            keyring: keys.keyring, localSocket: configuration.localSignerSocket, identities: signing.identities),
        registry: registry, context: context, logger: logger)
    let signerExecutable = configuration.signerExecutable ?? defaultSignerExecutable()
    let supervisor = LocalSignerSupervisor(
        configuration: .init(
            count: configuration.localSigners, executable: signerExecutable,
            arguments: signing.signerArguments + [
                "--slots", "\(configuration.signerSlots)",
                "--heartbeat",
                "\(Double(configuration.heartbeatInterval.components.seconds) + Double(configuration.heartbeatInterval.components.attoseconds) / 1e18)",
                "--liveness", "\(configuration.liveness)", "--log-level", configuration.logLevel,
            ]
                + (configuration.localSignerSocket == nil
                    ? ["--gateway-public-key", keys.server.publicKey, "--curve-key", configuration.localSignerKeyFile]
                    : [])
                + (configuration.tsaURL.map { ["--tsa-url", $0] } ?? [])
                + ["--log-format", configuration.logFormat.rawValue]),
        endpoint: {
            let bound = try await hub.boundEndpoint()
            return configuration.localSignerSocket ?? GatewayConfiguration.localEndpoint(for: bound)
        },
        logger: logger)

    let auth = Authenticator(clients: clients, tokenLifetime: configuration.tokenLifetime)
    let peers = PeerDirectory(
        peers: configuration.peers, ownInstance: configuration.advertised.instance, logger: logger)
    let ids = OperationIDs(
        instance: configuration.advertised.instance,
        floor: OperationIDs.highest(of: await registry.knownIDs(), instance: configuration.advertised.instance))
    let router = Router()
    // First, so they wrap every route added below (and the not-found answer).
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: MetricsMiddleware())
    let routes = AllowedMethods(router)
    OperationsController(
        registry: registry, auth: auth, advertised: configuration.advertised, ids: ids,
        limits: .init(
            maxRequestBytes: configuration.maxRequestBytes, maxDocuments: configuration.maxDocuments,
            maxWait: configuration.maxWait, syncTimeout: configuration.syncTimeout,
            requestTimeout: configuration.requestTimeout, minFreeDiskRatio: configuration.minFreeDiskRatio),
        peers: peers
    ).addRoutes(to: routes)
    InstanceController(advertised: configuration.advertised).addRoutes(to: routes)
    TokenController(auth: auth).addRoutes(to: routes)
    HealthController(hub: hub, signing: signing.health).addRoutes(to: routes)
    MetricsController(hub: hub, registry: registry).addRoutes(to: routes)
    OpenAPIController().addRoutes(to: routes)
    routes.refuseOtherMethods()

    let application = Application(
        router: router,
        server: .http1(
            configuration: .init(
                idleTimeout: .nanoseconds(configuration.idleTimeout.nanoseconds),
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 64 * 1024, maxHeaderFieldCount: 100))),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "Signet",
            availableConnectionsDelegate: .maximum(
                min(configuration.maxConnections, FileDescriptors.raiseLimit() - 256), logger: logger)),
        services: signing.lifetime + [registry, hub, supervisor, peers],
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            let endpoint = (try? await hub.boundEndpoint()) ?? configuration.signerEndpoint
            await onReady(port, endpoint, keys.server.publicKey)
        },
        logger: logger)
    return GatewayApplication(
        application: application, hub: hub, registry: registry, supervisor: supervisor,
        signerPublicKey: keys.server.publicKey, routes: routes.table)
}

/// The signer endpoint's CURVE keys: the gateway's own pair (`--signer-curve-key`, else made once
/// into the state folder; its public key is written to the state folder for operators), a pair
/// for the local signers when they cannot use their Unix socket (made at each start) and the
/// keyring of who may connect.
func signerChannelKeys(_ configuration: GatewayConfiguration) throws -> (server: CurveKeyPair, keyring: SignerKeyring) {
    do {
        guard CurveKeyPair.isAvailable else {
            throw StartupError(description: "this libzmq has no CURVE support; install Debian's libzmq5")
        }
        let server: CurveKeyPair
        if let file = configuration.signerCurveKey {
            server = try CurveKeyPair.load(secretKeyFile: file)
        } else {
            server = try CurveKeyPair.loadOrCreate(
                secretKeyFile: configuration.serverKeyFile,
                comment: "Signet gateway signer-endpoint key: keep it secret"
            ).pair
        }
        try Data("# Signet gateway public key: give it to signers (--gateway-public-key)\n\(server.publicKey)\n".utf8)
            .write(to: URL(fileURLWithPath: configuration.serverPublicKeyFile), options: .atomic)
        var localKey: String?
        if configuration.localSigners > 0, configuration.localSignerSocket == nil {
            let local = try CurveKeyPair.generate()
            try? FileManager.default.removeItem(atPath: configuration.localSignerKeyFile)
            try local.write(secretKeyFile: configuration.localSignerKeyFile, comment: "Signet local signers' key")
            localKey = local.publicKey
        }
        let keyring = try SignerKeyring(directory: configuration.signerKeysFolder, localKey: localKey)
        return (server, keyring)
    } catch let error as StartupError {
        throw error
    } catch {
        throw StartupError(description: "signer keys: \(error)")
    }
}

/// How this gateway's documents are signed: what local signers are told, whose signature
/// results must carry, and what `/health/ready` reports.
struct SigningMode: Sendable {
    enum Health: Sendable {
        case local(LocalIdentity)
        case remote(RemoteIdentities)
    }

    var signerArguments: [String]
    var identities: SignerHub.ResultIdentities
    var health: Health
    /// Runs before the other services and stops after them (the remote service's HTTP client).
    var lifetime: [any Service] = []
}

/// Remote signing when `--einvoice-integration-client.service.domain` is given (each client
/// service's account from client-services-config.json), else the local key.
func signingMode(_ configuration: GatewayConfiguration, logger: Logger, metrics: GatewayMetrics) throws -> SigningMode {
    guard let url = configuration.remoteURL else {
        let identity = try localIdentity(configuration, logger: logger)
        let check: SignatureCheck
        do {
            check = try SignatureCheck(
                certificateChainPEM: try String(contentsOfFile: identity.certificateFile, encoding: .utf8))
        } catch {
            throw StartupError(description: "signing certificate \(identity.certificateFile): \(error)")
        }
        return SigningMode(
            signerArguments: ["--signing-key", identity.keyFile, "--signing-cert", identity.certificateFile],
            identities: .local(check), health: .local(identity))
    }
    let accounts: [String: RemoteAccount]
    let service: CSCService
    do {
        accounts = try RemoteAccount.load(from: configuration.clientServicesFile)
        service = try CSCService(
            configuration: .init(
                baseURL: url,
                proxy: configuration.remoteProxyHost.flatMap { host in
                    configuration.remoteProxyPort.map { .init(host: host, port: $0) }
                },
                extraCAFile: configuration.remoteCAFile),
            logger: logger)
    } catch {
        throw StartupError(description: "remote signing: \(error)")
    }
    logger.info(
        "signing with a remote CSC API v2 service",
        metadata: [
            "csc.url": "\(service.apiBase)",
            "csc.proxy":
                "\(configuration.remoteProxyHost.map { "\($0):\(configuration.remoteProxyPort ?? 0)" } ?? "none")",
            "csc.clients": "\(accounts.count)",
        ])
    let identities = RemoteIdentities(service: service, accounts: accounts, logger: logger, metrics: metrics)
    var arguments = ["--remote-url", url, "--client-services", configuration.clientServicesFile]
    if let host = configuration.remoteProxyHost, let port = configuration.remoteProxyPort {
        arguments += ["--remote-proxy", "\(host):\(port)"]
    }
    if let file = configuration.remoteCAFile { arguments += ["--remote-ca-file", file] }
    return SigningMode(
        signerArguments: arguments, identities: .remote(identities), health: .remote(identities),
        lifetime: [RemoteServiceLifetime(service)])
}

/// The key and certificate signers use, and whether it is the development identity.
struct LocalIdentity: Sendable {
    let keyFile: String
    let certificateFile: String
    let isDevelopment: Bool
    let signerName: String
}

func localIdentity(_ configuration: GatewayConfiguration, logger: Logger) throws -> LocalIdentity {
    let work = configuration.workFolder as NSString
    let keyFile = configuration.signingKey ?? work.appendingPathComponent("signing-key.pem")
    let certificateFile = configuration.signingCert ?? work.appendingPathComponent("signing-cert.pem")
    let files = FileManager.default
    if configuration.signingKey != nil
        || (files.fileExists(atPath: keyFile) && files.fileExists(atPath: certificateFile))
    {
        do {
            try PrivateFiles.checkOwnerOnly(keyFile, what: "signing key")
        } catch {
            throw StartupError(description: "\(error)")
        }
        do {
            let backend = try LocalKeyBackend(keyFile: keyFile, certificateFile: certificateFile)
            return LocalIdentity(
                keyFile: keyFile, certificateFile: certificateFile, isDevelopment: false, signerName: backend.signerName
            )
        } catch {
            throw StartupError(description: "signing key \(keyFile) / certificate \(certificateFile): \(error)")
        }
    }
    let development: (keyFile: String, certificateFile: String, created: Bool)
    do {
        development = try DevelopmentIdentity.ensure(in: configuration.stateDirectory)
    } catch {
        throw StartupError(
            description: "cannot create the development signing identity in \(configuration.stateDirectory): \(error)")
    }
    do {
        try PrivateFiles.checkOwnerOnly(development.keyFile, what: "signing key")
    } catch {
        throw StartupError(description: "\(error)")
    }
    let backend = try LocalKeyBackend(keyFile: development.keyFile, certificateFile: development.certificateFile)
    logger.warning(
        "signing with a self-signed DEVELOPMENT identity: NOT FOR PRODUCTION (put signing-key.pem and signing-cert.pem in the work folder)",
        metadata: [
            "signing.certificate": "\(development.certificateFile)", "signing.created": "\(development.created)",
        ])
    return LocalIdentity(
        keyFile: development.keyFile, certificateFile: development.certificateFile, isDevelopment: true,
        signerName: backend.signerName)
}

/// `signet-signer` next to the running gateway binary.
func defaultSignerExecutable() -> String {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return executable.deletingLastPathComponent().appendingPathComponent("signet-signer").path
}
