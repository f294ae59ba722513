import Crypto

/// The stages every signature goes through once its format has prepared the signed attributes
/// (docs/signing.md): hash their DER, have the backend sign the digest through the batcher,
/// verify the signature with the identity's leaf key, and assemble the CMS. CAdES and PAdES run
/// them alike, for any backend; only the preparation before and the embedding after differ.
struct SigningPipeline: Sendable {
    let batcher: DigestBatcher<ContinuousClock>

    init(backend: any SigningBackend, batchDelay: Duration = .milliseconds(5)) {
        batcher = DigestBatcher(backend: backend, delay: batchDelay)
    }

    /// Who signs for `client`: the backend's identity, checked for use before anything is signed.
    func signatory(for client: String) async throws -> Signatory {
        try Signatory(try await batcher.backend.identity(for: client))
    }

    /// Hash → sign → verify → assemble: the DER ContentInfo over `signedAttributes`, with a
    /// timestamp over the signature value when an authority is given.
    func cms(
        signedAttributes: [[UInt8]], by signatory: Signatory, client: String, timestamp: TimestampAuthority?
    ) async throws -> [UInt8] {
        let digest = try Self.hash(signedAttributes)
        let signature = try await batcher.sign(digest, for: client)
        let verified = try signatory.verified(signature, of: digest)
        return try await Self.assemble(signedAttributes, signature: verified, by: signatory, timestamp: timestamp)
    }

    /// Sign → verify for a format that carries the bare signature value (XAdES): the backend's
    /// signature of `digest`, once it verifies with the identity's leaf key, as XML-DSig carries
    /// it (RSA bytes; ECDSA as raw `r||s`, whatever form the backend returned).
    func rawSignature(of digest: SHA256.Digest, by signatory: Signatory, client: String) async throws -> [UInt8] {
        let signature = try await batcher.sign(digest, for: client)
        return try signatory.verifiedRaw(signature, of: digest)
    }

    /// What the backend signs: SHA-256 of the signed attributes' DER as a universal SET.
    static func hash(_ signedAttributes: [[UInt8]]) throws -> SHA256.Digest {
        SHA256.hash(data: try CMSBuilder.bytesToSign(signedAttributes))
    }

    /// The ContentInfo naming the identity's algorithm, with the timestamp token (over the
    /// signature value) as an unsigned attribute when asked for.
    static func assemble(
        _ signedAttributes: [[UInt8]], signature: [UInt8], by signatory: Signatory, timestamp: TimestampAuthority?
    ) async throws -> [UInt8] {
        var unsigned: [[UInt8]] = []
        if let timestamp {
            let token = try await timestamp.timestamp(of: signature)
            unsigned.append(try signatory.builder.timestampAttribute(token: token))
        }
        return try signatory.builder.contentInfo(
            signedAttributes: signedAttributes, signature: signature, algorithm: signatory.identity.algorithm,
            unsignedAttributes: unsigned)
    }
}
