import Crypto

extension CMSBuilder {
    /// Signed attributes and the signature over them, checked before use.
    public struct SignedAttributes: Sendable {
        public let attributes: [[UInt8]]
        public let signature: [UInt8]
    }

    /// Builds the signed attributes for `contentDigest`, signs them and verifies the signature.
    public func sign(contentDigest: SHA256.Digest, profile: Profile, with backend: LocalKeyBackend) throws
        -> SignedAttributes
    {
        let attributes = try signedAttributes(contentDigest: contentDigest, profile: profile)
        let toSign = try Self.bytesToSign(attributes)
        let signature = try backend.sign(toSign)
        guard backend.verify(signature, of: toSign) else {
            throw SigningError(code: "SIGNATURE_VERIFICATION_FAILED", message: "the produced signature does not verify")
        }
        return SignedAttributes(attributes: attributes, signature: signature)
    }

    /// The ContentInfo, with a timestamp over the signature value when an authority is given.
    public func contentInfo(_ signed: SignedAttributes, algorithm: SignatureAlgorithm, timestamp: TimestampAuthority?)
        async throws -> [UInt8]
    {
        var unsigned: [[UInt8]] = []
        if let timestamp {
            unsigned.append(try timestampAttribute(token: try await timestamp.timestamp(of: signed.signature)))
        }
        return try contentInfo(
            signedAttributes: signed.attributes, signature: signed.signature, algorithm: algorithm,
            unsignedAttributes: unsigned)
    }
}
