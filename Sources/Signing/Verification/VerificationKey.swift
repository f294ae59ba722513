import Crypto
import SwiftASN1
import X509
import _CryptoExtras

/// A certificate's public key, for the key types Signet verifies: RSA (PKCS#1 v1.5 or PSS),
/// P-256 and P-384 (ECDSA), all over SHA-256. The gateway's `SignatureCheck` and the signing
/// pipeline's own check both verify with it.
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

    /// The key of a DER certificate (a signing identity's leaf).
    init(certificate: CertificateDER) throws(SigningError) {
        let parsed: Certificate
        do {
            parsed = try Certificate(derEncoded: certificate.der)
        } catch {
            throw SigningError(code: "BAD_CERTIFICATE", message: "the certificate is not a DER X.509 certificate")
        }
        guard let key = VerificationKey(parsed.publicKey) else {
            throw SigningError(
                code: "BAD_CERTIFICATE", message: "the certificate's key is not an RSA, P-256 or P-384 public key")
        }
        self = key
    }

    /// Whether signatures by this key may claim `algorithm`.
    func accepts(_ algorithm: SignatureAlgorithm) -> Bool {
        switch (self, algorithm) {
        case (.rsa, .rsaPKCS1SHA256), (.rsa, .rsaPSSSHA256), (.p256, .ecdsaSHA256), (.p384, .ecdsaSHA256): true
        default: false
        }
    }

    /// Whether `signature`, as CMS carries it, signs the SHA-256 of `message` with `algorithm`.
    func isValid(_ signature: ArraySlice<UInt8>, of message: [UInt8], algorithm: SignatureAlgorithm) -> Bool {
        isValid(signature, digest: SHA256.hash(data: message), algorithm: algorithm)
    }

    /// Whether `signature`, as CMS carries it (RSA bytes, a DER `ECDSA-Sig-Value`), signs `digest`.
    func isValid(_ signature: ArraySlice<UInt8>, digest: SHA256.Digest, algorithm: SignatureAlgorithm) -> Bool {
        guard accepts(algorithm) else { return false }
        switch self {
        case .rsa(let rsa):
            let padding: _RSA.Signing.Padding = algorithm == .rsaPSSSHA256 ? .PSS : .insecurePKCS1v1_5
            return rsa.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: digest, padding: padding)
        case .p256(let p256):
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return p256.isValidSignature(parsed, for: digest)
        case .p384(let p384):
            guard let parsed = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return p384.isValidSignature(parsed, for: digest)
        }
    }

    /// `signature` as CMS carries it when it is a valid signature of `digest`, else nil. ECDSA
    /// signatures may come in either form remote services use: DER `ECDSA-Sig-Value`, or raw
    /// `r||s` of the key's size, which is converted (whichever form verifies is the one it is).
    func cmsSignature(_ signature: [UInt8], digest: SHA256.Digest, algorithm: SignatureAlgorithm) -> [UInt8]? {
        if isValid(signature[...], digest: digest, algorithm: algorithm) { return signature }
        switch self {
        case .p256, .p384:
            guard signature.count == rawECDSASize, let der = try? ECDSASignatureForm.der(fromRaw: signature),
                isValid(der[...], digest: digest, algorithm: algorithm)
            else { return nil }
            return der
        case .rsa:
            return nil
        }
    }

    /// A signature as CMS carries it, as XML-DSig carries it: RSA bytes unchanged, a DER
    /// `ECDSA-Sig-Value` as raw `r||s` of the key's size; nil if it is not one.
    func rawSignature(fromCMS signature: [UInt8]) -> [UInt8]? {
        switch self {
        case .rsa: return signature
        case .p256:
            return (try? P256.Signing.ECDSASignature(derRepresentation: signature)).map { Array($0.rawRepresentation) }
        case .p384:
            return (try? P384.Signing.ECDSASignature(derRepresentation: signature)).map { Array($0.rawRepresentation) }
        }
    }

    /// Whether `signature`, as XML-DSig carries it (RSA bytes, raw ECDSA `r||s`), signs `digest`.
    func isValidXML(_ signature: [UInt8], digest: SHA256.Digest, algorithm: SignatureAlgorithm) -> Bool {
        switch self {
        case .rsa: return isValid(signature[...], digest: digest, algorithm: algorithm)
        case .p256, .p384:
            guard signature.count == rawECDSASize, let der = try? ECDSASignatureForm.der(fromRaw: signature) else {
                return false
            }
            return isValid(der[...], digest: digest, algorithm: algorithm)
        }
    }

    /// The length of a raw `r||s` signature by this key (0 for RSA).
    private var rawECDSASize: Int {
        switch self {
        case .rsa: 0
        case .p256: 64
        case .p384: 96
        }
    }
}

extension OID {
    /// rsaEncryption: RSA PKCS#1 v1.5, the digest named by the SignerInfo's digestAlgorithm.
    static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
}
