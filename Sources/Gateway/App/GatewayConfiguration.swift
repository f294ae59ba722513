import Common
import Foundation

/// Everything the gateway can be told, with its defaults in one place. Invalid values stop the
/// gateway at start with a clear message.
struct GatewayConfiguration: Sendable {
    var host = "0.0.0.0"
    var port = 8080
    /// `--server.host.port=HOST:PORT`; defaults to the bind address (the host name for a wildcard).
    var advertisedHost: String?
    var advertisedPort: Int?
    /// The number operation ids start with (`--instance-id`); derived from host:port when nil.
    var instanceID: Int?
    var signerEndpoint = "tcp://0.0.0.0:5555"
    var workFolder = "./work"
    var stateDirectory = "./state"
    /// Authorized signer CURVE public keys, one per file (default WORK/signer-keys).
    var signerKeysDirectory: String?
    /// The gateway's own CURVE secret key for the signer endpoint, from a file that must exist
    /// (a compose secret shared by several gateways); default STATE/signer-curve.key, made if missing.
    var signerCurveKey: String?
    var signingKey: String?
    var signingCert: String?
    var localSigners = ProcessInfo.processInfo.activeProcessorCount
    var signerSlots = 4
    var signerExecutable: String?
    var heartbeatInterval: Duration = .seconds(1)
    var liveness = 3
    var jobLease: Duration = .seconds(120)
    var maxAttempts = 5
    var maxBytesInFlight = 64 * 1024 * 1024
    var tokenLifetime: Duration = .seconds(3600)
    /// A body streams to the spool, so this bounds disk, not memory: 25 x 20 MB documents as base64 JSON is ~670 MB.
    var maxRequestBytes = 1024 * 1024 * 1024
    var maxDocuments = 10_000
    var maxWait: Duration = .seconds(60)
    /// HTTP: a connection with no request in progress (or a request head that never completes)
    /// is closed after this long; at most this many connections are served at once.
    var idleTimeout: Duration = .seconds(60)
    /// A request body must arrive whole within this.
    var requestTimeout: Duration = .seconds(600)
    var maxConnections = 4096
    var syncTimeout: Duration = .seconds(120)
    var logLevel = "info"
    /// `text` (swift-log's lines) or `json` (one object per line), for the gateway and its local signers.
    var logFormat = LogFormat.text
    var tsaURL: String?
    /// Results are kept this long after an operation finishes, then purged (410).
    var resultTTL: Duration = .seconds(86_400)
    var purgeInterval: Duration = .seconds(60)
    var maxQueuedDocuments = 100_000
    var maxRunningOperationsPerClient = 1_000
    var minFreeDiskRatio = 3.0
    /// Remote signing (CSC API v2): the service's base URL, the outbound HTTP proxy, extra CAs
    /// for its TLS, and how long documents wait while it is unavailable.
    var remoteURL: String?
    var remoteProxyHost: String?
    var remoteProxyPort: Int?
    var remoteCAFile: String?
    var remoteRetryDeadline: Duration = .seconds(600)
    /// Other gateways of the same deployment (their base URLs): a call for an operation one of
    /// them owns is redirected there (docs/operations.md).
    var peers: [URL] = []

    static let usage = """
        signet-gateway: Signet's HTTP gateway (see README.md)
          --host ADDR                      bind address (default 0.0.0.0)
          --port N                         HTTP port (default 8080)
          --server.host.port=HOST:PORT     host:port advertised to clients (default: the bind address)
          --signer-endpoint URL            ZeroMQ endpoint signers connect to (default tcp://0.0.0.0:5555; CURVE-encrypted)
          --instance-id N                  0...1023, the number this gateway's operation ids carry (default: from host:port; give each gateway of a deployment its own)
          --peer URL                       another gateway of this deployment (repeat or comma-separate): calls for its operations answer 307 to it
          --signer-keys DIR                authorized signer CURVE public keys, one per file (default WORK/signer-keys)
          --signer-curve-key FILE          this gateway's CURVE secret key (default STATE/signer-curve.key, made if missing)
          --work-folder DIR                holds client-services-config.json and signing keys (default ./work)
          --state-dir DIR                  state folder (default ./state)
          --signing-key FILE, --signing-cert FILE   PEM key and chain (default WORK/signing-key.pem, signing-cert.pem)
          --local-signers N                signer processes to start and supervise (default: cores; 0 = external only)
          --signer-slots N                 jobs each local signer takes at once (default 4; 128 with remote signing)
          --heartbeat SECONDS, --liveness N, --job-lease SECONDS, --max-attempts N
          --max-bytes-in-flight N          document bytes out with signers at once (default 64 MiB; one job always)
          --token-lifetime SECONDS, --max-request-bytes N, --max-documents N, --max-wait SECONDS, --sync-timeout SECONDS
          --idle-timeout SECONDS, --max-connections N   HTTP connections: idle limit (default 60) and cap (default 4096)
          --request-timeout SECONDS        a request body must arrive within this (default 600)
          --tsa-url URL                    RFC 3161 time-stamping authority (for applyTimestamp)
          --result-ttl SECONDS             results are kept this long, then purged: 410 (default 86400)
          --max-queued-documents N         documents waiting to be signed before 503 QUEUE_FULL (default 100000)
          --max-running-operations-per-client N   unfinished operations per client before 429 (default 1000)
          --min-free-disk-ratio X          refuse (507) a request when the spool has less than X times its size free (default 3)
          --einvoice-integration-client.service.domain=URL   sign with this CSC API v2 service (docs/remote-signing.md)
          --einvoice-integration-client.rest.provider.proxy.hostname=HOST, ...proxy.port=N   its HTTP proxy
          --remote-ca-file FILE            extra CA certificates (PEM) for the remote service's TLS
          --remote-retry-deadline SECONDS  documents wait this long while it is unavailable (default 600)
          --log-level trace|debug|info|notice|warning|error
          --log-format text|json           log lines on stderr as text (default) or one JSON object each
        """

    init() {}

    init(arguments: [String]) throws {
        var flags = try CommandLineFlags(arguments)
        if let host = flags.string("host") { self.host = host }
        if let port = try flags.int("port", in: 0...65535) { self.port = port }
        if let advertised = flags.string("server.host.port") {
            guard let colon = advertised.lastIndex(of: ":"),
                let port = Int(advertised[advertised.index(after: colon)...]),
                (1...65535).contains(port), colon > advertised.startIndex
            else { throw CommandLineFlags.Problem("--server.host.port must be HOST:PORT, not '\(advertised)'") }
            advertisedHost = String(advertised[..<colon])
            advertisedPort = port
        }
        instanceID = try flags.int("instance-id", in: OperationIDs.instances)
        if let endpoint = flags.string("signer-endpoint") { signerEndpoint = endpoint }
        if let folder = flags.string("work-folder") { workFolder = folder }
        if let folder = flags.string("state-dir") { stateDirectory = folder }
        signerKeysDirectory = flags.string("signer-keys")
        signerCurveKey = flags.string("signer-curve-key")
        signingKey = flags.string("signing-key")
        signingCert = flags.string("signing-cert")
        if (signingKey == nil) != (signingCert == nil) {
            throw CommandLineFlags.Problem("--signing-key and --signing-cert go together")
        }
        if let count = try flags.int("local-signers", in: 0...256) { localSigners = count }
        let slots = try flags.int("signer-slots", in: 1...1024)
        signerExecutable = flags.string("signer-executable")
        if let interval = try flags.seconds("heartbeat", in: 0.05...60) { heartbeatInterval = interval }
        if let liveness = try flags.int("liveness", in: 2...100) { self.liveness = liveness }
        if let lease = try flags.seconds("job-lease", in: 1...86400) { jobLease = lease }
        if let attempts = try flags.int("max-attempts", in: 1...100) { maxAttempts = attempts }
        if let bytes = try flags.int("max-bytes-in-flight", in: 1...(64 << 30)) { maxBytesInFlight = bytes }
        if let lifetime = try flags.seconds("token-lifetime", in: 10...86400) { tokenLifetime = lifetime }
        if let bytes = try flags.int("max-request-bytes", in: 1024...(16 << 30)) { maxRequestBytes = bytes }
        if let count = try flags.int("max-documents", in: 1...1_000_000) { maxDocuments = count }
        if let wait = try flags.seconds("max-wait", in: 0...3600) { maxWait = wait }
        if let timeout = try flags.seconds("sync-timeout", in: 1...3600) { syncTimeout = timeout }
        if let timeout = try flags.seconds("idle-timeout", in: 0.1...3600) { idleTimeout = timeout }
        if let count = try flags.int("max-connections", in: 16...1_000_000) { maxConnections = count }
        if let timeout = try flags.seconds("request-timeout", in: 1...86400) { requestTimeout = timeout }
        if let ttl = try flags.seconds("result-ttl", in: 1...(86_400 * 366)) {
            resultTTL = ttl
            purgeInterval = min(.seconds(60), ttl / 4)
        }
        if let count = try flags.int("max-queued-documents", in: 1...100_000_000) { maxQueuedDocuments = count }
        if let count = try flags.int("max-running-operations-per-client", in: 1...1_000_000) {
            maxRunningOperationsPerClient = count
        }
        if let ratio = try flags.double("min-free-disk-ratio", in: 0...1000) { minFreeDiskRatio = ratio }
        if let level = try flags.choice("log-level", in: CommandLineFlags.logLevels) { logLevel = level }
        if let format = try flags.choice("log-format", in: LogFormat.names).flatMap(LogFormat.init(rawValue:)) {
            logFormat = format
        }
        if let url = flags.string("tsa-url") {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw CommandLineFlags.Problem("--tsa-url must be an http(s) URL, not '\(url)'")
            }
            tsaURL = url
        }
        if let domain = flags.string("einvoice-integration-client.service.domain"), !domain.isEmpty {
            guard let url = URL(string: domain), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                url.host != nil
            else {
                throw CommandLineFlags.Problem(
                    "--einvoice-integration-client.service.domain must be the remote signing service's http(s) URL, not '\(domain)'"
                )
            }
            remoteURL = domain
        }
        if let host = flags.string("einvoice-integration-client.rest.provider.proxy.hostname"), !host.isEmpty {
            remoteProxyHost = host
        }
        if let port = flags.string("einvoice-integration-client.rest.provider.proxy.port"), !port.isEmpty {
            guard let number = Int(port), (1...65535).contains(number) else {
                throw CommandLineFlags.Problem(
                    "--einvoice-integration-client.rest.provider.proxy.port must be a port number, not '\(port)'")
            }
            remoteProxyPort = number
        }
        if (remoteProxyHost == nil) != (remoteProxyPort == nil) {
            throw CommandLineFlags.Problem(
                "--einvoice-integration-client.rest.provider.proxy.hostname and .port go together")
        }
        remoteCAFile = flags.string("remote-ca-file")
        peers = try flags.list("peer").map { peer in
            guard let url = URL(string: peer), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                url.host != nil, url.path.isEmpty || url.path == "/"
            else {
                throw CommandLineFlags.Problem(
                    "--peer must be another gateway's base URL (http://HOST:PORT), not '\(peer)'")
            }
            return url
        }
        if let deadline = try flags.seconds("remote-retry-deadline", in: 1...(86_400 * 7)) {
            remoteRetryDeadline = deadline
        }
        // A remote signer mostly waits for the service: many jobs at once make full batches.
        signerSlots = slots ?? (remoteURL == nil ? 4 : 128)
        if remoteURL == nil && (remoteProxyHost != nil || remoteCAFile != nil) {
            throw CommandLineFlags.Problem(
                "the remote proxy and --remote-ca-file need --einvoice-integration-client.service.domain")
        }
        _ = flags.string("help")
        try flags.checkAllUsed()
    }

    var advertised: AdvertisedAddress {
        let wildcard = host == "0.0.0.0" || host == "::"
        return AdvertisedAddress(
            host: advertisedHost ?? (wildcard ? ProcessInfo.processInfo.hostName : host),
            port: advertisedPort ?? port, instance: instanceID)
    }

    var clientServicesFile: String { (workFolder as NSString).appendingPathComponent("client-services-config.json") }
    var signerKeysFolder: String {
        signerKeysDirectory ?? (workFolder as NSString).appendingPathComponent("signer-keys")
    }
    /// The operation table (SQLite) and the spool of documents and results.
    var databaseFile: String { (stateDirectory as NSString).appendingPathComponent("operations.sqlite") }
    var spoolDirectory: String { (stateDirectory as NSString).appendingPathComponent("spool") }
    /// The gateway's CURVE secret key for the signer endpoint, and its public key for operators.
    var serverKeyFile: String { (stateDirectory as NSString).appendingPathComponent("signer-curve.key") }
    var serverPublicKeyFile: String { (stateDirectory as NSString).appendingPathComponent("signer-curve.pub") }
    /// The local signers' CURVE secret key, made anew at each start (only when they connect over TCP).
    var localSignerKeyFile: String { (stateDirectory as NSString).appendingPathComponent("local-signer-curve.key") }

    /// Where the gateway's own signers connect: a Unix socket in the state folder, which only
    /// this user can enter (mode 0700), so the endpoint needs no CURVE (docs/protocol.md). Nil
    /// without local signers, or when the path is too long for a socket address (108 bytes):
    /// they then use the signer endpoint, with CURVE and a key made at start.
    var localSignerSocket: String? {
        guard localSigners > 0 else { return nil }
        var folder = stateDirectory
        if !folder.hasPrefix("/") {
            folder = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(folder)
        }
        let path = (folder as NSString).appendingPathComponent("signers.ipc")
        return path.utf8.count < 100 ? "ipc://" + path : nil
    }

    /// The endpoint local signers connect to: the bound one, with a wildcard host made loopback.
    static func localEndpoint(for bound: String) -> String {
        bound.replacingOccurrences(of: "tcp://0.0.0.0:", with: "tcp://127.0.0.1:")
            .replacingOccurrences(of: "tcp://[::]:", with: "tcp://[::1]:")
    }
}
