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

    /// Signs `content` and checks the signature before returning the DER ContentInfo.
    public func sign(_ content: [UInt8], at time: Date = Date()) throws -> [UInt8] {
        let attributes = try builder.signedAttributes(contentDigest: SHA256.hash(data: content), profile: .cades(signingTime: time))
        let toSign = try CMSBuilder.bytesToSign(attributes)
        let signature = try backend.sign(toSign)
        guard backend.verify(signature, of: toSign) else {
            throw SigningError(code: "SIGNATURE_VERIFICATION_FAILED", message: "the produced signature does not verify")
        }
        return try builder.contentInfo(signedAttributes: attributes, signature: signature, algorithm: backend.algorithm)
    }
}
