import Common
import Testing

@testable import Gateway

/// The dispatcher is pure: time moves only when the test says so.
@Suite(.timeLimit(.minutes(2)))
struct DispatcherTests {
    typealias D = Dispatcher<TestInstant>
    let a: [UInt8] = Array("signer-a".utf8)
    let b: [UInt8] = Array("signer-b".utf8)
    var t0 = TestInstant(offset: .zero)

    func ready(_ credit: Int, draining: Bool = false) -> WireMessage {
        .ready(.init(signerID: "x", credit: credit, pid: 1, host: "h", draining: draining))
    }

    func jobs(_ count: Int, operation: String = "op") -> [JobRef] {
        (0..<count).map { JobRef(operationID: operation, document: $0, contentDigest: "d\($0)") }
    }

    func result(_ job: JobRef, attempt: Int, digest: String? = nil, resent: Bool = false) -> WireMessage {
        let header = WireMessage.Job(
            id: .init(operationID: job.operationID, document: job.document, attempt: attempt),
            contentDigest: digest ?? job.contentDigest, name: "n", contentType: "t",
            signature: .init(signatureType: "CAdES"))
        var result = WireMessage.Result(job: header, signed: true)
        result.resent = resent
        return .result(result, body: [1])
    }

    func accepted(_ actions: [D.Action]) -> Bool {
        actions.contains { if case .accept = $0 { true } else { false } }
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

    /// Large documents: no more than `maxBytesInFlight` go out (one always does), and bytes come
    /// back only when the result is stored, or the job is lost.
    @Test func bytesOutWithSignersAreBounded() {
        var dispatcher = D(configuration: .init(maxBytesInFlight: 50))
        let big = (0..<4).map { JobRef(operationID: "op", document: $0, contentDigest: "d\($0)", size: 20) }
        _ = dispatcher.enqueue(big + [JobRef(operationID: "op", document: 9, contentDigest: "x", size: 80)], now: t0)
        #expect(sentJobs(dispatcher.received(ready(8), from: a, now: t0)).map(\.job.document) == [0, 1])
        #expect(dispatcher.bytesInFlight == 40)
        // The result is accepted but not yet stored: its bytes are still out.
        let actions = dispatcher.received(result(big[0], attempt: 1), from: a, now: t0)
        #expect(accepted(actions) && sentJobs(actions).isEmpty)
        dispatcher.recorded(.init(operationID: "op", document: 0, attempt: 1))
        #expect(sentJobs(dispatcher.tick(now: t0)).map(\.job.document) == [2])
        // A signer lost holding jobs gives their bytes back.
        _ = dispatcher.received(.disconnect(reason: "bye"), from: a, now: t0)
        #expect(dispatcher.bytesInFlight == 0)
        // A job larger than the bound still goes, alone.
        var alone = D(configuration: .init(maxBytesInFlight: 50))
        _ = alone.enqueue([JobRef(operationID: "op", document: 9, contentDigest: "x", size: 80)] + big, now: t0)
        #expect(sentJobs(alone.received(ready(8), from: b, now: t0)).map(\.job.document) == [9])
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
        // A dead signer's jobs are suspects: they go out again one at a time, each alone.
        let resent = sentJobs(actions)
        #expect(resent.count == 1)
        #expect(resent.allSatisfy { $0.peer == b && $0.attempt == 2 })
        #expect(dispatcher.signerCount == 1)
        let second = sentJobs(
            dispatcher.received(result(resent[0].job, attempt: 2), from: b, now: t0.advanced(by: .seconds(3.6))))
        #expect(second.map(\.attempt) == [2])
        #expect(second.map(\.job.document) != resent.map(\.job.document))
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
        #expect(giveUp.contains(.giveUp(job, attempts: 2, reason: .lost)))
        #expect(dispatcher.inFlightCount == 0)
    }

    @Test func aQuietSignerGetsNoMoreWork() {
        var dispatcher = D(configuration: .init())
        _ = dispatcher.received(ready(1), from: a, now: t0)
        let all = jobs(2)
        _ = dispatcher.enqueue(all, now: t0)
        #expect(dispatcher.received(ready(0, draining: true), from: a, now: t0) == [.sendDrained(to: a)])
        let actions = dispatcher.received(result(all[0], attempt: 1), from: a, now: t0)
        #expect(sentJobs(actions).isEmpty)
        #expect(dispatcher.queuedCount == 1)
        // DISCONNECT: nothing held, nothing lost; the queued job waits for another signer.
        _ = dispatcher.received(.disconnect(reason: "bye"), from: a, now: t0)
        #expect(dispatcher.signerCount == 0)
        #expect(sentJobs(dispatcher.received(ready(1), from: b, now: t0)).map(\.job.document) == [1])
    }

    @Test func aOneSlotSignerWhoseLeaseExpiredKeepsGettingWork() {
        var dispatcher = D(
            configuration: .init(heartbeatInterval: .seconds(1), liveness: 1000, lease: .seconds(10), maxAttempts: 5))
        _ = dispatcher.received(ready(1), from: a, now: t0)
        let all = jobs(3)
        #expect(sentJobs(dispatcher.enqueue(all, now: t0)).map(\.job.document) == [0])
        // The lease expires: job 0 goes back to the front, and the slot counts as free again.
        let expired = sentJobs(dispatcher.tick(now: t0.advanced(by: .seconds(11))))
        #expect(expired.map(\.job.document) == [0])
        #expect(expired.map(\.attempt) == [2])
        // The late result of attempt 1 is not recorded and gives no second credit.
        let late = dispatcher.received(result(all[0], attempt: 1), from: a, now: t0.advanced(by: .seconds(12)))
        #expect(!accepted(late))
        #expect(sentJobs(late).isEmpty)
        // Attempt 2's result is recorded and the next job follows.
        let next = dispatcher.received(result(all[0], attempt: 2), from: a, now: t0.advanced(by: .seconds(13)))
        #expect(accepted(next))
        #expect(sentJobs(next).map(\.job.document) == [1])
    }

    @Test func aSignerThatRegistersAgainWhileBusyGetsItsCreditBackFromResults() {
        var dispatcher = D(configuration: .init(heartbeatInterval: .seconds(1), liveness: 3))
        _ = dispatcher.received(ready(2), from: a, now: t0)
        let all = jobs(4)
        #expect(sentJobs(dispatcher.enqueue(all, now: t0)).count == 2)
        // It re-registers while both slots are busy: credit 0, but not draining.
        #expect(sentJobs(dispatcher.received(ready(0), from: a, now: t0)).isEmpty)
        let first = dispatcher.received(result(all[0], attempt: 1), from: a, now: t0)
        #expect(accepted(first))
        #expect(sentJobs(first).map(\.job.document) == [2])
        // Forgotten (silent) while busy, then back: the job it finishes frees a slot its READY did not count.
        _ = dispatcher.tick(now: t0.advanced(by: .seconds(4)))
        #expect(dispatcher.signerCount == 0)
        _ = dispatcher.received(ready(0), from: a, now: t0.advanced(by: .seconds(5)))
        let afterReturn = sentJobs(
            dispatcher.received(result(all[1], attempt: 1), from: a, now: t0.advanced(by: .seconds(5))))
        #expect(afterReturn.count == 1)
    }

    @Test func aResentResultGivesNoCredit() {
        var dispatcher = D(configuration: .init())
        _ = dispatcher.received(ready(1), from: a, now: t0)
        let all = jobs(3)
        _ = dispatcher.enqueue(all, now: t0)
        // The signer finished job 0, its RESULT was lost; it registers again with its slot free
        // (which sends job 1), then re-sends the result.
        #expect(sentJobs(dispatcher.received(ready(1), from: a, now: t0)).map(\.job.document) == [1])
        let resent = dispatcher.received(result(all[0], attempt: 1, resent: true), from: a, now: t0)
        #expect(accepted(resent))
        #expect(sentJobs(resent).isEmpty)
        #expect(dispatcher.queuedCount == 1)
    }

    @Test func aResultFromAPeerThatDoesNotHoldTheLeaseIsNotRecorded() {
        var dispatcher = D(configuration: .init())
        _ = dispatcher.received(ready(1), from: a, now: t0)
        _ = dispatcher.received(ready(0), from: b, now: t0)
        let job = jobs(1)[0]
        #expect(sentJobs(dispatcher.enqueue([job], now: t0)).map(\.peer) == [a])
        let forged = dispatcher.received(result(job, attempt: 1), from: b, now: t0)
        #expect(forged == [.ackOnly(to: b, .init(operationID: "op", document: 0, attempt: 1))])
        // An unregistered peer gets no further.
        let stranger: [UInt8] = Array("stranger".utf8)
        #expect(!accepted(dispatcher.received(result(job, attempt: 1), from: stranger, now: t0)))
        #expect(accepted(dispatcher.received(result(job, attempt: 1), from: a, now: t0)))
    }

    /// A signer dies holding three jobs: each runs again alone on a signer that holds nothing
    /// else; the one whose lone signer dies too fails `crashed`, the others are signed, and the
    /// loss is not charged against them.
    @Test func theJobsOfADeadSignerRunAloneAndAPoisonOneFailsCrashed() {
        var dispatcher = D(configuration: .init(heartbeatInterval: .seconds(1), liveness: 3, maxAttempts: 1))
        let c: [UInt8] = Array("signer-c".utf8)
        _ = dispatcher.received(ready(3), from: a, now: t0)
        let all = jobs(5)
        #expect(sentJobs(dispatcher.enqueue(Array(all.prefix(3)), now: t0)).allSatisfy { $0.peer == a })
        // b is busy with a regular job when a dies.
        _ = dispatcher.received(ready(2), from: b, now: t0.advanced(by: .seconds(3)))
        #expect(sentJobs(dispatcher.enqueue(Array(all.suffix(2)), now: t0.advanced(by: .seconds(3)))).count == 2)
        let t4 = t0.advanced(by: .seconds(4))
        _ = dispatcher.received(.heartbeat, from: b, now: t4)
        // a is silent: dead. b holds two jobs, so it is reserved, not fed, until it is empty.
        #expect(sentJobs(dispatcher.tick(now: t4)).isEmpty)
        _ = dispatcher.received(result(all[3], attempt: 1), from: b, now: t4)
        let alone = sentJobs(dispatcher.received(result(all[4], attempt: 1), from: b, now: t4))
        #expect(alone.map(\.job.document) == [0])
        #expect(alone.map(\.attempt) == [2])
        // Nothing else goes to b while it runs the suspect, although it has credit.
        #expect(dispatcher.signerStates.first { $0.credit > 0 }?.jobsInFlight == 1)
        let next = sentJobs(dispatcher.received(result(all[0], attempt: 2), from: b, now: t4))
        #expect(next.map(\.job.document) == [1])
        // b dies running document 1 alone: it is the poison. Document 2 runs alone on c.
        _ = dispatcher.received(ready(2), from: c, now: t4.advanced(by: .seconds(3)))
        let t8 = t4.advanced(by: .seconds(4))
        _ = dispatcher.received(.heartbeat, from: c, now: t8)
        let actions = dispatcher.tick(now: t8)
        #expect(actions.contains(.giveUp(all[1], attempts: 2, reason: .crashed)))
        #expect(sentJobs(actions).map(\.job.document) == [2])
        #expect(accepted(dispatcher.received(result(all[2], attempt: 2), from: c, now: t8)))
        #expect(dispatcher.queuedCount == 0 && dispatcher.inFlightCount == 0)
    }

    @Test func aJobEnqueuedTwiceIsDispatchedOnce() {
        var dispatcher = D(configuration: .init())
        let job = jobs(1)
        _ = dispatcher.enqueue(job, now: t0)
        _ = dispatcher.enqueue(job, now: t0)
        #expect(dispatcher.queuedCount == 1)
        #expect(sentJobs(dispatcher.received(ready(4), from: a, now: t0)).count == 1)
        _ = dispatcher.enqueue(job, now: t0)
        #expect(dispatcher.queuedCount == 0)
        // Once its result is in, the same job may come again (a retry after a failed store).
        #expect(accepted(dispatcher.received(result(job[0], attempt: 1), from: a, now: t0)))
        #expect(sentJobs(dispatcher.retry(job[0], attempt: 1, now: t0)).map(\.attempt) == [2])
    }

    /// A result the gateway's check rejects goes out again to another signer; a second rejection
    /// fails the document.
    @Test func aRejectedResultGoesToAnotherSignerThenFails() {
        var dispatcher = D(configuration: .init())
        _ = dispatcher.received(ready(1), from: a, now: t0)
        let job = jobs(1)[0]
        #expect(sentJobs(dispatcher.enqueue([job], now: t0)).map(\.peer) == [a])
        #expect(accepted(dispatcher.received(result(job, attempt: 1), from: a, now: t0)))
        _ = dispatcher.received(ready(0), from: b, now: t0)
        // a has credit again, but the job waits for the other signer.
        #expect(
            sentJobs(dispatcher.rejected(.init(operationID: "op", document: 0, attempt: 1), from: a, now: t0)).isEmpty)
        #expect(dispatcher.queuedCount == 1)
        let toB = sentJobs(dispatcher.received(ready(1), from: b, now: t0))
        #expect(toB.map(\.peer) == [b])
        #expect(toB.map(\.attempt) == [2])
        #expect(accepted(dispatcher.received(result(job, attempt: 2), from: b, now: t0)))
        let second = dispatcher.rejected(.init(operationID: "op", document: 0, attempt: 2), from: b, now: t0)
        #expect(second == [.giveUp(job, attempts: 2, reason: .rejected)])
    }

    @Test func aRejectedResultOfTheOnlySignerGoesBackToIt() {
        var dispatcher = D(configuration: .init())
        _ = dispatcher.received(ready(1), from: a, now: t0)
        let job = jobs(1)[0]
        _ = dispatcher.enqueue([job], now: t0)
        _ = dispatcher.received(result(job, attempt: 1), from: a, now: t0)
        let again = sentJobs(dispatcher.rejected(.init(operationID: "op", document: 0, attempt: 1), from: a, now: t0))
        #expect(again.map(\.peer) == [a])
        #expect(again.map(\.attempt) == [2])
    }

    @Test func unknownPeersAreToldToRegister() {
        var dispatcher = D(configuration: .init())
        #expect(dispatcher.received(.heartbeat, from: a, now: t0) == [.sendDisconnect(to: a, reason: "not registered")])
    }

    /// A result that says the remote service is unavailable: the job waits its time (nothing
    /// is sent meanwhile), then runs again; past the retry deadline it fails as unavailable.
    @Test func jobsWaitWhileTheRemoteServiceIsUnavailableThenFailAfterTheDeadline() {
        var dispatcher = D(configuration: .init(liveness: 100, retryDeadline: .seconds(30)))
        let job = jobs(1)[0]
        _ = dispatcher.enqueue([job], now: t0)
        #expect(sentJobs(dispatcher.received(ready(4), from: a, now: t0)).count == 1)
        var now = t0
        var attempt = 1
        while true {
            #expect(accepted(dispatcher.received(result(job, attempt: attempt), from: a, now: now)))
            let actions = dispatcher.deferred(
                .init(operationID: "op", document: 0, attempt: attempt), retryAfter: .seconds(10), now: now)
            if let giveUp = actions.first(where: { if case .giveUp = $0 { true } else { false } }) {
                #expect(giveUp == .giveUp(job, attempts: attempt, reason: .unavailable))
                #expect(now.offset >= .seconds(30))
                break
            }
            #expect(sentJobs(actions).isEmpty, "sent again before its time")
            #expect(dispatcher.queuedCount == 1)
            #expect(sentJobs(dispatcher.tick(now: now.advanced(by: .seconds(9)))).isEmpty)
            now = now.advanced(by: .seconds(10))
            let again = sentJobs(dispatcher.tick(now: now))
            #expect(again.map(\.attempt) == [attempt + 1])
            attempt += 1
            if attempt > 10 { break }
        }
        #expect(attempt == 4)
        #expect(dispatcher.queuedCount == 0 && dispatcher.inFlightCount == 0)
        // Retired operations drop their waiting jobs too.
        _ = dispatcher.enqueue(jobs(1, operation: "other"), now: now)
        let other = jobs(1, operation: "other")[0]
        _ = dispatcher.received(result(other, attempt: 1), from: a, now: now)
        _ = dispatcher.deferred(.init(operationID: "other", document: 0, attempt: 1), retryAfter: .seconds(1), now: now)
        dispatcher.retire(operationID: "other")
        #expect(sentJobs(dispatcher.tick(now: now.advanced(by: .seconds(2)))).isEmpty)
        #expect(dispatcher.queuedCount == 0)
    }
}

/// A manual instant for the pure state machines.
struct TestInstant: InstantProtocol {
    var offset: Duration
    func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }
    func duration(to other: TestInstant) -> Duration { other.offset - offset }
    static func < (lhs: TestInstant, rhs: TestInstant) -> Bool { lhs.offset < rhs.offset }
}
