import Common
import Dispatch

/// Runs blocking file-system work (fsync, reads and writes of documents) on Dispatch threads,
/// never on the cooperative pool: with two cores one blocked task stalls the server
/// (FIELD-NOTES.md).
///
/// Serial queues, several of them: on Linux a concurrent queue runs on the global pool, about as
/// wide as the cores, so two syncs waiting on the disk would hold back every read behind them.
/// Each serial queue gets a thread of its own (Dispatch's overcommit pool) when it has work.
enum BlockingIO {
    private static let queues = (0..<16).map { DispatchQueue(label: "signet.blocking-io.\($0)", qos: .userInitiated) }
    private static let next = Locked(0)

    static func queue() -> DispatchQueue {
        let index = next.withLock { index in
            defer { index = (index + 1) % queues.count }
            return index
        }
        return queues[index]
    }

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue().async { continuation.resume(with: Result { try work() }) }
        }
    }
}
