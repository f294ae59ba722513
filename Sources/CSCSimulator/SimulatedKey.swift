import CSC
import Crypto
import _CryptoExtras

/// A credential's software key.
enum SimulatedKey: @unchecked Sendable {
    // The key types are immutable values; older swift-crypto releases do not mark them Sendable.
    case rsa(_RSA.Signing.PrivateKey)
    case p256(P256.Signing.PrivateKey)

    static func generate(_ type: SimulatorConfiguration.Credential.KeyType) throws -> SimulatedKey {
        switch type {
        case .rsa: .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        case .p256: .p256(P256.Signing.PrivateKey())
        }
    }

    /// The signature algorithms it makes (`key.algo`), and its key algorithm.
    var algorithms: [String] {
        switch self {
        case .rsa:
            [
                CSCSignatureAlgorithm.rsaPKCS1SHA256.oid, CSCSignatureAlgorithm.rsaPSSSHA256.oid,
                "1.2.840.113549.1.1.1",
            ]
        case .p256: [CSCSignatureAlgorithm.ecdsaSHA256.oid, "1.2.840.10045.2.1"]
        }
    }

    var bits: Int {
        switch self {
        case .rsa(let key): key.keySizeInBits
        case .p256: 256
        }
    }

    /// P-256's OID, for `key.curve`.
    var curve: String? {
        switch self {
        case .rsa: nil
        case .p256: "1.2.840.10045.3.1.7"
        }
    }

    func supports(_ algorithm: CSCSignatureAlgorithm) -> Bool {
        switch (self, algorithm) {
        case (.rsa, .rsaPKCS1SHA256), (.rsa, .rsaPSSSHA256), (.p256, .ecdsaSHA256): true
        default: false
        }
    }

    /// Signs a SHA-256 digest computed elsewhere.
    func sign(
        _ digest: SHA256.Digest, algorithm: CSCSignatureAlgorithm,
        ecdsaForm: SimulatorConfiguration.Credential.ECDSASignatureForm
    ) throws -> [UInt8] {
        switch (self, algorithm) {
        case (.rsa(let key), .rsaPKCS1SHA256):
            return Array(try key.signature(for: digest, padding: .insecurePKCS1v1_5).rawRepresentation)
        case (.rsa(let key), .rsaPSSSHA256):
            // Salt as long as the digest: 32 bytes, as the PSS parameters say.
            return Array(try key.signature(for: digest, padding: .PSS).rawRepresentation)
        case (.p256(let key), .ecdsaSHA256):
            let signature = try key.signature(for: digest)
            return ecdsaForm == .raw ? Array(signature.rawRepresentation) : Array(signature.derRepresentation)
        default:
            throw UnsupportedAlgorithm()
        }
    }

    struct UnsupportedAlgorithm: Error {}
}

extension SHA256.Digest {
    /// A digest from its 32 bytes, as they arrive in a signHash request.
    ///
    /// swift-crypto makes digests only by hashing, and its signing APIs take a `SHA256.Digest`
    /// (for RSA, its type picks the DigestInfo). The simulator receives the bytes alone, so it
    /// loads them into a digest value — whose storage is those 32 bytes — and checks the result
    /// reads back the same bytes, so a different layout in another swift-crypto version fails
    /// loudly instead of signing something else.
    static func fromBytes(_ bytes: [UInt8]) -> SHA256.Digest? {
        guard bytes.count == SHA256.Digest.byteCount, MemoryLayout<SHA256.Digest>.size == bytes.count else {
            return nil
        }
        let digest = bytes.withUnsafeBytes { $0.loadUnaligned(as: SHA256.Digest.self) }
        return Array(digest) == bytes ? digest : nil
    }
}
