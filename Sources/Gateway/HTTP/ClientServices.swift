import Crypto
import Foundation
import Signing

/// The client services allowed to call Signet, from `client-services-config.json`:
/// `{ "<CLIENT_SERVICE_ID>": { "secret": "<CLIENT_SERVICE_SECRET>" }, ... }`, each optionally with
/// `"visibleSignatureTemplate": "..."`, its text for `templateType: SERVICE_CUSTOMIZATION`.
struct ClientServices: Sendable {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// SHA-256 of each secret: comparisons run over fixed-length digests, in constant time.
    private let secretDigests: [String: [UInt8]]
    private let visibleSignatureTemplates: [String: String]

    var clientIDs: [String] { secretDigests.keys.sorted() }

    init(secrets: [String: String], visibleSignatureTemplates: [String: String] = [:]) {
        secretDigests = secrets.mapValues { Array(SHA256.hash(data: Data($0.utf8))) }
        self.visibleSignatureTemplates = visibleSignatureTemplates
    }

    /// The client service's own visible-signature text (nil: the built-in one).
    func visibleSignatureTemplate(for clientID: String) -> String? { visibleSignatureTemplates[clientID] }

    static func load(from path: String) throws -> ClientServices {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(
                description:
                    "cannot read the client services file \(path): create it with {\"<CLIENT_SERVICE_ID>\": {\"secret\": \"<CLIENT_SERVICE_SECRET>\"}}"
            )
        }
        struct Entry: Decodable {
            let secret: String
            let visibleSignatureTemplate: String?
        }
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
        for (id, entry) in entries {
            guard let template = entry.visibleSignatureTemplate else { continue }
            do {
                try PAdESSigner.checkServiceTemplate(template)
            } catch {
                throw Problem(description: "client service \(id) in \(path): \(error.message)")
            }
        }
        return ClientServices(
            secrets: entries.mapValues(\.secret),
            visibleSignatureTemplates: entries.compactMapValues(\.visibleSignatureTemplate))
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
