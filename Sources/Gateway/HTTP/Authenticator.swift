import Common
import Crypto
import Foundation
import Hummingbird

/// Authenticates requests with HTTP Basic (client id and secret) or with a bearer token issued by
/// `POST /oauth/token`. Tokens are random 256-bit values kept only as their SHA-256.
final class Authenticator: Sendable {
    let clients: ClientServices
    let tokenLifetime: Duration
    private let tokens = Locked<[[UInt8]: (clientID: String, expiry: ContinuousClock.Instant)]>([:])

    init(clients: ClientServices, tokenLifetime: Duration) {
        self.clients = clients
        self.tokenLifetime = tokenLifetime
    }

    /// The client service making the request.
    func clientID(for request: Request) throws(APIError) -> String {
        guard let header = request.headers[.authorization] else {
            throw .unauthorized("credentials are required (HTTP Basic or Bearer)")
        }
        if let (id, secret) = Self.basicCredentials(header) {
            guard clients.verify(clientID: id, secret: secret) else {
                throw .unauthorized("invalid client credentials")
            }
            return id
        }
        if header.lowercased().hasPrefix("bearer ") {
            let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            let key = Array(SHA256.hash(data: Data(token.utf8)))
            let now = ContinuousClock.now
            let client = tokens.withLock { tokens -> String? in
                guard let entry = tokens[key] else { return nil }
                guard entry.expiry > now else {
                    tokens[key] = nil
                    return nil
                }
                return entry.clientID
            }
            guard let client else { throw .unauthorized("invalid or expired bearer token") }
            return client
        }
        throw .unauthorized("unsupported authorization scheme")
    }

    /// Issues a bearer token for a client that proved its secret.
    func issueToken(clientID: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        let token = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                of: "=", with: "")
        let key = Array(SHA256.hash(data: Data(token.utf8)))
        let now = ContinuousClock.now
        tokens.withLock { tokens in
            tokens = tokens.filter { $0.value.expiry > now }
            tokens[key] = (clientID, now.advanced(by: tokenLifetime))
        }
        return token
    }

    static func basicCredentials(_ header: String) -> (String, String)? {
        guard header.lowercased().hasPrefix("basic ") else { return nil }
        guard let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
