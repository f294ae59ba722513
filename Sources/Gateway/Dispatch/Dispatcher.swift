import Common

/// Who gets which job: the signer registry, credit, leases, heartbeats and liveness, as a pure
/// state machine (docs/protocol.md). Every event returns the actions the I/O shell must perform.
struct Dispatcher<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    struct Configuration: Sendable {
        var heartbeatInterval: Duration = .seconds(1)
        var liveness = 3
        var lease: Duration = .seconds(120)
        var maxAttempts = 5
        /// Document bytes out with signers (sent, or back and being checked and stored) at most;
        /// one job is always allowed. Bounds the gateway's memory for large documents.
        var maxBytesInFlight = 64 * 1024 * 1024
        /// A job whose signer reported the remote signing service unavailable waits and is tried
        /// again, until this long after the first such report (`--remote-retry-deadline`).
        var retryDeadline: Duration = .seconds(600)
    }

    /// A signer's ZeroMQ routing id.
    typealias Peer = [UInt8]

    enum Action: Sendable, Equatable {
        case sendJob(to: Peer, JobRef, attempt: Int)
        /// Record this result, then ACK it.
        /// Check this result, then record it and ACK it; report the check with `recorded` or
        /// `rejected`.
        case accept(from: Peer, WireMessage.JobID)
        /// Do not record; ACK so the signer forgets it.
        case ackOnly(to: Peer, WireMessage.JobID)
        case sendHeartbeat(to: Peer)
        case sendDisconnect(to: Peer, reason: String)
        /// Answer a draining READY: no JOB follows this message.
        case sendDrained(to: Peer)
        /// Fail the document: it lost too many signers, or it crashed the one that held it alone.
        case giveUp(JobRef, attempts: Int, reason: Loss)
    }

    enum Loss: Sendable, Equatable {
        /// Two results for it were not a valid signature by the configured identity
        /// (`SIGNATURE_REJECTED`).
        case rejected
        /// `maxAttempts` leases expired or ended with a DISCONNECT (`SIGNER_LOST`).
        case lost
        /// A signer died holding this job alone, after one died holding it among others
        /// (`SIGNER_CRASHED`): a poison document.
        case crashed
        /// The remote signing service stayed unavailable for `retryDeadline`
        /// (`CERT_SERVICE_GLOBAL_ERROR`).
        case unavailable
    }

    private struct Signer {
        var announced: WireMessage.Ready
        var credit: Int
        /// Announced it is draining: its results give no credit back until it announces more.
        var quiet: Bool
        var holding: Set<JobKey> = []
        /// Jobs whose lease expired while this signer held them: their credit went back at expiry,
        /// so a late result gives none.
        var released: Set<JobKey> = []
        /// Gets no new job until it holds none, so a suspect can run on it alone.
        var reserved = false
        /// Holds a suspect job alone.
        var isolating = false
        var lastHeard: Instant
        var lastSent: Instant
    }

    /// What the gateway knows of one registered signer (as `/health/ready` lists it).
    struct SignerState: Sendable, Equatable, Encodable {
        var signerID: String
        var pid: Int32
        var host: String
        var credit: Int
        var jobsInFlight: Int
        var draining: Bool
    }

    private struct JobKey: Hashable {
        var operationID: String
        var document: Int
    }

    /// A job waiting for a signer. `charged` counts the losses held against it (expired leases,
    /// signers that left holding it); `suspect` when a signer died holding it among others.
    private struct Queued {
        var job: JobRef
        var attempt: Int
        /// Results of it rejected by the gateway's check, and the signer that sent the last one.
        var rejections = 0
        var avoid: Peer?
        var charged = 0
        var suspect = false
        /// When a signer first reported the remote service unavailable for it.
        var firstDeferred: Instant?
    }

    private struct Lease {
        var queued: Queued
        var peer: Peer
        var deadline: Instant
        var job: JobRef { queued.job }
        var attempt: Int { queued.attempt }
    }

    let configuration: Configuration
    private var signers: [Peer: Signer] = [:]
    private var queue: [Queued] = []
    private var queueHead = 0
    /// Suspects wait here and run one at a time, each alone on a signer.
    private var suspects: [Queued] = []
    /// Jobs waiting for a remote signing service to come back, each until its time.
    private var waiting: [(notBefore: Instant, queued: Queued)] = []
    private var leases: [JobKey: Lease] = [:]
    /// Accepted results being checked and stored, by job: what to requeue if the check fails.
    private var checking: [JobKey: Queued] = [:]
    /// Every job queued or leased: a job enqueued twice (recovery at start racing a new
    /// admission) is dispatched once.
    private var known: Set<JobKey> = []
    /// Bytes of the documents leased or being checked (`maxBytesInFlight`).
    private(set) var bytesInFlight = 0
    /// Signers in the order they get work, so load spreads evenly.
    private var rotation: [Peer] = []
    private var rotationIndex = 0

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    var signerCount: Int { signers.count }
    var queuedCount: Int { queue.count - queueHead + suspects.count + waiting.count }
    var inFlightCount: Int { leases.count }
    var signerStates: [SignerState] {
        rotation.compactMap { peer in
            signers[peer].map {
                SignerState(
                    signerID: $0.announced.signerID, pid: $0.announced.pid, host: $0.announced.host, credit: $0.credit,
                    jobsInFlight: $0.holding.count, draining: $0.quiet)
            }
        }
    }

    mutating func enqueue(_ jobs: [JobRef], now: Instant) -> [Action] {
        for job in jobs where known.insert(JobKey(operationID: job.operationID, document: job.document)).inserted {
            queue.append(Queued(job: job, attempt: 1))
        }
        return dispatch(now: now)
    }

    mutating func received(_ message: WireMessage, from peer: Peer, now: Instant) -> [Action] {
        if case .ready(let ready) = message {
            // `credit` is absolute: what the signer can take now, its busy slots excluded.
            if var signer = signers[peer] {
                signer.announced = ready
                signer.credit = max(0, ready.credit)
                signer.quiet = ready.isDraining
                signer.lastHeard = now
                signers[peer] = signer
            } else {
                signers[peer] = Signer(
                    announced: ready, credit: max(0, ready.credit), quiet: ready.isDraining, lastHeard: now,
                    lastSent: now)
                rotation.append(peer)
            }
            return ready.isDraining ? [.sendDrained(to: peer)] : dispatch(now: now)
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
            return forget(peer, died: false, now: now)
        case .heartbeat, .ack, .job, .ready, .drained:
            return []
        }
    }

    /// Checks a result against the job's lease (this peer, this attempt, this digest) and gives
    /// the signer its credit back when a slot was freed.
    private mutating func resultActions(_ result: WireMessage.Result, from peer: Peer, now: Instant) -> [Action] {
        let key = JobKey(operationID: result.operationID, document: result.document)
        if var signer = signers[peer] {
            if signer.holding.remove(key) != nil, signer.isolating {
                signer.isolating = false
                signer.reserved = false
            }
            let creditGivenAtExpiry = signer.released.remove(key) != nil
            // A held job, or one taken before the signer last registered (its READY did not count
            // that slot as free). A re-sent result frees no slot: the READY before it counted it.
            if !signer.quiet && !result.isResent && !creditGivenAtExpiry { signer.credit += 1 }
            signers[peer] = signer
        }
        guard let lease = leases[key], lease.peer == peer, lease.attempt == result.attempt,
            lease.job.contentDigest == result.contentDigest
        else {
            return [.ackOnly(to: peer, result.id)]
        }
        leases[key] = nil
        checking[key] = lease.queued
        return [.accept(from: peer, result.id)]
    }

    /// The accepted result was checked and stored: the job is done.
    mutating func recorded(_ id: WireMessage.JobID) {
        let key = JobKey(operationID: id.operationID, document: id.document)
        if let done = checking.removeValue(forKey: key) { bytesInFlight -= done.job.size }
        known.remove(key)
    }

    /// The accepted result was not a valid signature of this document by the configured
    /// identity: dispatch the job again, to another signer when there is one; a second rejection
    /// fails the document.
    mutating func rejected(_ id: WireMessage.JobID, from peer: Peer, now: Instant) -> [Action] {
        let key = JobKey(operationID: id.operationID, document: id.document)
        guard var queued = checking.removeValue(forKey: key) else { return [] }
        bytesInFlight -= queued.job.size
        queued.rejections += 1
        guard queued.rejections < 2 else {
            known.remove(key)
            return [.giveUp(queued.job, attempts: queued.attempt, reason: .rejected)]
        }
        queued.attempt += 1
        queued.avoid = peer
        queue.insert(queued, at: queueHead)
        return dispatch(now: now)
    }

    /// The accepted result says the remote signing service is unavailable: the job waits
    /// `retryAfter` (at least 100 ms, at most a minute), then goes to the front of the queue;
    /// past `retryDeadline` since the first such result it fails.
    mutating func deferred(_ id: WireMessage.JobID, retryAfter: Duration, now: Instant) -> [Action] {
        let key = JobKey(operationID: id.operationID, document: id.document)
        guard var queued = checking.removeValue(forKey: key) else { return [] }
        bytesInFlight -= queued.job.size
        let first = queued.firstDeferred ?? now
        guard first.duration(to: now) < configuration.retryDeadline else {
            known.remove(key)
            return [.giveUp(queued.job, attempts: queued.attempt, reason: .unavailable)]
        }
        queued.firstDeferred = first
        queued.attempt += 1
        let wait = min(max(retryAfter, .milliseconds(100)), .seconds(60))
        waiting.append((now.advanced(by: wait), queued))
        return dispatch(now: now)
    }

    /// The store refused or lost a result that was accepted: dispatch the job again.
    mutating func retry(_ job: JobRef, attempt: Int, now: Instant) -> [Action] {
        let key = JobKey(operationID: job.operationID, document: job.document)
        let checked = checking.removeValue(forKey: key)
        if let checked { bytesInFlight -= checked.job.size }
        var queued = checked ?? Queued(job: job, attempt: attempt)
        queued.attempt = attempt + 1
        known.insert(key)
        queue.insert(queued, at: queueHead)
        return dispatch(now: now)
    }

    /// An operation was deleted or purged: its queued jobs are dropped. Leased ones run out
    /// (their results are ACKed and change nothing).
    mutating func retire(operationID: String) {
        queue = queue[queueHead...].filter { $0.job.operationID != operationID }
        queueHead = 0
        suspects.removeAll { $0.job.operationID == operationID }
        waiting.removeAll { $0.queued.job.operationID == operationID }
        known = known.filter { $0.operationID != operationID || leases[$0] != nil || checking[$0] != nil }
    }

    /// A leased job could not be sent (its document is gone): the signer gets its slot back.
    mutating func dropped(_ job: JobRef, now: Instant) -> [Action] {
        let key = JobKey(operationID: job.operationID, document: job.document)
        known.remove(key)
        guard let lease = leases.removeValue(forKey: key) else { return [] }
        bytesInFlight -= lease.job.size
        if var signer = signers[lease.peer], signer.holding.remove(key) != nil {
            if !signer.quiet { signer.credit += 1 }
            if signer.isolating {
                signer.isolating = false
                signer.reserved = false
            }
            signers[lease.peer] = signer
        }
        return dispatch(now: now)
    }

    /// Heartbeats, liveness and lease expiry. Call about twice per heartbeat interval.
    mutating func tick(now: Instant) -> [Action] {
        var actions: [Action] = []
        let silence = configuration.heartbeatInterval * configuration.liveness
        for peer in signers.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            guard let signer = signers[peer] else { continue }
            if signer.lastHeard.duration(to: now) > silence {
                actions += forget(peer, died: true, now: now)
            } else if signer.lastSent.duration(to: now) >= configuration.heartbeatInterval {
                signers[peer]?.lastSent = now
                actions.append(.sendHeartbeat(to: peer))
            }
        }
        let expired = leases.filter { $0.value.deadline <= now }
        for (key, lease) in expired.sorted(by: { $0.value.deadline < $1.value.deadline }) {
            leases[key] = nil
            bytesInFlight -= lease.job.size
            // The slot counts as free again, or a one-slot signer would never get work again.
            if var signer = signers[lease.peer], signer.holding.remove(key) != nil {
                signer.released.insert(key)
                if !signer.quiet { signer.credit += 1 }
                if signer.isolating {
                    signer.isolating = false
                    signer.reserved = false
                }
                signers[lease.peer] = signer
            }
            actions += requeue(lease, signerDied: false)
        }
        if waiting.contains(where: { $0.notBefore <= now }) {
            let due = waiting.filter { $0.notBefore <= now }.map(\.queued)
            waiting.removeAll { $0.notBefore <= now }
            queue.insert(contentsOf: due, at: queueHead)
        }
        return actions + dispatch(now: now)
    }

    /// A signer said goodbye (DISCONNECT) or went silent (`died`): its jobs go back to the front
    /// of the queue. The jobs of a dead signer become suspects, each run again alone; one whose
    /// signer dies while it runs alone crashed it and fails.
    private mutating func forget(_ peer: Peer, died: Bool, now: Instant) -> [Action] {
        guard let signer = signers.removeValue(forKey: peer) else { return [] }
        rotation.removeAll { $0 == peer }
        var actions: [Action] = []
        for key in signer.holding.sorted(by: { ($0.operationID, $0.document) < ($1.operationID, $1.document) }) {
            if let lease = leases.removeValue(forKey: key) {
                bytesInFlight -= lease.job.size
                actions += requeue(lease, signerDied: died)
            }
        }
        return actions + dispatch(now: now)
    }

    private mutating func requeue(_ lease: Lease, signerDied: Bool) -> [Action] {
        var queued = lease.queued
        queued.attempt += 1
        if signerDied {
            // Alone on the signer that died: this document is what killed it.
            if queued.suspect { return giveUp(lease, .crashed) }
            queued.suspect = true
            suspects.append(queued)
            return []
        }
        queued.charged += 1
        guard queued.charged < configuration.maxAttempts else { return giveUp(lease, .lost) }
        if queued.suspect {
            suspects.insert(queued, at: 0)
        } else {
            queue.insert(queued, at: queueHead)
        }
        return []
    }

    private mutating func giveUp(_ lease: Lease, _ reason: Loss) -> [Action] {
        known.remove(JobKey(operationID: lease.job.operationID, document: lease.job.document))
        return [.giveUp(lease.job, attempts: lease.attempt, reason: reason)]
    }

    /// Hands queued jobs to signers with credit, round-robin; suspects first, each alone on a
    /// signer that holds nothing else.
    private mutating func dispatch(now: Instant) -> [Action] {
        var actions: [Action] = []
        if !suspects.isEmpty && !signers.values.contains(where: \.isolating) {
            if let peer = rotation.first(where: { signers[$0].map { $0.holding.isEmpty && $0.credit > 0 } ?? false }) {
                let queued = suspects.removeFirst()
                for other in rotation { signers[other]?.reserved = false }
                signers[peer]?.isolating = true
                signers[peer]?.reserved = true
                actions.append(send(queued, to: peer, now: now))
            } else if !signers.values.contains(where: \.reserved),
                let peer = rotation.filter({ signers[$0]?.quiet == false }).min(by: {
                    signers[$0]?.holding.count ?? 0 < signers[$1]?.holding.count ?? 0
                })
            {
                // Let the least busy signer empty, then the suspect runs on it.
                signers[peer]?.reserved = true
            }
        }
        while queueHead < queue.count, !rotation.isEmpty {
            guard hasRoom(for: queue[queueHead].job),
                let peer = nextSignerWithCredit(avoiding: queue[queueHead].avoid)
            else { break }
            let queued = queue[queueHead]
            queueHead += 1
            actions.append(send(queued, to: peer, now: now))
        }
        if queueHead > 1024 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return actions
    }

    /// Whether a job fits in `maxBytesInFlight` (always, when nothing is out).
    private func hasRoom(for job: JobRef) -> Bool {
        bytesInFlight == 0 || bytesInFlight + job.size <= configuration.maxBytesInFlight
    }

    private mutating func send(_ queued: Queued, to peer: Peer, now: Instant) -> Action {
        let key = JobKey(operationID: queued.job.operationID, document: queued.job.document)
        signers[peer]?.credit -= 1
        signers[peer]?.holding.insert(key)
        signers[peer]?.lastSent = now
        leases[key] = Lease(queued: queued, peer: peer, deadline: now.advanced(by: configuration.lease))
        bytesInFlight += queued.job.size
        return .sendJob(to: peer, queued.job, attempt: queued.attempt)
    }

    /// The next signer with credit, round-robin. A job whose result `avoid` sent was rejected
    /// waits for another signer, unless `avoid` is the only one.
    private mutating func nextSignerWithCredit(avoiding avoid: Peer? = nil) -> Peer? {
        let alone = avoid != nil && rotation.allSatisfy { $0 == avoid }
        for _ in 0..<rotation.count {
            rotationIndex = (rotationIndex + 1) % rotation.count
            let peer = rotation[rotationIndex]
            if peer == avoid && !alone { continue }
            if let signer = signers[peer], signer.credit > 0, !signer.reserved { return peer }
        }
        return nil
    }
}
