import Foundation

/// Debian's HAProxy on a loopback port, balancing HTTP round-robin over `servers` (host:port),
/// each health-checked on `/health/live`.
public final class HAProxy: @unchecked Sendable {
    let process = Process()
    let workspace: Workspace
    public let port: Int

    public init(servers: [String]) throws {
        workspace = try Workspace("haproxy")
        port = try freeLoopbackPort()
        let backends = servers.enumerated().map { index, server in
            "    server gateway\(index + 1) \(server) check inter 200ms"
        }
        try workspace.write(
            "haproxy.cfg",
            text: """
                global
                    maxconn 512
                defaults
                    mode http
                    timeout connect 2s
                    timeout client 120s
                    timeout server 120s
                    option httpchk GET /health/live
                frontend signet
                    bind 127.0.0.1:\(port)
                    default_backend gateways
                backend gateways
                    balance roundrobin
                \(backends.joined(separator: "\n"))

                """)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/haproxy")
        process.arguments = ["-db", "-f", workspace.path("haproxy.cfg")]
        try workspace.write("haproxy.log", text: "")
        let log = try FileHandle(forWritingTo: workspace.url("haproxy.log"))
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    public func log() -> String {
        (try? String(contentsOfFile: workspace.path("haproxy.log"), encoding: .utf8)) ?? ""
    }

    public var isRunning: Bool { process.isRunning }

    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }
}
