import Crypto
import Foundation

/// Detached CAdES (CAdES-BES) signatures over any content: the `.p7s` that a CAdES document's
/// `signedContent` carries.
public struct CAdESSigner: Sendable {
    let backend: LocalKeyBackend
    let builder: CMSBuilder

    public init(backend: LocalKeyBackend) {
        self.backend = backend
        self.builder = CMSBuilder(certificates: backend.chain)
    }

    /// Signs `content` and checks the signature before returning the DER ContentInfo. With a
    /// time-stamping authority the signature value is timestamped (CAdES-T).
    public func sign(_ content: [UInt8], at time: Date = Date(), timestamp: TimestampAuthority? = nil) async throws
        -> [UInt8]
    {
        try await sign(digest: SHA256.hash(data: content), at: time, timestamp: timestamp)
    }

    /// Signs content known by its SHA-256 (detached: the content itself is not needed).
    public func sign(digest: SHA256.Digest, at time: Date = Date(), timestamp: TimestampAuthority? = nil) async throws
        -> [UInt8]
    {
        let signed = try builder.sign(contentDigest: digest, profile: .cades(signingTime: time), with: backend)
        return try await builder.contentInfo(signed, algorithm: backend.algorithm, timestamp: timestamp)
    }
}
