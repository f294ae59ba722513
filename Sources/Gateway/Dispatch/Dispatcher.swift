import Common

/// Who gets which job: the signer registry, credit, leases, heartbeats and liveness, as a pure
/// state machine (docs/protocol.md). Every event returns the actions the I/O shell must perform.
struct Dispatcher<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    struct Configuration: Sendable {
        var heartbeatInterval: Duration = .seconds(1)
        var liveness = 3
        var lease: Duration = .seconds(120)
        var maxAttempts = 5
    }

    /// A signer's ZeroMQ routing id.
    typealias Peer = [UInt8]

    enum Action: Sendable, Equatable {
        case sendJob(to: Peer, JobRef, attempt: Int)
        /// Record this result, then ACK it.
        case accept(from: Peer, WireMessage.JobID)
        /// Do not record; ACK so the signer forgets it.
        case ackOnly(to: Peer, WireMessage.JobID)
        case sendHeartbeat(to: Peer)
        case sendDisconnect(to: Peer, reason: String)
        /// A job lost too many signers: fail the document.
        case giveUp(JobRef, attempts: Int)
    }

    private struct Signer {
        var credit: Int
        /// Announced `credit: 0`: its results give no credit back until it announces more.
        var quiet: Bool
        var holding: Set<JobKey> = []
        var lastHeard: Instant
        var lastSent: Instant
    }

    private struct JobKey: Hashable {
        var operationID: String
        var document: Int
    }

    private struct Lease {
        var job: JobRef
        var attempt: Int
        var peer: Peer
        var deadline: Instant
    }

    let configuration: Configuration
    private var signers: [Peer: Signer] = [:]
    private var queue: [(job: JobRef, attempt: Int)] = []
    private var queueHead = 0
    private var leases: [JobKey: Lease] = [:]
    /// Signers in the order they get work, so load spreads evenly.
    private var rotation: [Peer] = []
    private var rotationIndex = 0

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    var signerCount: Int { signers.count }
    var queuedCount: Int { queue.count - queueHead }
    var inFlightCount: Int { leases.count }

    mutating func enqueue(_ jobs: [JobRef], now: Instant) -> [Action] {
        queue.append(contentsOf: jobs.map { ($0, 1) })
        return dispatch(now: now)
    }

    mutating func received(_ message: WireMessage, from peer: Peer, now: Instant) -> [Action] {
        if case .ready(let ready) = message {
            if var signer = signers[peer] {
                signer.credit = max(0, ready.credit)
                signer.quiet = ready.credit <= 0
                signer.lastHeard = now
                signers[peer] = signer
            } else {
                signers[peer] = Signer(
                    credit: max(0, ready.credit), quiet: ready.credit <= 0, lastHeard: now, lastSent: now)
                rotation.append(peer)
            }
            return dispatch(now: now)
        }
        guard signers[peer] != nil else {
            // Unknown peer: it must register first. Results from it are still ACKed if valid elsewhere.
            if case .result(let result, _) = message {
                return resultActions(result, from: peer, now: now) + [
                    .sendDisconnect(to: peer, reason: "not registered")
                ]
            }
            if case .disconnect = message { return [] }
            return [.sendDisconnect(to: peer, reason: "not registered")]
        }
        signers[peer]?.lastHeard = now
        switch message {
        case .result(let result, _):
            return resultActions(result, from: peer, now: now) + dispatch(now: now)
        case .disconnect:
            return forget(peer, now: now)
        case .heartbeat, .ack, .job, .ready:
            return []
        }
    }

    /// Checks a result against the job's lease; returns the credit when the signer held the job.
    private mutating func resultActions(_ result: WireMessage.Result, from peer: Peer, now: Instant) -> [Action] {
        let key = JobKey(operationID: result.operationID, document: result.document)
        if signers[peer]?.holding.remove(key) != nil, signers[peer]?.quiet == false { signers[peer]?.credit += 1 }
        guard let lease = leases[key], lease.attempt == result.attempt, lease.job.contentDigest == result.contentDigest
        else {
            return [.ackOnly(to: peer, result.id)]
        }
        leases[key] = nil
        return [.accept(from: peer, result.id)]
    }

    /// The store refused or lost a result that was accepted: dispatch the job again.
    mutating func retry(_ job: JobRef, attempt: Int, now: Instant) -> [Action] {
        queue.insert((job, attempt + 1), at: queueHead)
        return dispatch(now: now)
    }

    /// Heartbeats, liveness and lease expiry. Call about twice per heartbeat interval.
    mutating func tick(now: Instant) -> [Action] {
        var actions: [Action] = []
        let silence = configuration.heartbeatInterval * configuration.liveness
        for peer in signers.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            guard let signer = signers[peer] else { continue }
            if signer.lastHeard.duration(to: now) > silence {
                actions += forget(peer, now: now)
            } else if signer.lastSent.duration(to: now) >= configuration.heartbeatInterval {
                signers[peer]?.lastSent = now
                actions.append(.sendHeartbeat(to: peer))
            }
        }
        let expired = leases.filter { $0.value.deadline <= now }
        for (key, lease) in expired.sorted(by: { $0.value.deadline < $1.value.deadline }) {
            leases[key] = nil
            signers[lease.peer]?.holding.remove(key)
            actions += requeue(lease)
        }
        return actions + dispatch(now: now)
    }

    /// A signer said goodbye or went silent: its jobs go back to the front of the queue.
    private mutating func forget(_ peer: Peer, now: Instant) -> [Action] {
        guard let signer = signers.removeValue(forKey: peer) else { return [] }
        rotation.removeAll { $0 == peer }
        var actions: [Action] = []
        for key in signer.holding.sorted(by: { ($0.operationID, $0.document) < ($1.operationID, $1.document) }) {
            if let lease = leases.removeValue(forKey: key) { actions += requeue(lease) }
        }
        return actions + dispatch(now: now)
    }

    private mutating func requeue(_ lease: Lease) -> [Action] {
        guard lease.attempt < configuration.maxAttempts else { return [.giveUp(lease.job, attempts: lease.attempt)] }
        queue.insert((lease.job, lease.attempt + 1), at: queueHead)
        return []
    }

    /// Hands queued jobs to signers with credit, round-robin.
    private mutating func dispatch(now: Instant) -> [Action] {
        var actions: [Action] = []
        while queueHead < queue.count, !rotation.isEmpty {
            guard let peer = nextSignerWithCredit() else { break }
            let (job, attempt) = queue[queueHead]
            queueHead += 1
            let key = JobKey(operationID: job.operationID, document: job.document)
            signers[peer]?.credit -= 1
            signers[peer]?.holding.insert(key)
            signers[peer]?.lastSent = now
            leases[key] = Lease(job: job, attempt: attempt, peer: peer, deadline: now.advanced(by: configuration.lease))
            actions.append(.sendJob(to: peer, job, attempt: attempt))
        }
        if queueHead > 1024 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return actions
    }

    private mutating func nextSignerWithCredit() -> Peer? {
        for _ in 0..<rotation.count {
            rotationIndex = (rotationIndex + 1) % rotation.count
            let peer = rotation[rotationIndex]
            if let signer = signers[peer], signer.credit > 0 { return peer }
        }
        return nil
    }
}
