import CSC
import CSCSimulator
import Foundation
import TestSupport
import Testing

/// Outbound calls go through the configured HTTP proxy, tunnelled with CONNECT, and TLS through
/// the tunnel is still verified end to end.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ProxyTests {
    @Test func callsGoThroughTheProxyWithConnect() async throws {
        let workspace = try Workspace("csc-proxy")
        let proxy = try ConnectProxy(log: workspace.path("proxy.log"))
        defer { proxy.stop() }
        var options = SimulatorOptions()
        options.tls = true
        options.exportDirectory = workspace.path("export")
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration, options: options) { _, url in
            let configuration = CSCService.Configuration(
                baseURL: url, proxy: .init(host: "127.0.0.1", port: proxy.port),
                extraCAFile: workspace.path("export/ca.pem"))
            try await SimulatorHarness.withService(configuration) { service in
                let client = CSCClient(
                    service: service, clientID: "bob", clientSecret: "bob-secret", logger: SimulatorHarness.logger)
                let credential = try await client.credential("bob-ec")
                #expect(try await client.sign(digests(2), with: credential, algorithm: .ecdsaSHA256).count == 2)
            }
            let port = try #require(url.split(separator: ":").last)
            let tunnels = try String(contentsOfFile: workspace.path("proxy.log"), encoding: .utf8)
                .split(separator: "\n")
            #expect(!tunnels.isEmpty)
            #expect(tunnels.allSatisfy { $0 == "127.0.0.1:\(port)" }, "\(tunnels)")
        }
    }
}

/// Tests/tools/connect_proxy.py on loopback: an HTTP CONNECT proxy that logs each tunnel.
final class ConnectProxy: @unchecked Sendable {
    let process = Process()
    let port: Int

    init(log: String) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Shell.packageRoot.appendingPathComponent("Tests/tools/connect_proxy.py").path, log,
        ]
        process.standardOutput = output
        try process.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).replacingOccurrences(of: "PORT ", with: "")) else {
            throw ShellError.failed("the CONNECT proxy did not start")
        }
        self.port = port
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
    }
}
