import Foundation

/// Debian's tinyproxy on a loopback port, logging every connection.
public final class TinyProxy: @unchecked Sendable {
    let process = Process()
    let workspace: Workspace
    public let port: Int

    public init() throws {
        workspace = try Workspace("tinyproxy")
        port = try freeLoopbackPort()
        try workspace.write(
            "tinyproxy.conf",
            text: """
                Port \(port)
                Listen 127.0.0.1
                Timeout 60
                MaxClients 64
                LogFile "\(workspace.path("tinyproxy.log"))"
                LogLevel Info
                Allow 127.0.0.1

                """)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tinyproxy")
        process.arguments = ["-d", "-c", workspace.path("tinyproxy.conf")]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    public func log() -> String {
        (try? String(contentsOfFile: workspace.path("tinyproxy.log"), encoding: .utf8)) ?? ""
    }

    public func waitUntilReady() async throws {
        for _ in 0..<100 {
            if log().contains("listening") || log().contains("Listening") { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ShellError.failed("tinyproxy did not start: \(log())")
    }

    /// SIGKILL: tinyproxy in the foreground (`-d`) does not stop on SIGTERM.
    public func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
