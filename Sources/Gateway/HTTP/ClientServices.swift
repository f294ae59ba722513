import Crypto
import Foundation

/// The client services allowed to call Signet, from `client-services-config.json`:
/// `{ "<CLIENT_SERVICE_ID>": { "secret": "<CLIENT_SERVICE_SECRET>" }, ... }`.
struct ClientServices: Sendable {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// SHA-256 of each secret: comparisons run over fixed-length digests, in constant time.
    private let secretDigests: [String: [UInt8]]

    var clientIDs: [String] { secretDigests.keys.sorted() }

    init(secrets: [String: String]) {
        secretDigests = secrets.mapValues { Array(SHA256.hash(data: Data($0.utf8))) }
    }

    static func load(from path: String) throws -> ClientServices {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(
                description:
                    "cannot read the client services file \(path): create it with {\"<CLIENT_SERVICE_ID>\": {\"secret\": \"<CLIENT_SERVICE_SECRET>\"}}"
            )
        }
        struct Entry: Decodable { let secret: String }
        let entries: [String: Entry]
        do {
            entries = try JSONDecoder().decode([String: Entry].self, from: data)
        } catch {
            throw Problem(
                description:
                    "the client services file \(path) is not valid: expected {\"<CLIENT_SERVICE_ID>\": {\"secret\": \"...\"}}"
            )
        }
        guard !entries.isEmpty else {
            throw Problem(description: "the client services file \(path) lists no client service")
        }
        if let empty = entries.first(where: { $0.value.secret.isEmpty }) {
            throw Problem(description: "client service \(empty.key) in \(path) has an empty secret")
        }
        return ClientServices(secrets: entries.mapValues(\.secret))
    }

    /// True when `secret` is this client's secret. Unknown clients cost the same comparison.
    func verify(clientID: String, secret: String) -> Bool {
        let presented = Array(SHA256.hash(data: Data(secret.utf8)))
        let expected = secretDigests[clientID] ?? Array(repeating: 0, count: 32)
        var difference: UInt8 = 0
        for (a, b) in zip(presented, expected) { difference |= a ^ b }
        return difference == 0 && secretDigests[clientID] != nil
    }
}
