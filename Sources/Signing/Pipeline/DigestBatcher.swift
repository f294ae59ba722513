import Crypto

/// Coalesces concurrent signature requests of one client service into one `backend.sign` call
/// (a CSC `signatures/signHash` with several hashes), up to `backend.maxBatch(for:)` digests.
///
/// A client's requests wait in its queue until it holds `maxBatch` digests or `delay` has passed
/// since the first of them arrived, whichever comes first; then they leave as one call, made off
/// the actor. A client has at most `maxCallsInFlight` calls out that did not leave full: while
/// they run (a remote call takes its latency), requests gather, and the next call leaves as soon
/// as one returns — batches grow with the load instead of the delay cutting them short. With `maxBatch` 1 a request calls the backend straight away, with no delay and no
/// queue. A failing call fails exactly the requests of that batch; each client has its own queue
/// and its own calls, so one client's failure never touches another's requests.
///
/// Every request is answered exactly once: with its signature, its batch's error, or
/// `CancellationError` when its task is cancelled (at once, even when its batch is already at the
/// backend: that call goes on, and its answer for this request is dropped).
public actor DigestBatcher<C: Clock> where C.Duration == Duration {
    public nonisolated let backend: any SigningBackend
    /// How long the first request of a batch waits for others.
    public nonisolated let delay: Duration
    /// Calls per client at the backend at once, unless a batch is full.
    public nonisolated let maxCallsInFlight: Int
    private nonisolated let clock: C
    /// Each client's calls at the backend now.
    private var calls: [String: Int] = [:]

    /// Requests not answered yet, queued or at the backend, by request id.
    private var waiters: [UInt64: Waiter] = [:]
    /// Each client's queued requests, oldest first.
    private var queues: [String: Queue] = [:]
    private var nextID: UInt64 = 0

    private struct Waiter {
        let client: String
        let continuation: CheckedContinuation<[UInt8], any Error>
    }

    private struct Queue {
        var requests: [(id: UInt64, digest: SendableDigest)] = []
        /// Flushes the queue `delay` after its oldest request arrived; its id tells a timer that
        /// fired from one that was replaced meanwhile.
        var timer: (id: UInt64, task: Task<Void, Never>)?
        /// Its delay passed with `maxCallsInFlight` calls out: it leaves when one returns.
        var waitingForACall = false
    }

    public init(backend: any SigningBackend, delay: Duration = .milliseconds(5), maxCallsInFlight: Int = 2, clock: C) {
        self.backend = backend
        self.delay = delay
        self.maxCallsInFlight = max(1, maxCallsInFlight)
        self.clock = clock
    }

    /// How many of `client`'s requests wait in its queue (not yet at the backend).
    func queuedCount(for client: String) -> Int { queues[client]?.requests.count ?? 0 }

    /// The signature of `digest` by `client`'s key, as the backend returns it.
    public nonisolated func sign(_ digest: SHA256.Digest, for client: String) async throws -> [UInt8] {
        let maxBatch = await backend.maxBatch(for: client)
        guard maxBatch > 1 else {
            return try Self.checked(try await backend.sign([digest], for: client), count: 1)[0]
        }
        return try await enqueue(SendableDigest(digest: digest), for: client, maxBatch: maxBatch)
    }

    /// Queues the request; the continuation is registered before this actor turn ends, so a
    /// cancellation (which reaches the actor only after it) always finds it.
    private func enqueue(_ digest: SendableDigest, for client: String, maxBatch: Int) async throws -> [UInt8] {
        let id = newID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard !Task.isCancelled else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                waiters[id] = Waiter(client: client, continuation: continuation)
                var queue = queues[client, default: Queue()]
                queue.requests.append((id, digest))
                queues[client] = queue
                if queue.requests.count >= maxBatch {
                    flush(client, upTo: maxBatch)
                } else if queue.timer == nil && !queue.waitingForACall {
                    startTimer(client, maxBatch: maxBatch)
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    private func newID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }

    private func startTimer(_ client: String, maxBatch: Int) {
        let (clock, delay, id) = (self.clock, self.delay, newID())
        let task = Task {
            guard (try? await clock.sleep(for: delay)) != nil else { return }  // cancelled: flushed already
            self.timerFired(id, client: client, maxBatch: maxBatch)
        }
        queues[client]?.timer = (id, task)
    }

    private func timerFired(_ id: UInt64, client: String, maxBatch: Int) {
        guard queues[client]?.timer?.id == id else { return }  // its batch left when it filled up
        queues[client]?.timer = nil
        // With enough calls out, the queue leaves when one of them returns.
        guard calls[client, default: 0] < maxCallsInFlight else {
            queues[client]?.waitingForACall = true
            return
        }
        flush(client, upTo: maxBatch)
    }

    /// Sends the oldest `maxBatch` queued requests of `client` as one call; what stays queued
    /// waits for a new timer.
    private func flush(_ client: String, upTo maxBatch: Int) {
        guard var queue = queues[client], !queue.requests.isEmpty else { return }
        let batch = Array(queue.requests.prefix(maxBatch))
        queue.requests.removeFirst(batch.count)
        queue.timer?.task.cancel()
        queue.timer = nil
        queue.waitingForACall = false
        queues[client] = queue.requests.isEmpty ? nil : queue
        if !queue.requests.isEmpty { startTimer(client, maxBatch: maxBatch) }
        calls[client, default: 0] += 1
        let backend = self.backend
        Task {
            let result: Result<[[UInt8]], any Error>
            do {
                let digests = batch.map(\.digest.digest)
                result = .success(try Self.checked(try await backend.sign(digests, for: client), count: batch.count))
            } catch {
                result = .failure(error)
            }
            self.returned(client, maxBatch: maxBatch)
            self.answer(batch.map(\.id), with: result)
        }
    }

    /// A call came back: what gathered meanwhile leaves now.
    private func returned(_ client: String, maxBatch: Int) {
        let left = calls[client, default: 1] - 1
        calls[client] = left > 0 ? left : nil
        if left < maxCallsInFlight, queues[client]?.waitingForACall == true { flush(client, upTo: maxBatch) }
    }

    private func answer(_ ids: [UInt64], with result: Result<[[UInt8]], any Error>) {
        for (index, id) in ids.enumerated() {
            guard let waiter = waiters.removeValue(forKey: id) else { continue }  // cancelled meanwhile
            switch result {
            case .success(let signatures): waiter.continuation.resume(returning: signatures[index])
            case .failure(let error): waiter.continuation.resume(throwing: error)
            }
        }
    }

    private func cancel(_ id: UInt64) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }  // answered already
        if var queue = queues[waiter.client] {
            queue.requests.removeAll { $0.id == id }
            if queue.requests.isEmpty {
                queue.timer?.task.cancel()
                queues[waiter.client] = nil
            } else {
                queues[waiter.client] = queue
            }
        }
        waiter.continuation.resume(throwing: CancellationError())
    }

    /// The backend's answer, which must hold one signature per digest.
    private static func checked(_ signatures: [[UInt8]], count: Int) throws(SigningError) -> [[UInt8]] {
        guard signatures.count == count else {
            throw SigningError(
                code: "SIGNING_FAILED",
                message: "the signing backend returned \(signatures.count) signatures for \(count) digests")
        }
        return signatures
    }
}

extension DigestBatcher where C == ContinuousClock {
    public init(backend: any SigningBackend, delay: Duration = .milliseconds(5), maxCallsInFlight: Int = 2) {
        self.init(backend: backend, delay: delay, maxCallsInFlight: maxCallsInFlight, clock: ContinuousClock())
    }
}

/// `SHA256.Digest` is an immutable value (its 32 bytes held inline) that swift-crypto 3.12 does not
/// mark `Sendable`; it crosses into and out of the batcher in this box.
struct SendableDigest: @unchecked Sendable {
    let digest: SHA256.Digest
}
