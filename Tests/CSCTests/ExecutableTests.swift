import CSC
import Foundation
import TestSupport
import Testing

/// `signet-csc-sim` as compose stacks and end-to-end tests start it.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ExecutableTests {
    static let binary = Shell.packageRoot.appendingPathComponent(".build/debug/signet-csc-sim")

    @Test func theSimulatorStartsOnAFreePortAndAnswersInfo() async throws {
        let binary =
            ProcessInfo.processInfo.environment["SIGNET_BIN_DIR"].map {
                URL(fileURLWithPath: $0).appendingPathComponent("signet-csc-sim")
            } ?? Self.binary
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build signet-csc-sim first")
        let workspace = try Workspace("csc-sim-exe")
        try workspace.write(
            "config.json",
            text: #"{"clients": {"erp": {"secret": "erp-secret", "credentials": [{"id": "erp-ec", "key": "p256"}]}}}"#)
        let process = Process()
        process.executableURL = binary
        process.arguments = [
            "--port", "0", "--config", workspace.path("config.json"), "--export-dir", workspace.path("export"),
            "--log-level", "warning",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // The first line is "listening on 127.0.0.1:PORT".
        let line = try await Task.detached {
            var line = Data()
            while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8)
            {
                line.append(byte)
            }
            return String(decoding: line, as: UTF8.self)
        }.value
        #expect(line.hasPrefix("listening on 127.0.0.1:"), "\(line)")
        let port = try #require(Int(line.split(separator: ":").last ?? ""))
        #expect(port > 0)

        #expect(FileManager.default.fileExists(atPath: workspace.path("export/ca.pem")))
        #expect(FileManager.default.fileExists(atPath: workspace.path("export/erp-ec.pem")))

        try await SimulatorHarness.withService(.init(baseURL: "http://127.0.0.1:\(port)")) { service in
            let info = try await service.info()
            #expect(info.specs == "2.0.0.2")
            #expect(info.oauth2 == "http://127.0.0.1:\(port)/")
            #expect(info.methods?.contains("signatures/signHash") == true)
            let client = CSCClient(
                service: service, clientID: "erp", clientSecret: "erp-secret", logger: SimulatorHarness.logger)
            #expect(try await client.listCredentials() == ["erp-ec"])
        }

        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }

    @Test func aBadConfigurationStopsItWithAClearMessage() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build signet-csc-sim first")
        let workspace = try Workspace("csc-sim-bad")
        try workspace.write(
            "config.json",
            text: #"{"clients": {"erp": {"secret": "s", "credentials": [{"id": "../evil", "key": "p256"}]}}}"#)
        let result = try await Shell.run(Self.binary.path, ["--config", workspace.path("config.json")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("credential id '../evil'"), "\(result.stderr)")
    }
}
