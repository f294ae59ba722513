import CZeroMQ

/// One message: its frames, in order.
public typealias ZMQMessage = [[UInt8]]

/// A libzmq socket. Not `Sendable`: a socket belongs to the one thread that created it
/// (libzmq sockets are not thread-safe). `ZMQChannel` creates and uses it on its own thread.
public final class ZMQSocket {
    public enum Kind: Sendable {
        case router, dealer

        var rawValue: Int32 {
            switch self {
            case .router: ZMQ_ROUTER
            case .dealer: ZMQ_DEALER
            }
        }
    }

    /// The socket options Signet uses, each with its C type.
    public enum Option: Sendable {
        case linger(milliseconds: Int32)
        case routingID([UInt8])
        case routerMandatory(Bool)
        case routerHandover(Bool)
        case sendHighWaterMark(Int32)
        case receiveHighWaterMark(Int32)
        case reconnectInterval(milliseconds: Int32)
        case reconnectIntervalMax(milliseconds: Int32)
        case maxMessageSize(Int64)
        /// This socket is a CURVE server, with this secret key (Z85).
        case curveServer(secretKey: String)
        /// This socket is a CURVE client of the server with `serverKey`, with its own key pair (Z85).
        case curveClient(serverKey: String, keys: CurveKeyPair)
        /// The ZAP domain announced to the authentication handler.
        case zapDomain(String)
        /// No security mechanism (ZMQ_NULL) for the endpoints bound after it: libzmq gives each
        /// endpoint the socket's options as they are when it is bound. A ZAP domain set then
        /// still sends the handler a request (mechanism `NULL`) for each connection there.
        case noSecurity
    }

    let handle: UnsafeMutableRawPointer
    private var closed = false

    init(context: ZMQContext, kind: Kind) throws {
        guard let handle = zmq_socket(context.handle, kind.rawValue) else { throw ZMQError.last("zmq_socket") }
        self.handle = handle
    }

    deinit { close() }

    public func set(_ option: Option) throws {
        switch option {
        case .linger(let value): try setInt32(ZMQ_LINGER, value)
        case .routerMandatory(let on): try setInt32(ZMQ_ROUTER_MANDATORY, on ? 1 : 0)
        case .routerHandover(let on): try setInt32(ZMQ_ROUTER_HANDOVER, on ? 1 : 0)
        case .sendHighWaterMark(let value): try setInt32(ZMQ_SNDHWM, value)
        case .receiveHighWaterMark(let value): try setInt32(ZMQ_RCVHWM, value)
        case .reconnectInterval(let value): try setInt32(ZMQ_RECONNECT_IVL, value)
        case .reconnectIntervalMax(let value): try setInt32(ZMQ_RECONNECT_IVL_MAX, value)
        case .maxMessageSize(var value):
            try check(zmq_setsockopt(handle, ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size), "zmq_setsockopt")
        case .routingID(let bytes):
            try setBytes(ZMQ_ROUTING_ID, bytes)
        case .curveServer(let secretKey):
            try setInt32(ZMQ_CURVE_SERVER, 1)
            try setBytes(ZMQ_CURVE_SECRETKEY, try Self.key(secretKey))
        case .curveClient(let serverKey, let keys):
            try setBytes(ZMQ_CURVE_SERVERKEY, try Self.key(serverKey))
            try setBytes(ZMQ_CURVE_PUBLICKEY, try Self.key(keys.publicKey))
            try setBytes(ZMQ_CURVE_SECRETKEY, try Self.key(keys.secretKey))
        case .zapDomain(let domain):
            try setBytes(ZMQ_ZAP_DOMAIN, Array(domain.utf8))
        case .noSecurity:
            try setInt32(ZMQ_CURVE_SERVER, 0)
        }
    }

    private static func key(_ z85: String) throws -> [UInt8] {
        guard let bytes = CurveKeyPair.decode(z85) else { throw ZMQError(code: EINVAL, operation: "CURVE key") }
        return bytes
    }

    private func setBytes(_ name: Int32, _ bytes: [UInt8]) throws {
        try check(bytes.withUnsafeBytes { zmq_setsockopt(handle, name, $0.baseAddress, $0.count) }, "zmq_setsockopt")
    }

    private func setInt32(_ name: Int32, _ value: Int32) throws {
        var value = value
        try check(zmq_setsockopt(handle, name, &value, MemoryLayout<Int32>.size), "zmq_setsockopt")
    }

    public func bind(_ endpoint: String) throws { try check(zmq_bind(handle, endpoint), "zmq_bind \(endpoint)") }
    public func connect(_ endpoint: String) throws {
        try check(zmq_connect(handle, endpoint), "zmq_connect \(endpoint)")
    }

    /// The endpoint actually bound, useful after binding a `*` port.
    public func lastEndpoint() throws -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        try check(zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size), "zmq_getsockopt")
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Sends all frames without blocking. Returns false when the message would block
    /// (high-water mark reached); throws on other errors (e.g. `EHOSTUNREACH` for an unknown peer).
    public func send(_ message: ZMQMessage) throws -> Bool {
        for (index, frame) in message.enumerated() {
            let more = index < message.count - 1 ? ZMQ_SNDMORE : 0
            while true {
                let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, ZMQ_DONTWAIT | more) }
                if rc >= 0 { break }
                let code = zmq_errno()
                if code == EINTR { continue }
                // Only the first frame can block: once it is queued, the rest of the message follows.
                if code == EAGAIN && index == 0 { return false }
                throw ZMQError(code: code, operation: "zmq_send")
            }
        }
        return true
    }

    /// Receives one whole message without blocking; nil when none is waiting.
    public func receive() throws -> ZMQMessage? {
        var frames: ZMQMessage = []
        let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { message.deallocate() }
        while true {
            zmq_msg_init(message)
            defer { zmq_msg_close(message) }
            let rc = zmq_msg_recv(message, handle, frames.isEmpty ? ZMQ_DONTWAIT : 0)
            if rc < 0 {
                let code = zmq_errno()
                if code == EINTR { continue }
                if code == EAGAIN && frames.isEmpty { return nil }
                throw ZMQError(code: code, operation: "zmq_msg_recv")
            }
            let size = zmq_msg_size(message)
            if size > 0, let data = zmq_msg_data(message) {
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            } else {
                frames.append([])
            }
            if zmq_msg_more(message) == 0 { return frames }
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
    }

    private func check(_ rc: Int32, _ operation: String) throws {
        if rc != 0 { throw ZMQError.last(operation) }
    }
}
