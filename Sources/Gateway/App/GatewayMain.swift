import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `signet-gateway`: reads its flags and runs what `buildApplication` builds.
@main
struct GatewayMain {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            print(GatewayConfiguration.usage)
            return
        }
        let configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration(arguments: arguments)
        } catch {
            fail("signet-gateway: \(error)\nRun with --help for the flags.")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "signet.gateway")
        do {
            let built = try await buildApplication(configuration: configuration, logger: logger) {
                port, endpoint, publicKey in
                printReadyLine(configuration: configuration, port: port, signerEndpoint: endpoint, publicKey: publicKey)
            }
            try await built.application.runService()
        } catch {
            fail("signet-gateway: \(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(1)
    }

    /// One line on stdout once the gateway listens, with a command that signs a document.
    static func printReadyLine(
        configuration: GatewayConfiguration, port: Int, signerEndpoint: String, publicKey: String
    ) {
        let host = configuration.host == "0.0.0.0" || configuration.host == "::" ? "localhost" : configuration.host
        var line =
            "Signet ready: http://\(host):\(port) (signers connect to \(signerEndpoint) with CURVE; gateway public key \(publicKey), also in \(configuration.serverPublicKeyFile))"
        let netrc = (configuration.workFolder as NSString).appendingPathComponent("demo.netrc")
        if FileManager.default.fileExists(atPath: netrc) {
            line +=
                "\nTry: curl -sS --netrc-file \(netrc) -H 'Content-Type: application/json' --data @examples/hello.json"
                + " http://\(host):\(port)\(OperationsController.signStashBase)/document/sign/base64/"
        }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
