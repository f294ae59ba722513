import Common
import Testing

@testable import Gateway

/// The dispatcher is pure: time moves only when the test says so.
struct DispatcherTests {
    typealias D = Dispatcher<TestInstant>
    let a: [UInt8] = Array("signer-a".utf8)
    let b: [UInt8] = Array("signer-b".utf8)
    var t0 = TestInstant(offset: .zero)

    func ready(_ credit: Int) -> WireMessage {
        .ready(.init(signerID: "x", credit: credit, pid: 1, host: "h"))
    }

    func jobs(_ count: Int, operation: String = "op") -> [JobRef] {
        (0..<count).map { JobRef(operationID: operation, document: $0, contentDigest: "d\($0)") }
    }

    func result(_ job: JobRef, attempt: Int, digest: String? = nil) -> WireMessage {
        let header = WireMessage.Job(
            id: .init(operationID: job.operationID, document: job.document, attempt: attempt),
            contentDigest: digest ?? job.contentDigest, name: "n", contentType: "t",
            signature: .init(signatureType: "CAdES"))
        return .result(.init(job: header, signed: true), body: [1])
    }

    func sentJobs(_ actions: [D.Action]) -> [(peer: [UInt8], job: JobRef, attempt: Int)] {
        actions.compactMap {
            if case .sendJob(let peer, let job, let attempt) = $0 { (peer, job, attempt) } else { nil }
        }
    }

    @Test func jobsGoOnlyToSignersWithCreditAndSpreadEvenly() {
        var dispatcher = D(configuration: .init())
        #expect(sentJobs(dispatcher.enqueue(jobs(5), now: t0)).isEmpty)
        _ = dispatcher.received(ready(2), from: a, now: t0)
        let toB = sentJobs(dispatcher.received(ready(2), from: b, now: t0))
        #expect(toB.count == 2)
        #expect(dispatcher.queuedCount == 1)
        #expect(dispatcher.inFlightCount == 4)
        // A result gives credit back, and the last job goes out.
        let first = jobs(5)[0]
        let actions = dispatcher.received(result(first, attempt: 1), from: a, now: t0)
        #expect(actions.contains(.accept(from: a, .init(operationID: "op", document: 0, attempt: 1))))
        #expect(sentJobs(actions).map(\.job.document) == [4])
    }

    @Test func aResultIsAcceptedOnceAndOnlyForItsAttemptAndDigest() {
        var dispatcher = D(configuration: .init())
        _ = dispatcher.received(ready(1), from: a, now: t0)
        let job = jobs(1)[0]
        _ = dispatcher.enqueue([job], now: t0)
        let wrongDigest = dispatcher.received(result(job, attempt: 1, digest: "other"), from: a, now: t0)
        #expect(wrongDigest == [.ackOnly(to: a, .init(operationID: "op", document: 0, attempt: 1))])
        // The lease survives a mismatched result; the right one is accepted, a repeat is only ACKed.
        let right = dispatcher.received(result(job, attempt: 1), from: a, now: t0)
        #expect(right.contains(.accept(from: a, .init(operationID: "op", document: 0, attempt: 1))))
        let repeated = dispatcher.received(result(job, attempt: 1), from: a, now: t0)
        #expect(repeated == [.ackOnly(to: a, .init(operationID: "op", document: 0, attempt: 1))])
    }

    @Test func aSilentSignerIsForgottenAndItsJobsGoElsewhereWithTheNextAttempt() {
        var dispatcher = D(configuration: .init(heartbeatInterval: .seconds(1), liveness: 3))
        _ = dispatcher.received(ready(4), from: a, now: t0)
        let sent = sentJobs(dispatcher.enqueue(jobs(2), now: t0))
        #expect(sent.allSatisfy { $0.peer == a && $0.attempt == 1 })
        _ = dispatcher.received(ready(4), from: b, now: t0.advanced(by: .seconds(3)))
        // a is silent past 3 s; b heartbeats.
        _ = dispatcher.received(.heartbeat, from: b, now: t0.advanced(by: .seconds(3.5)))
        let actions = dispatcher.tick(now: t0.advanced(by: .seconds(3.5)))
        let resent = sentJobs(actions)
        #expect(resent.count == 2)
        #expect(resent.allSatisfy { $0.peer == b && $0.attempt == 2 })
        #expect(dispatcher.signerCount == 1)
        // The dead signer's late result is not recorded.
        let late = dispatcher.received(result(jobs(2)[0], attempt: 1), from: a, now: t0.advanced(by: .seconds(4)))
        #expect(!late.contains { if case .accept = $0 { true } else { false } })
    }

    @Test func heartbeatsGoToQuietPeers() {
        var dispatcher = D(configuration: .init(heartbeatInterval: .seconds(1)))
        _ = dispatcher.received(ready(1), from: a, now: t0)
        #expect(dispatcher.tick(now: t0.advanced(by: .milliseconds(500))).isEmpty)
        #expect(dispatcher.tick(now: t0.advanced(by: .seconds(1))) == [.sendHeartbeat(to: a)])
    }

    @Test func expiredLeasesAreRetriedThenGivenUp() {
        var dispatcher = D(
            configuration: .init(heartbeatInterval: .seconds(1), liveness: 1000, lease: .seconds(10), maxAttempts: 2))
        _ = dispatcher.received(ready(10), from: a, now: t0)
        let job = jobs(1)[0]
        _ = dispatcher.enqueue([job], now: t0)
        let retry = dispatcher.tick(now: t0.advanced(by: .seconds(11)))
        #expect(sentJobs(retry).map(\.attempt) == [2])
        let giveUp = dispatcher.tick(now: t0.advanced(by: .seconds(22)))
        #expect(giveUp.contains(.giveUp(job, attempts: 2)))
        #expect(dispatcher.inFlightCount == 0)
    }

    @Test func aQuietSignerGetsNoMoreWork() {
        var dispatcher = D(configuration: .init())
        _ = dispatcher.received(ready(1), from: a, now: t0)
        let all = jobs(2)
        _ = dispatcher.enqueue(all, now: t0)
        _ = dispatcher.received(ready(0), from: a, now: t0)
        let actions = dispatcher.received(result(all[0], attempt: 1), from: a, now: t0)
        #expect(sentJobs(actions).isEmpty)
        #expect(dispatcher.queuedCount == 1)
        // DISCONNECT: nothing held, nothing lost; the queued job waits for another signer.
        _ = dispatcher.received(.disconnect(reason: "bye"), from: a, now: t0)
        #expect(dispatcher.signerCount == 0)
        #expect(sentJobs(dispatcher.received(ready(1), from: b, now: t0)).map(\.job.document) == [1])
    }

    @Test func unknownPeersAreToldToRegister() {
        var dispatcher = D(configuration: .init())
        #expect(dispatcher.received(.heartbeat, from: a, now: t0) == [.sendDisconnect(to: a, reason: "not registered")])
    }
}

/// A manual instant for the pure state machines.
struct TestInstant: InstantProtocol {
    var offset: Duration
    func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }
    func duration(to other: TestInstant) -> Duration { other.offset - offset }
    static func < (lhs: TestInstant, rhs: TestInstant) -> Bool { lhs.offset < rhs.offset }
}
