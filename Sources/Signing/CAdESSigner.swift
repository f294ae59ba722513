import Crypto
import Foundation

/// Detached CAdES (CAdES-BES) signatures over any content: the `.p7s` that a CAdES document's
/// `signedContent` carries. Prepare is the signed attributes over the content's digest (with
/// signing-time); the rest is the shared pipeline (hash, sign, verify, assemble).
public struct CAdESSigner: Sendable {
    let pipeline: SigningPipeline

    public init(backend: any SigningBackend) {
        self.init(pipeline: SigningPipeline(backend: backend))
    }

    init(pipeline: SigningPipeline) {
        self.pipeline = pipeline
    }

    /// Signs `content` for `client` and checks the signature before returning the DER
    /// ContentInfo. With a time-stamping authority the signature value is timestamped (CAdES-T).
    public func sign(
        _ content: [UInt8], client: String, at time: Date = Date(), timestamp: TimestampAuthority? = nil
    ) async throws -> [UInt8] {
        try await sign(digest: Array(SHA256.hash(data: content)), client: client, at: time, timestamp: timestamp)
    }

    /// Signs content known by its SHA-256 (detached: the content itself is not needed).
    public func sign(
        digest: [UInt8], client: String, at time: Date = Date(), timestamp: TimestampAuthority? = nil
    ) async throws -> [UInt8] {
        let signatory = try await pipeline.signatory(for: client)
        let attributes = try Self.prepare(contentDigest: digest, at: time, by: signatory)
        return try await pipeline.cms(signedAttributes: attributes, by: signatory, client: client, timestamp: timestamp)
    }

    /// Prepare: the CAdES-BES signed attributes (content-type, message-digest, signing-time,
    /// ESS signing-certificate-v2).
    static func prepare(contentDigest: [UInt8], at time: Date, by signatory: Signatory) throws -> [[UInt8]] {
        try signatory.builder.signedAttributes(contentDigest: contentDigest, profile: .cades(signingTime: time))
    }
}
