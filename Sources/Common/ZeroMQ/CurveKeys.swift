import CZeroMQ
import Foundation

/// A CURVE key pair (libzmq's Curve25519), as Z85 text: 40 characters for 32 bytes.
///
/// Key files are text: `#` starts a comment line; the first other line is the key. A secret key
/// file holds the secret key (its public key is derived from it); a public key file the public
/// key. Secret key files are written with mode 0600 and refused when others can read them.
public struct CurveKeyPair: Sendable, Equatable {
    public let publicKey: String
    public let secretKey: String

    /// Whether this libzmq was built with CURVE (Debian's is).
    public static var isAvailable: Bool { zmq_has("curve") == 1 }

    public static func generate() throws -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        return CurveKeyPair(publicKey: Self.string(publicKey), secretKey: Self.string(secretKey))
    }

    /// The pair of a secret key (Z85).
    public init(secretKey: String) throws {
        guard Self.decode(secretKey) != nil else { throw ZMQError(code: EINVAL, operation: "Z85 secret key") }
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else { throw ZMQError.last("zmq_curve_public") }
        self.init(publicKey: Self.string(publicKey), secretKey: secretKey)
    }

    init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The 32 bytes of a Z85 key, or nil when `text` is not one.
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count == 40, characters.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&bytes, text) != nil else { return nil }
        return bytes
    }

    /// The Z85 text of 32 key bytes.
    public static func encode(_ bytes: [UInt8]) -> String {
        precondition(bytes.count == 32, "a CURVE key is 32 bytes")
        var text = [CChar](repeating: 0, count: 41)
        _ = zmq_z85_encode(&text, bytes, bytes.count)
        return string(text)
    }

    /// The key in a key file (comments skipped); throws when there is none.
    public static func readKey(file path: String) throws -> String {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PrivateFiles.Problem(description: "cannot read the key file \(path)")
        }
        return try parseKey(text, source: path)
    }

    /// The first non-comment line of `text`, when it is a Z85 key.
    public static func parseKey(_ text: String, source: String) throws -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let key = lines.first(where: { !$0.isEmpty && !$0.hasPrefix("#") }), decode(key) != nil else {
            throw PrivateFiles.Problem(description: "\(source) holds no CURVE key (40 Z85 characters)")
        }
        return key
    }

    /// Reads a secret key file, refusing one that others can read.
    public static func load(secretKeyFile path: String) throws -> CurveKeyPair {
        try PrivateFiles.checkOwnerOnly(path, what: "CURVE secret key")
        return try CurveKeyPair(secretKey: readKey(file: path))
    }

    /// Writes the secret key to a new file (0600) with a comment naming its public key.
    public func write(secretKeyFile path: String, comment: String) throws {
        let text = "# \(comment)\n# public key: \(publicKey)\n\(secretKey)\n"
        try PrivateFiles.writeNew(path, Array(text.utf8))
    }

    /// The key of `path` when it exists, else a new one written there.
    public static func loadOrCreate(secretKeyFile path: String, comment: String) throws -> (
        pair: CurveKeyPair, created: Bool
    ) {
        if FileManager.default.fileExists(atPath: path) { return (try load(secretKeyFile: path), false) }
        let pair = try generate()
        try pair.write(secretKeyFile: path, comment: comment)
        return (pair, true)
    }

    private static func string(_ characters: [CChar]) -> String {
        String(decoding: characters.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
