import Common
import Foundation

/// The signer's flags, with their defaults in one place.
struct SignerConfiguration: Sendable {
    var gateways: [String] = []
    var signingKey = "./work/signing-key.pem"
    var signingCert = "./work/signing-cert.pem"
    var slots = max(2, ProcessInfo.processInfo.activeProcessorCount * 2)
    var heartbeatInterval: Duration = .seconds(1)
    var liveness = 3
    var shutdownGrace: Duration = .seconds(10)
    var exitWithParent = false
    var logLevel = "info"
    var logFormat = LogFormat.text
    var tsaURL: String?
    /// The gateway's CURVE public key (Z85), and this signer's key pair.
    var gatewayPublicKey: String?
    var curveKeys: CurveKeyPair?
    /// Remote signing (CSC API v2): the service, the client services' accounts, the outbound
    /// proxy (HOST:PORT) and extra CAs for its TLS.
    var remoteURL: String?
    var clientServicesFile = "./work/client-services-config.json"
    var remoteProxy: (host: String, port: Int)?
    var remoteCAFile: String?

    static let usage = """
        signet-signer: a Signet signing worker (see docs/protocol.md)
          --gateway tcp://HOST:PORT     gateway signer endpoint (repeat the flag or comma-separate for several)
          --gateway-public-key KEY|FILE the gateway's CURVE public key (Z85, or a file holding it: STATE/signer-curve.pub)
          --curve-key FILE              this signer's CURVE secret key file (mode 0600), authorized at the gateway
          --generate-curve-key FILE     write a new secret key file, print its public key, and exit
          --signing-key FILE            PEM private key (default ./work/signing-key.pem)
          --signing-cert FILE           PEM certificate chain, leaf first (default ./work/signing-cert.pem)
          --slots N                     jobs taken at once (default 2 x cores)
          --heartbeat SECONDS, --liveness N, --shutdown-grace SECONDS
          --tsa-url URL                 RFC 3161 time-stamping authority for applyTimestamp
          --remote-url URL              sign with this CSC API v2 service instead of a local key (docs/remote-signing.md)
          --client-services FILE        the client services' remote accounts (default ./work/client-services-config.json)
          --remote-proxy HOST:PORT      HTTP proxy for the remote service; --remote-ca-file FILE: extra CAs (PEM)
          --log-level trace|debug|info|notice|warning|error
          --log-format text|json        log lines on stderr as text (default) or one JSON object each
        """

    init(arguments: [String]) throws {
        var flags = try CommandLineFlags(arguments)
        guard let gateway = flags.string("gateway"), !gateway.isEmpty else {
            throw CommandLineFlags.Problem("--gateway tcp://HOST:PORT is required")
        }
        gateways = gateway.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        if let key = flags.string("signing-key") { signingKey = key }
        if let certificate = flags.string("signing-cert") { signingCert = certificate }
        if let slots = try flags.int("slots", in: 1...1024) { self.slots = slots }
        if let interval = try flags.seconds("heartbeat", in: 0.05...60) { heartbeatInterval = interval }
        if let liveness = try flags.int("liveness", in: 2...100) { self.liveness = liveness }
        if let grace = try flags.seconds("shutdown-grace", in: 0...600) { shutdownGrace = grace }
        if let exitWithParent = try flags.bool("exit-with-parent") { self.exitWithParent = exitWithParent }
        if let level = try flags.choice("log-level", in: CommandLineFlags.logLevels) { logLevel = level }
        if let format = try flags.choice("log-format", in: LogFormat.names).flatMap(LogFormat.init(rawValue:)) {
            logFormat = format
        }
        tsaURL = flags.string("tsa-url")
        if let key = flags.string("gateway-public-key") {
            gatewayPublicKey =
                CurveKeyPair.decode(key) != nil
                ? key : try CurveKeyPair.readKey(file: key)
        }
        if let file = flags.string("curve-key") { curveKeys = try CurveKeyPair.load(secretKeyFile: file) }
        guard (gatewayPublicKey == nil) == (curveKeys == nil) else {
            throw CommandLineFlags.Problem("--gateway-public-key and --curve-key go together")
        }
        if gatewayPublicKey == nil, let plain = gateways.first(where: { $0.hasPrefix("tcp://") }) {
            throw CommandLineFlags.Problem(
                "\(plain) is a CURVE endpoint: give --gateway-public-key (the gateway's STATE/signer-curve.pub) and --curve-key (make one with --generate-curve-key FILE)"
            )
        }
        remoteURL = flags.string("remote-url")
        if let file = flags.string("client-services") { clientServicesFile = file }
        if let proxy = flags.string("remote-proxy") {
            guard let colon = proxy.lastIndex(of: ":"), colon > proxy.startIndex,
                let port = Int(proxy[proxy.index(after: colon)...]), (1...65535).contains(port)
            else { throw CommandLineFlags.Problem("--remote-proxy must be HOST:PORT, not '\(proxy)'") }
            remoteProxy = (String(proxy[..<colon]), port)
        }
        remoteCAFile = flags.string("remote-ca-file")
        if remoteURL == nil && (remoteProxy != nil || remoteCAFile != nil) {
            throw CommandLineFlags.Problem("--remote-proxy and --remote-ca-file need --remote-url")
        }
        _ = flags.string("help")
        try flags.checkAllUsed()
    }
}
