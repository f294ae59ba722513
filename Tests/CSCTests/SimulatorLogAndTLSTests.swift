import CSC
import CSCSimulator
import Crypto
import Foundation
import TestSupport
import Testing

@Suite(.serialized, .timeLimit(.minutes(2)))
struct SimulatorLogAndTLSTests {
    /// The log has sizes only: every string in it is a time or a path, and no hash, secret, SAD
    /// or signature appears in it in any form.
    @Test func theLogHoldsSizesOnly() async throws {
        let workspace = try Workspace("csc-log")
        var options = SimulatorOptions()
        options.logFile = workspace.path("sim.log")
        let signatures = try await SimulatorHarness.withSimulator(SimulatorHarness.configuration, options: options) {
            _, url in
            try await SimulatorHarness.withClient(url, id: "alice", secret: "alice-secret") { client in
                let credential = try await client.credential("alice-ec")
                return try await client.sign(digests(3, salt: "logged"), with: credential, algorithm: .ecdsaSHA256)
            }
        }
        let text = try String(contentsOf: workspace.url("sim.log"), encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 5)  // info, token, credentials/info, authorize, signHash
        var paths: [String] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(
                Set(object.keys).isSubset(of: [
                    "time", "path", "status", "requestBytes", "responseBytes", "hashes", "hashLengths",
                ]))
            for (key, value) in object where value is String {
                #expect(key == "time" || key == "path", "string \(key) in the log")
            }
            paths.append(try #require(object["path"] as? String))
            if let lengths = object["hashLengths"] as? [Int] {
                #expect(lengths == [32, 32, 32])
                #expect(object["hashes"] as? Int == 3)
            }
        }
        #expect(paths.contains("/csc/v2/signatures/signHash"))
        #expect(paths.contains("/csc/v2/credentials/authorize"))
        #expect(!text.contains("alice-secret"))
        for hash in digests(3, salt: "logged") {
            let bytes = Data(hash)
            #expect(!text.contains(bytes.base64EncodedString()))
            #expect(!text.contains(bytes.map { String(format: "%02x", $0) }.joined()))
        }
        for signature in signatures { #expect(!text.contains(Data(signature).base64EncodedString().prefix(24))) }
    }

    /// HTTPS is verified: the simulator's own CA, given as the extra CA file, makes it trusted;
    /// without it the call fails as a protocol error (not something to retry).
    @Test func tlsIsVerifiedAgainstTheExtraCAFile() async throws {
        let workspace = try Workspace("csc-tls")
        var options = SimulatorOptions()
        options.tls = true
        options.exportDirectory = workspace.path("export")
        try await SimulatorHarness.withSimulator(SimulatorHarness.configuration, options: options) { simulator, url in
            #expect(url.hasPrefix("https://"))
            let caFile = workspace.path("export/ca.pem")
            #expect(try String(contentsOfFile: caFile, encoding: .utf8) == simulator.caPEM)
            #expect(FileManager.default.fileExists(atPath: workspace.path("export/alice-rsa.pem")))

            try await SimulatorHarness.withService(.init(baseURL: url, extraCAFile: caFile)) { service in
                let client = CSCClient(
                    service: service, clientID: "bob", clientSecret: "bob-secret", logger: SimulatorHarness.logger)
                let credential = try await client.credential("bob-ec")
                #expect(try await client.sign(digests(2), with: credential, algorithm: .ecdsaSHA256).count == 2)
            }
            try await SimulatorHarness.withService(.init(baseURL: url, connectTimeout: .seconds(2))) { service in
                let client = CSCClient(
                    service: service, clientID: "bob", clientSecret: "bob-secret", logger: SimulatorHarness.logger)
                do {
                    _ = try await client.listCredentials()
                    Issue.record("an untrusted certificate was accepted")
                } catch let error as CSCError {
                    guard case .protocolError(let message) = error else {
                        Issue.record("expected a protocol error, got \(error)")
                        return
                    }
                    #expect(message.contains("TLS"), "\(message)")
                }
            }
        }
    }
}
