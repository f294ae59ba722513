import Crypto

/// A signing identity ready for use: its CMS builder and the key its signatures must verify with.
struct Signatory: Sendable {
    let identity: SigningIdentity
    let key: VerificationKey
    let builder: CMSBuilder

    /// Refuses an identity whose signatures could not be checked or could never verify: no
    /// certificate, a key Signet cannot verify, or an algorithm that does not fit the key.
    init(_ identity: SigningIdentity) throws(SigningError) {
        guard let leaf = identity.chain.first else {
            throw SigningError(code: "BAD_CERTIFICATE", message: "the signing identity has no certificate")
        }
        key = try VerificationKey(certificate: leaf)
        guard key.accepts(identity.algorithm) else {
            throw SigningError(
                code: "SIGNATURE_VERIFICATION_FAILED",
                message: "the signing identity's algorithm \(identity.algorithm) does not fit its certificate's key")
        }
        self.identity = identity
        builder = CMSBuilder(certificates: identity.chain)
    }

    /// `signature` as CMS carries it, once it verifies over `digest` with the leaf certificate's
    /// key (a raw ECDSA `r||s` comes back as DER); whatever the backend, nothing else is embedded.
    func verified(_ signature: [UInt8], of digest: SHA256.Digest) throws(SigningError) -> [UInt8] {
        guard let verified = key.cmsSignature(signature, digest: digest, algorithm: identity.algorithm) else {
            throw SigningError(
                code: "SIGNATURE_VERIFICATION_FAILED",
                message: "the signature does not verify with the signing certificate's key")
        }
        return verified
    }

    /// `signature` as XML-DSig carries it (ECDSA as raw `r||s`, RFC 4050 / RFC 6931), once it
    /// verifies over `digest` with the leaf certificate's key.
    func verifiedRaw(_ signature: [UInt8], of digest: SHA256.Digest) throws(SigningError) -> [UInt8] {
        let verified = try verified(signature, of: digest)
        guard let raw = key.rawSignature(fromCMS: verified) else {
            throw SigningError(
                code: "SIGNATURE_VERIFICATION_FAILED", message: "the ECDSA signature has no raw r||s form for this key")
        }
        return raw
    }
}
