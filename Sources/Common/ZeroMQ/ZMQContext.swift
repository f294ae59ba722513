import CZeroMQ

/// A libzmq context. libzmq contexts are thread-safe, so this type is `Sendable`.
///
/// Terminate it only after every socket created from it has been closed; `ZMQChannel.close()`
/// does that for the sockets it owns.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init() {
        // zmq_ctx_new only fails when the process is out of file descriptors or memory.
        guard let handle = zmq_ctx_new() else { fatalError("zmq_ctx_new failed: \(ZMQError.last("zmq_ctx_new"))") }
        self.handle = handle
    }

    /// Blocks until every socket of the context is closed; call it off the cooperative pool
    /// or after all channels have finished.
    public func terminate() {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}
