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
        let proxy = try TinyProxy()
        defer { proxy.stop() }
        try await proxy.waitUntilReady()
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
            // tinyproxy logs each request line: every call was a CONNECT to the simulator.
            let requests = proxy.log().split(separator: "\n").filter { $0.contains("]: Request (file descriptor") }
            #expect(!requests.isEmpty)
            #expect(requests.allSatisfy { $0.hasSuffix("CONNECT 127.0.0.1:\(port) HTTP/1.1") }, "\(requests)")
        }
    }
}
