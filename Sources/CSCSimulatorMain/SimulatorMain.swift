import CSCSimulator
import Common
import Foundation
import Hummingbird
import Logging

/// `signet-csc-sim`: a CSC API v2 test double (docs/remote-signing.md). Reads its flags, builds
/// the simulator and runs it until SIGTERM or SIGINT.
@main
struct SimulatorMain {
    static let usage = """
        signet-csc-sim: a CSC API v2 service with software keys, for tests and compose stacks (NOT for real documents)
          --config FILE        clients and credentials (JSON, see docs/remote-signing.md; default: client 'signet', secret
                               'signet-secret', credentials 'signet-rsa' and 'signet-p256')
          --host ADDR          bind address (default 127.0.0.1)
          --port N             port (default 0: any free one; the first stdout line says 'listening on HOST:PORT')
          --export-dir DIR     write ca.pem and <credentialID>.pem (the chain) there at start
          --token-lifetime S   expires_in of access tokens (default: the config's, 3600)
          --latency-ms N       added to every signHash
          --fail-rate F        fraction 0...1 of signHash calls answered with --fail-status and Retry-After: 1
          --fail-status N      status of injected failures (default 503)
          --fail-first N       the first N signHash calls fail that way
          --tls true           serve HTTPS with a certificate for localhost/127.0.0.1 from the simulator's CA
          --log FILE           one JSON line per request, sizes only (no hash, token or secret)
          --log-level LEVEL    trace|debug|info|notice|warning|error (default info)
        Admin: POST /admin/down?seconds=N (every CSC call answers 503 meanwhile), POST /admin/up,
               POST /admin/revoke-tokens, GET /admin/stats
        """

    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
            return
        }
        let configuration: SimulatorConfiguration
        let options: SimulatorOptions
        let logLevel: String
        do {
            (configuration, options, logLevel) = try parse(arguments)
        } catch {
            fail("signet-csc-sim: \(error)\nRun with --help for the flags.")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "signet.csc-sim")
        do {
            let simulator = try CSCSimulator(configuration: configuration, options: options)
            let application = try simulator.buildApplication(logger: logger) { port in
                FileHandle.standardOutput.write(Data("listening on \(options.host):\(port)\n".utf8))
            }
            try await application.runService()
        } catch {
            fail("signet-csc-sim: \(error)")
        }
    }

    static func parse(_ arguments: [String]) throws -> (SimulatorConfiguration, SimulatorOptions, String) {
        var flags = try CommandLineFlags(arguments)
        var options = SimulatorOptions()
        if let host = flags.string("host") { options.host = host }
        if let port = try flags.int("port", in: 0...65535) { options.port = port }
        if let latency = try flags.int("latency-ms", in: 0...600_000) { options.latency = .milliseconds(latency) }
        if let rate = try flags.double("fail-rate", in: 0...1) { options.failRate = rate }
        if let status = try flags.int("fail-status", in: 400...599) { options.failStatus = status }
        if let count = try flags.int("fail-first", in: 0...1_000_000) { options.failFirst = count }
        if let lifetime = try flags.int("token-lifetime", in: 1...86_400) { options.tokenLifetime = lifetime }
        if let tls = try flags.bool("tls") { options.tls = tls }
        options.logFile = flags.string("log")
        options.exportDirectory = flags.string("export-dir")
        let level = try flags.choice("log-level", in: CommandLineFlags.logLevels) ?? "info"
        let configuration = try flags.string("config").map { try SimulatorConfiguration(file: $0) } ?? .demo
        _ = flags.string("help")
        try flags.checkAllUsed()
        return (configuration, options, level)
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(1)
    }
}
