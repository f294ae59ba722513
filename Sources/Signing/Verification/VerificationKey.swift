import Crypto
import SwiftASN1
import X509
import _CryptoExtras

/// A certificate's public key, for the key types `LocalKeyBackend` signs with: RSA (PKCS#1 v1.5),
/// P-256 and P-384 (ECDSA, DER signatures), all over SHA-256.
enum VerificationKey: @unchecked Sendable {
    // The key types are immutable values; older swift-crypto releases do not mark them Sendable.
    case rsa(_RSA.Signing.PublicKey)
    case p256(P256.Signing.PublicKey)
    case p384(P384.Signing.PublicKey)

    init?(_ key: Certificate.PublicKey) {
        if let rsa = _RSA.Signing.PublicKey(key) {
            self = .rsa(rsa)
        } else if let p256 = P256.Signing.PublicKey(key) {
            self = .p256(p256)
        } else if let p384 = P384.Signing.PublicKey(key) {
            self = .p384(p384)
        } else {
            return nil
        }
    }

    /// The SignerInfo signature algorithms that fit this key (what `SignatureAlgorithm` writes;
    /// for RSA also the bare rsaEncryption that many CMS producers write).
    func accepts(_ algorithm: ASN1ObjectIdentifier) -> Bool {
        switch self {
        case .rsa: algorithm == OID.sha256WithRSAEncryption || algorithm == OID.rsaEncryption
        case .p256, .p384: algorithm == OID.ecdsaWithSHA256
        }
    }

    /// Whether `signature` (as CMS carries it, as `LocalKeyBackend.sign` makes it) signs the
    /// SHA-256 of `message`.
    func isValid(_ signature: ArraySlice<UInt8>, of message: [UInt8]) -> Bool {
        let digest = SHA256.hash(data: message)
        switch self {
        case .rsa(let rsa):
            return rsa.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: digest, padding: .insecurePKCS1v1_5)
        case .p256(let p256):
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return p256.isValidSignature(parsed, for: digest)
        case .p384(let p384):
            guard let parsed = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return p384.isValidSignature(parsed, for: digest)
        }
    }
}

extension OID {
    /// rsaEncryption: RSA PKCS#1 v1.5, the digest named by the SignerInfo's digestAlgorithm.
    static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
}
