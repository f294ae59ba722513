import Common
import Crypto
import Testing

@testable import Signing

/// The batcher against a backend that records its calls, on a clock the tests move: requests of
/// one client leave together when the batch is full or its delay has passed, a failure fails its
/// batch only, clients never share a call, and every request is answered once, cancelled or not.
@Suite(.timeLimit(.minutes(1)))
struct DigestBatcherTests {
    static func digest(_ label: String) -> SHA256.Digest { SHA256.hash(data: Array(label.utf8)) }

    @Test func requestsOfOneClientAreCoalescedUpToMaxBatch() async throws {
        let backend = RecordingBackend(maxBatch: 4)
        let clock = ManualClock()  // never moved: only a full batch leaves
        let batcher = DigestBatcher(backend: backend, delay: .seconds(1), clock: clock)
        let labels = (0..<8).map { "document \($0)" }
        let signatures = try await withThrowingTaskGroup(of: (String, [UInt8]).self) { group in
            for label in labels {
                group.addTask { (label, try await batcher.sign(Self.digest(label), for: "alice")) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        for label in labels {
            #expect(signatures[label] == RecordingBackend.signature(Self.digest(label), "alice"))
        }
        #expect(backend.calls.map(\.digests.count) == [4, 4])
        #expect(backend.calls.allSatisfy { $0.client == "alice" })
    }

    @Test func aBatchThatIsNotFullLeavesAfterTheDelay() async throws {
        let backend = RecordingBackend(maxBatch: 10)
        let clock = ManualClock()
        let batcher = DigestBatcher(backend: backend, delay: .milliseconds(5), clock: clock)
        let requests = (0..<3).map { index in
            Task { try await batcher.sign(Self.digest("\(index)"), for: "alice") }
        }
        try await eventually { await batcher.queuedCount(for: "alice") == 3 && clock.sleeperCount == 1 }
        clock.advance(by: .milliseconds(4))
        #expect(backend.calls.isEmpty, "the batch left before its delay")
        clock.advance(by: .milliseconds(1))
        for (index, request) in requests.enumerated() {
            #expect(try await request.value == RecordingBackend.signature(Self.digest("\(index)"), "alice"))
        }
        #expect(backend.calls.map(\.digests.count) == [3])
    }

    /// Slow calls (a remote service's latency): with `maxCallsInFlight` calls out, requests
    /// gather instead of leaving at each delay, and leave together when a call returns.
    @Test func requestsGatherWhileCallsAreOutAndLeaveWhenOneReturns() async throws {
        let gate = Gate()
        let backend = RecordingBackend(maxBatch: 100) { _, _ in await gate.wait() }
        let clock = ManualClock()
        let batcher = DigestBatcher(backend: backend, delay: .milliseconds(5), maxCallsInFlight: 1, clock: clock)
        let first = Task { try await batcher.sign(Self.digest("first"), for: "alice") }
        try await eventually { clock.sleeperCount == 1 }
        clock.advance(by: .milliseconds(5))
        try await eventually { backend.calls.count == 1 }
        // The call is out: these wait, whatever the delay says.
        let more = (0..<10).map { index in Task { try await batcher.sign(Self.digest("\(index)"), for: "alice") } }
        try await eventually { await batcher.queuedCount(for: "alice") == 10 }
        clock.advance(by: .milliseconds(50))
        try await Task.sleep(for: .milliseconds(20))
        #expect(backend.calls.count == 1, "a batch left while the call was out")
        gate.open()
        _ = try await first.value
        for (index, request) in more.enumerated() {
            #expect(try await request.value == RecordingBackend.signature(Self.digest("\(index)"), "alice"))
        }
        #expect(backend.calls.map(\.digests.count) == [1, 10])
    }

    @Test func withMaxBatchOneARequestCallsStraightThrough() async throws {
        let backend = RecordingBackend(maxBatch: 1)
        let clock = ManualClock()  // never moved: a request that waited for it would hang
        let batcher = DigestBatcher(backend: backend, delay: .seconds(3600), clock: clock)
        async let first = batcher.sign(Self.digest("a"), for: "alice")
        async let second = batcher.sign(Self.digest("b"), for: "alice")
        #expect(try await [first, second] == ["a", "b"].map { RecordingBackend.signature(Self.digest($0), "alice") })
        #expect(backend.calls.map(\.digests.count) == [1, 1])
        #expect(clock.sleeperCount == 0)
    }

    @Test func aFailingCallFailsOnlyTheRequestsOfItsBatch() async throws {
        let poison = Array(Self.digest("poison"))
        let backend = RecordingBackend(maxBatch: 2) { digests, _ in
            if digests.contains(poison) { throw SigningError(code: "REMOTE_REFUSED", message: "refused") }
        }
        let batcher = DigestBatcher(backend: backend, delay: .seconds(1), clock: ManualClock())
        // Queued one after the other, so the batches are [poison, b] and [c, d].
        var requests: [(String, Task<[UInt8], any Error>)] = []
        for label in ["poison", "b", "c", "d"] {
            requests.append((label, Task { try await batcher.sign(Self.digest(label), for: "alice") }))
            let queued = requests.count % 2
            try await eventually { await batcher.queuedCount(for: "alice") == queued }
        }
        for (label, request) in requests {
            switch (label, await request.result) {
            case ("poison", .failure(let error as SigningError)), ("b", .failure(let error as SigningError)):
                #expect(error.code == "REMOTE_REFUSED")
            case (_, .success(let signature)) where label == "c" || label == "d":
                #expect(signature == RecordingBackend.signature(Self.digest(label), "alice"))
            case (_, let result):
                Issue.record("\(label): unexpected \(result)")
            }
        }
        #expect(backend.calls.map(\.digests.count) == [2, 2])
    }

    @Test func oneClientsFailureNeverTouchesAnothersRequests() async throws {
        let backend = RecordingBackend(maxBatch: 3) { _, client in
            if client == "bob" { throw SigningError(code: "CREDENTIAL_LOCKED", message: "bob's credential is locked") }
        }
        let clock = ManualClock()
        let batcher = DigestBatcher(backend: backend, delay: .milliseconds(5), clock: clock)
        let outcomes = await withTaskGroup(of: (String, Result<[UInt8], any Error>).self) { group in
            for client in ["alice", "bob"] {
                for index in 0..<4 {
                    group.addTask {
                        do {
                            return (client, .success(try await batcher.sign(Self.digest("\(index)"), for: client)))
                        } catch {
                            return (client, .failure(error))
                        }
                    }
                }
            }
            // The fourth of each client waits for its delay.
            group.addTask {
                try? await eventually {
                    let alice = await batcher.queuedCount(for: "alice")
                    let bob = await batcher.queuedCount(for: "bob")
                    return alice == 1 && bob == 1 && clock.sleeperCount == 2
                }
                clock.advance(by: .milliseconds(5))
                return ("clock", .success([]))
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for (client, outcome) in outcomes where client != "clock" {
            switch outcome {
            case .success: #expect(client == "alice")
            case .failure(let error): #expect(client == "bob" && (error as? SigningError)?.code == "CREDENTIAL_LOCKED")
            }
        }
        #expect(outcomes.count { $0.0 == "alice" } == 4)
        #expect(backend.calls.count { $0.client == "alice" } == 2)
        #expect(backend.calls.count { $0.client == "bob" } == 2)
    }

    @Test func aBackendThatAnswersTheWrongNumberOfSignaturesFailsItsBatch() async throws {
        let backend = RecordingBackend(maxBatch: 2, dropLast: true)
        let batcher = DigestBatcher(backend: backend, delay: .seconds(1), clock: ManualClock())
        let requests = ["a", "b"].map { label in Task { try await batcher.sign(Self.digest(label), for: "alice") } }
        for request in requests {
            let result = await request.result
            guard case .failure(let error as SigningError) = result else {
                Issue.record("expected SIGNING_FAILED, got \(result)")
                continue
            }
            #expect(error.code == "SIGNING_FAILED")
        }
    }

    /// A cancelled request is answered at once, whether it still waits in its queue or its batch
    /// is already at the backend; the others of its batch are not disturbed.
    @Test func aCancelledRequestIsAnsweredAtOnceAndLeavesItsBatch() async throws {
        let gate = Gate()
        let backend = RecordingBackend(maxBatch: 2) { _, _ in await gate.wait() }
        let batcher = DigestBatcher(backend: backend, delay: .seconds(1), clock: ManualClock())

        // Cancelled while queued: it leaves the queue, and the next two make the batch.
        let queued = Task { try await batcher.sign(Self.digest("cancelled"), for: "alice") }
        try await eventually { await batcher.queuedCount(for: "alice") == 1 }
        queued.cancel()
        #expect(await queued.result.isCancellation)
        #expect(await batcher.queuedCount(for: "alice") == 0)

        // Cancelled while its batch is at the backend: answered before the backend answers.
        let kept = Task { try await batcher.sign(Self.digest("kept"), for: "alice") }
        let leaving = Task { try await batcher.sign(Self.digest("leaving"), for: "alice") }
        try await eventually { backend.calls.count == 1 }
        leaving.cancel()
        #expect(await leaving.result.isCancellation)
        gate.open()
        #expect(try await kept.value == RecordingBackend.signature(Self.digest("kept"), "alice"))
        #expect(backend.calls.map { Set($0.digests) } == [[Array(Self.digest("kept")), Array(Self.digest("leaving"))]])

        // Cancelled before it asked: answered without reaching the backend.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await batcher.sign(Self.digest("early"), for: "alice")
        }
        #expect(await early.result.isCancellation)
        #expect(await batcher.queuedCount(for: "alice") == 0)
    }
}

/// Signs each digest as `digest || client`, recording every call; `behaviour` runs first and may
/// throw (failing the call) or wait.
final class RecordingBackend: SigningBackend {
    struct Call: Sendable {
        var client: String
        /// Each digest's bytes.
        var digests: [[UInt8]]
    }

    let maxBatch: Int
    let dropLast: Bool
    let behaviour: @Sendable ([[UInt8]], String) async throws -> Void
    private let recorded = Locked<[Call]>([])

    init(
        maxBatch: Int, dropLast: Bool = false,
        behaviour: @escaping @Sendable ([[UInt8]], String) async throws -> Void = { _, _ in }
    ) {
        self.maxBatch = maxBatch
        self.dropLast = dropLast
        self.behaviour = behaviour
    }

    var calls: [Call] { recorded.withLock { $0 } }

    static func signature(_ digest: SHA256.Digest, _ client: String) -> [UInt8] {
        Array(digest) + Array(client.utf8)
    }

    func identity(for client: String) async throws -> SigningIdentity {
        throw SigningError(code: "NO_IDENTITY", message: "the batcher never asks")
    }

    func maxBatch(for client: String) async -> Int { maxBatch }

    func sign(_ digests: [SHA256.Digest], for client: String) async throws -> [[UInt8]] {
        let bytes = digests.map { Array($0) }
        recorded.withLock { $0.append(Call(client: client, digests: bytes)) }
        try await behaviour(bytes, client)
        let signatures = digests.map { Self.signature($0, client) }
        return dropLast ? Array(signatures.dropLast()) : signatures
    }
}

/// Holds tasks until it is opened.
final class Gate: Sendable {
    private let state = Locked<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resume = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resume { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Polls `condition` until it holds (every millisecond, for at most 10 s).
func eventually(_ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now.advanced(by: .seconds(10))
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestFailure("condition not met in time") }
        try await Task.sleep(for: .milliseconds(1))
    }
}

extension Result {
    var isCancellation: Bool {
        if case .failure(let error) = self { return error is CancellationError }
        return false
    }
}
