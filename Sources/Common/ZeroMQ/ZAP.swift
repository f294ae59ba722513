/// ZeroMQ's authentication protocol (ZAP, RFC 27/ZAP): libzmq asks the handler bound at
/// `inproc://zeromq.zap.01` whether a peer may complete its handshake. The handler here is a
/// ROUTER, so each request arrives as `[routing id, "", version, request id, domain, address,
/// identity, mechanism, credentials…]`.
public struct ZAPRequest: Sendable, Equatable {
    public static let endpoint = "inproc://zeromq.zap.01"

    public let routingID: [UInt8]
    public let requestID: [UInt8]
    public let domain: String
    /// The peer's address (IP), as libzmq reports it.
    public let address: String
    public let mechanism: String
    /// For CURVE: the client's 32-byte public key.
    public let credentials: [[UInt8]]

    public init?(_ frames: ZMQMessage) {
        guard frames.count >= 8, frames[1].isEmpty, frames[2] == Array("1.0".utf8) else { return nil }
        routingID = frames[0]
        requestID = frames[3]
        domain = String(decoding: frames[4], as: UTF8.self)
        address = String(decoding: frames[5], as: UTF8.self)
        mechanism = String(decoding: frames[7], as: UTF8.self)
        credentials = Array(frames[8...])
    }

    /// The client's CURVE public key (Z85), when this is a CURVE request.
    public var curvePublicKey: String? {
        guard mechanism == "CURVE", let key = credentials.first, key.count == 32 else { return nil }
        return CurveKeyPair.encode(key)
    }

    /// The reply: `200` admits the peer, `400` refuses it.
    public func reply(admitted: Bool, userID: String = "") -> ZMQMessage {
        [
            routingID, [], Array("1.0".utf8), requestID, Array((admitted ? "200" : "400").utf8),
            Array((admitted ? "OK" : "unauthorized key").utf8), Array(userID.utf8), [],
        ]
    }
}
