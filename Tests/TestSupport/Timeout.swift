/// Runs `operation` and throws `TimeoutError` when it has not finished after `duration`; the
/// operation is cancelled then (a `for await` over an `AsyncStream` ends on cancellation), so a
/// test waiting for a message that never comes fails instead of hanging.
public func withTimeout<T: Sendable>(
    _ duration: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: duration)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TimeoutError(description: "\(what): no result after \(duration)")
        }
        return value
    }
}

public struct TimeoutError: Error, CustomStringConvertible {
    public let description: String
}
