import Dispatch

/// Runs blocking file-system work (fsync, large reads) on Dispatch's threads, never on the
/// cooperative pool: with two cores one blocked task stalls the server (FIELD-NOTES.md).
enum BlockingIO {
    private static let queue = DispatchQueue(label: "signet.blocking-io", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}
