import Common
import NIOCore

/// The encoded status answers of finished operations.
///
/// A finished operation does not change until it is retired, and a retired one is answered
/// (`410`) before this is asked, so its answer is built and encoded once and then handed out as
/// the same buffer. Clients poll finished batches: for a 50-document operation, building the view
/// and writing its JSON was about half of the gateway's CPU per status call (issue 12). Running
/// operations are encoded on every call (their counts and `executionTime` move).
///
/// Bounded by bytes, the oldest entry leaving first.
final class StatusCache: Sendable {
    struct Key: Hashable, Sendable {
        var id: String
        var surface: OperationView.Surface
    }

    private struct State {
        var bodies: [Key: ByteBuffer] = [:]
        var order: [Key] = []
        var bytes = 0
    }

    let maxBytes: Int
    private let state = Locked(State())

    init(maxBytes: Int = 16 << 20) {
        self.maxBytes = maxBytes
    }

    /// The operation's encoded answer on `surface`: `encode()`'s bytes, kept when it is finished.
    func body(of operation: Operation, surface: OperationView.Surface, encode: () -> [UInt8]) -> ByteBuffer {
        guard operation.isFinished else { return ByteBuffer(bytes: encode()) }
        let key = Key(id: operation.id, surface: surface)
        if let body = state.withLock({ $0.bodies[key] }) { return body }
        let body = ByteBuffer(bytes: encode())
        guard body.readableBytes <= maxBytes else { return body }
        state.withLock { state in
            guard state.bodies.updateValue(body, forKey: key) == nil else { return }
            state.order.append(key)
            state.bytes += body.readableBytes
            var evicted = 0
            while state.bytes > maxBytes, evicted < state.order.count {
                state.bytes -= state.bodies.removeValue(forKey: state.order[evicted])?.readableBytes ?? 0
                evicted += 1
            }
            state.order.removeFirst(evicted)
        }
        return body
    }

    /// Entries held, for tests.
    var count: Int { state.withLock { $0.bodies.count } }
}
