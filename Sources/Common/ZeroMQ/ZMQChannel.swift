import CZeroMQ
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A ZeroMQ socket bridged to Swift concurrency.
///
/// Ownership and threading: the socket is created, used and closed by one dedicated thread that
/// blocks in `zmq_poll` on the socket and on an eventfd. Other threads never touch the socket:
/// `send` appends to an outbox under a mutex and writes the eventfd to wake the poll; received
/// messages are yielded to `inbound` in batches (one yield per poll wake-up, not per message).
/// Nothing here blocks the cooperative thread pool.
public final class ZMQChannel: Sendable {
    /// Messages received, in batches.
    public let inbound: AsyncStream<[ZMQMessage]>
    /// The endpoint actually bound or connected (resolves `*` ports).
    public let endpoint: String

    private let state: Locked<State>
    private let wakeFD: Int32
    private let finished: Locked<[CheckedContinuation<Void, Never>]?>

    private struct State {
        var outbox: [ZMQMessage] = []
        var stopping = false
    }

    public enum Attachment: Sendable {
        case bind(String)
        case connect(String)
    }

    /// A further endpoint a bound socket also listens on, with options set just before it is
    /// bound (they apply to it, not to the endpoints bound before: libzmq copies the socket's
    /// options into each listener when it binds).
    public struct Binding: Sendable {
        public var endpoint: String
        public var options: [ZMQSocket.Option]

        public init(_ endpoint: String, options: [ZMQSocket.Option]) {
            self.endpoint = endpoint
            self.options = options
        }
    }

    private init(inbound: AsyncStream<[ZMQMessage]>, endpoint: String, wakeFD: Int32) {
        self.inbound = inbound
        self.endpoint = endpoint
        self.wakeFD = wakeFD
        self.state = Locked(State())
        self.finished = Locked([])
    }

    /// Creates the socket on a new thread, applies `options`, binds or connects, binds `alsoBind`
    /// in order, and returns once that succeeded (or throws what failed). `endpoint` is the first.
    public static func open(
        context: ZMQContext,
        kind: ZMQSocket.Kind,
        options: [ZMQSocket.Option],
        attach: Attachment,
        alsoBind: [Binding] = [],
        name: String = "zmq"
    ) async throws -> ZMQChannel {
        let wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeFD >= 0 else { throw ZMQError(code: errno, operation: "eventfd") }
        let (stream, continuation) = AsyncStream.makeStream(of: [ZMQMessage].self, bufferingPolicy: .unbounded)
        // The channel is made on the socket's thread and handed over under a lock, which orders
        // its initialisation before the caller's reads (ThreadSanitizer sees the lock; it does
        // not see a continuation resumed from a foreign thread as synchronisation).
        let handoff = Locked<Result<ZMQChannel, any Error>?>(nil)
        await withCheckedContinuation { (started: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                let socket: ZMQSocket
                let channel: ZMQChannel
                do {
                    socket = try ZMQSocket(context: context, kind: kind)
                    for option in options { try socket.set(option) }
                    switch attach {
                    case .bind(let endpoint): try socket.bind(endpoint)
                    case .connect(let endpoint): try socket.connect(endpoint)
                    }
                    let endpoint: String
                    switch attach {
                    case .bind: endpoint = (try? socket.lastEndpoint()) ?? ""
                    case .connect(let target): endpoint = target
                    }
                    for binding in alsoBind {
                        for option in binding.options { try socket.set(option) }
                        try socket.bind(binding.endpoint)
                    }
                    channel = ZMQChannel(inbound: stream, endpoint: endpoint, wakeFD: wakeFD)
                } catch {
                    _ = Glibc.close(wakeFD)
                    continuation.finish()
                    handoff.withLock { $0 = .failure(error) }
                    started.resume()
                    return
                }
                handoff.withLock { $0 = .success(channel) }
                started.resume()
                channel.run(socket: socket, yield: continuation)
            }
            thread.name = name
            thread.start()
        }
        guard let opened = handoff.withLock({ $0 }) else { throw ZMQError(code: EINVAL, operation: "zmq channel") }
        return try opened.get()
    }

    deinit {
        // Closed here, not by the thread, so a late `send` or `close` never writes to a reused fd.
        _ = Glibc.close(wakeFD)
    }

    /// Queues a message for sending; never blocks.
    public func send(_ message: ZMQMessage) {
        send(contentsOf: [message])
    }

    public func send(contentsOf messages: [ZMQMessage]) {
        guard !messages.isEmpty else { return }
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.outbox.append(contentsOf: messages)
            return true
        }
        if accepted { wake() }
    }

    /// Stops the owning thread: what was sent before is handed to the socket, which delivers it
    /// within LINGER (and drops the rest); the socket is closed, `inbound` finishes. Returns when
    /// the socket is closed.
    public func close() async {
        state.withLock { $0.stopping = true }
        wake()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyDone = finished.withLock { waiters -> Bool in
                guard waiters != nil else { return true }
                waiters?.append(continuation)
                return false
            }
            if alreadyDone { continuation.resume() }
        }
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// The poll loop; runs on the owning thread until `close()`.
    private func run(socket: ZMQSocket, yield continuation: AsyncStream<[ZMQMessage]>.Continuation) {
        var pending: [ZMQMessage] = []
        var items = [
            zmq_pollitem_t(socket: socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
            zmq_pollitem_t(socket: nil, fd: wakeFD, events: Int16(POLLIN), revents: 0),
        ]
        loop: while true {
            let (newMessages, stopping) = state.withLock { state in
                defer { state.outbox.removeAll(keepingCapacity: true) }
                return (state.outbox, state.stopping)
            }
            pending.append(contentsOf: newMessages)
            pending = flush(pending, on: socket)
            if stopping { break loop }

            items[0].events = Int16(ZMQ_POLLIN) | (pending.isEmpty ? 0 : Int16(ZMQ_POLLOUT))
            items[0].revents = 0
            items[1].revents = 0
            let rc = zmq_poll(&items, 2, -1)
            if rc < 0 {
                if zmq_errno() == EINTR { continue }
                break loop  // ETERM: the context is being terminated
            }
            if items[1].revents != 0 {
                var counter: UInt64 = 0
                _ = read(wakeFD, &counter, 8)
            }
            if items[0].revents & Int16(ZMQ_POLLIN) != 0 {
                var batch: [ZMQMessage] = []
                while batch.count < 1024, let message = try? socket.receive() { batch.append(message) }
                if !batch.isEmpty { continuation.yield(batch) }
            }
        }
        socket.close()
        continuation.finish()
        let waiters = finished.withLock { waiters -> [CheckedContinuation<Void, Never>] in
            defer { waiters = nil }
            return waiters ?? []
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Sends what the socket accepts now; returns what must wait for POLLOUT. Messages the socket
    /// refuses outright (e.g. a ROUTER peer that is gone) are dropped: the protocol above
    /// recovers them (leases, re-sent results).
    private func flush(_ messages: [ZMQMessage], on socket: ZMQSocket) -> [ZMQMessage] {
        var index = 0
        while index < messages.count {
            do {
                if try !socket.send(messages[index]) { break }
            } catch {
                // Unroutable or oversized: drop this message only.
            }
            index += 1
        }
        return index == 0 ? messages : Array(messages[index...])
    }
}
