import Common
import Foundation
import Logging
import ServiceLifecycle

/// Starts `count` signer processes on this host, restarts one that exits (with backoff), and
/// stops them gracefully (SIGTERM, then SIGKILL after a grace period) when the gateway stops.
final class LocalSignerSupervisor: Service, Sendable {
    struct Configuration: Sendable {
        var count: Int
        var executable: String
        /// Arguments after `--gateway ENDPOINT`.
        var arguments: [String]
        var stopGrace: Duration = .seconds(15)
    }

    private let configuration: Configuration
    private let endpoint: @Sendable () async throws -> String
    private let logger: Logger
    private let state = Locked(State())

    private struct State {
        var stopping = false
        var running: [Int: pid_t] = [:]
    }

    init(configuration: Configuration, endpoint: @escaping @Sendable () async throws -> String, logger: Logger) {
        self.configuration = configuration
        self.endpoint = endpoint
        self.logger = logger
    }

    /// Process ids of the signers running now (for tests and diagnostics).
    var pids: [pid_t] { state.withLock { Array($0.running.values) } }

    func run() async throws {
        guard configuration.count > 0 else {
            // Nothing to supervise, but a service that returns would stop the whole group.
            try? await gracefulShutdown()
            return
        }
        guard FileManager.default.isExecutableFile(atPath: configuration.executable) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: configuration.executable])
        }
        let gateway = try await endpoint()
        // Graceful shutdown and cancellation (another service failed, e.g. the HTTP port is
        // taken) both stop the signers; waiting for a child that is never told to stop would hang.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    for slot in 0..<configuration.count {
                        group.addTask { await self.supervise(slot: slot, gateway: gateway) }
                    }
                }
            } onGracefulShutdown: {
                self.stopAll()
            }
        } onCancel: {
            self.stopAll()
        }
    }

    private func supervise(slot: Int, gateway: String) async {
        var backoff = Backoff()
        while !state.withLock({ $0.stopping }) {
            let started = ContinuousClock.now
            let (pid, status) = await runOnce(slot: slot, gateway: gateway)
            state.withLock { _ = $0.running.removeValue(forKey: slot) }
            let metadata: Logger.Metadata = [
                "signer.slot": "\(slot)", "signer.pid": "\(pid)", "signer.exit": "\(status)",
            ]
            if state.withLock({ $0.stopping }) {
                // Tests tell this from a signer that left on its own: the gateway reaped it.
                logger.info("local signer stopped", metadata: metadata)
                break
            }
            let ranFor = started.duration(to: .now)
            logger.warning("local signer exited; restarting", metadata: metadata)
            if ranFor > .seconds(10) { backoff.reset() }
            try? await Task.sleep(for: backoff.next())
        }
    }

    /// Runs one signer process until it exits; returns its pid and how it ended (`exit 0`, `signal 9`).
    private func runOnce(slot: Int, gateway: String) async -> (pid: pid_t, status: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: configuration.executable)
        process.arguments = ["--gateway", gateway] + configuration.arguments + ["--exit-with-parent", "true"]
        return await withCheckedContinuation { (continuation: CheckedContinuation<(pid_t, String), Never>) in
            process.terminationHandler = { process in
                let how = process.terminationReason == .uncaughtSignal ? "signal" : "exit"
                continuation.resume(returning: (process.processIdentifier, "\(how) \(process.terminationStatus)"))
            }
            do {
                try process.run()
            } catch {
                logger.error("cannot start local signer", metadata: ["error": "\(error)"])
                process.terminationHandler = nil
                continuation.resume(returning: (0, "not started"))
                return
            }
            let pid = process.processIdentifier
            let stopNow = state.withLock { state -> Bool in
                state.running[slot] = pid
                return state.stopping
            }
            if stopNow { kill(pid, SIGTERM) }
            logger.info("local signer started", metadata: ["signer.slot": "\(slot)", "signer.pid": "\(pid)"])
        }
    }

    private func stopAll() {
        let pids = state.withLock { state -> [pid_t] in
            state.stopping = true
            return Array(state.running.values)
        }
        for pid in pids { kill(pid, SIGTERM) }
        let grace = configuration.stopGrace
        Task {
            try? await Task.sleep(for: grace)
            for pid in self.pids { kill(pid, SIGKILL) }
        }
    }
}

/// Exponential restart backoff: 100 ms doubling up to 5 s.
struct Backoff: Sendable {
    private var current: Duration = .milliseconds(100)
    let maximum: Duration = .seconds(5)

    mutating func next() -> Duration {
        defer { current = min(current * 2, maximum) }
        return current
    }

    mutating func reset() { current = .milliseconds(100) }
}
