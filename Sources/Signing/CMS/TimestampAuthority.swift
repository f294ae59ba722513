import AsyncHTTPClient
import Common
import Crypto
import Foundation
import NIOCore
import SwiftASN1

/// An RFC 3161 time-stamping authority reached over HTTP (`application/timestamp-query`).
///
/// `timestamp(of:)` asks for a token over SHA-256 of the given bytes (for PAdES B-T: the
/// signature value), with a random nonce and `certReq` so the TSA certificate is embedded,
/// and checks the answer: granted status, the same imprint, the same nonce. `timeout` bounds
/// the whole exchange, body included: an authority that sends its headers and then stalls does
/// not hold the document (or the signer's slot) longer than that.
public struct TimestampAuthority: Sendable {
    public let url: String
    let client: HTTPClient
    let timeout: Duration

    public init(url: String, client: HTTPClient = .shared, timeout: Duration = .seconds(30)) {
        self.url = url
        self.client = client
        self.timeout = timeout
    }

    /// The DER TimeStampToken (a CMS ContentInfo).
    public func timestamp(of bytes: [UInt8]) async throws -> [UInt8] {
        let imprint = Array(SHA256.hash(data: bytes))
        var nonce = (0..<8).map { _ in UInt8.random(in: 0...255) }
        nonce[0] &= 0x7F  // a positive INTEGER
        if nonce[0] == 0 { nonce[0] = 1 }
        let query = try Self.request(imprint: imprint, nonce: nonce)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/timestamp-query")
        request.headers.add(name: "Accept", value: "application/timestamp-reply")
        request.body = .bytes(ByteBuffer(bytes: query))
        let (status, body) = try await exchange(request)
        guard status == 200 else {
            throw SigningError(
                code: "TIMESTAMP_UNAVAILABLE", message: "the time-stamping authority answered HTTP \(status)")
        }
        return try Self.token(fromResponse: body, imprint: imprint, nonce: nonce)
    }

    /// Sends the request and reads the whole answer (at most 1 MiB) within `timeout`.
    private func exchange(_ request: HTTPClientRequest) async throws(SigningError) -> (status: UInt, body: [UInt8]) {
        let (client, timeout) = (self.client, self.timeout)
        do {
            return try await withThrowingTaskGroup(of: (status: UInt, body: [UInt8])?.self) { group in
                group.addTask {
                    let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
                    let body = try await response.body.collect(upTo: 1 << 20)
                    return (response.status.code, Array(body.readableBytesView))
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let answer = first else {
                    throw SigningError(
                        code: "TIMESTAMP_UNAVAILABLE",
                        message: "the time-stamping authority gave no complete answer within \(timeout)")
                }
                return answer
            }
        } catch let error as SigningError {
            throw error
        } catch {
            throw SigningError(
                code: "TIMESTAMP_UNAVAILABLE", message: "the time-stamping authority did not answer: \(error)")
        }
    }

    /// TimeStampReq ::= SEQUENCE { version 1, messageImprint, nonce, certReq TRUE }
    static func request(imprint: [UInt8], nonce: [UInt8]) throws -> [UInt8] {
        var s = DER.Serializer()
        try s.appendConstructedNode(identifier: .sequence) { req in
            try req.serialize(1)
            try req.appendConstructedNode(identifier: .sequence) { messageImprint in
                try CMSBuilder.sha256AlgorithmIdentifier(into: &messageImprint)
                try messageImprint.serialize(ASN1OctetString(contentBytes: ArraySlice(imprint)))
            }
            try req.serialize(ArraySlice(nonce))
            try req.serialize(true)
        }
        return s.serializedBytes
    }

    /// Checks a TimeStampResp and returns its token.
    static func token(fromResponse der: [UInt8], imprint: [UInt8], nonce: [UInt8]) throws -> [UInt8] {
        func bad(_ why: String) -> SigningError { SigningError(code: "TIMESTAMP_INVALID", message: why) }
        guard let root = try? DER.parse(der), case .constructed(let parts) = root.content else {
            throw bad("the reply is not DER")
        }
        var iterator = parts.makeIterator()
        guard let statusInfo = iterator.next(), case .constructed(let statusParts) = statusInfo.content,
            let statusNode = statusParts.first(where: { _ in true }), let status = try? Int(derEncoded: statusNode)
        else { throw bad("the reply has no status") }
        guard status == 0 || status == 1 else {
            throw SigningError(
                code: "TIMESTAMP_REFUSED", message: "the time-stamping authority refused (status \(status))")
        }
        guard let token = iterator.next() else { throw bad("the reply has no token") }
        let tstInfo = try tstInfoFields(of: token)
        // TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, accuracy?, ordering?, nonce?, ... }
        guard tstInfo.count >= 5, case .constructed(let imprintParts) = tstInfo[2].content else {
            throw bad("malformed TSTInfo")
        }
        let imprintNodes = Array(imprintParts)
        guard imprintNodes.count == 2, let hashed = try? ASN1OctetString(derEncoded: imprintNodes[1]),
            Array(hashed.bytes) == imprint
        else { throw bad("the token covers other data") }
        let nonceNode = tstInfo.dropFirst(5).first { $0.identifier == .integer }
        guard let nonceNode, let tokenNonce = try? ArraySlice<UInt8>(derEncoded: nonceNode), Array(tokenNonce) == nonce
        else { throw bad("the token's nonce does not match") }
        return Array(token.encodedBytes)
    }

    /// The fields of the TSTInfo inside a TimeStampToken (ContentInfo → SignedData → eContent).
    static func tstInfoFields(of token: ASN1Node) throws -> [ASN1Node] {
        func bad() -> SigningError { SigningError(code: "TIMESTAMP_INVALID", message: "malformed TimeStampToken") }
        func children(_ node: ASN1Node) throws -> [ASN1Node] {
            guard case .constructed(let nodes) = node.content else { throw bad() }
            return Array(nodes)
        }
        let contentInfo = try children(token)
        guard contentInfo.count == 2 else { throw bad() }
        let signedData = try children(try children(contentInfo[1]).first ?? { throw bad() }())
        guard signedData.count >= 3 else { throw bad() }
        let encapsulated = try children(signedData[2])
        guard encapsulated.count == 2, let octets = try children(encapsulated[1]).first,
            let eContent = try? ASN1OctetString(derEncoded: octets)
        else { throw bad() }
        return try children(try DER.parse(eContent.bytes))
    }
}
