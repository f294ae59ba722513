import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// Signs digests with a private key held in this process (PEM files in the work folder, or the
/// development identity). The certificate chain is embedded in every signature.
public struct LocalKeyBackend: Sendable {
    // The key types are immutable values; older swift-crypto releases do not mark them Sendable.
    enum Key: @unchecked Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
    }

    let key: Key
    /// Leaf first, then the rest of the chain, as their original DER.
    public let chain: [CertificateDER]
    /// The signer's display name (the leaf's subject common name, or its whole subject).
    public let signerName: String

    public var algorithm: SignatureAlgorithm {
        switch key {
        case .rsa: .rsaPKCS1SHA256
        case .p256: .ecdsaSHA256
        case .p384: .ecdsaSHA256
        }
    }

    /// Loads a PEM private key (PKCS#8, SEC1 or PKCS#1) and a PEM certificate chain, leaf first,
    /// and checks that the leaf certifies that key.
    public init(keyPEM: String, chainPEM: String) throws {
        let key: Key
        if let rsa = try? _RSA.Signing.PrivateKey(pemRepresentation: keyPEM) {
            key = .rsa(rsa)
        } else if let p256 = try? P256.Signing.PrivateKey(pemRepresentation: keyPEM) {
            key = .p256(p256)
        } else if let p384 = try? P384.Signing.PrivateKey(pemRepresentation: keyPEM) {
            key = .p384(p384)
        } else {
            throw SigningError(
                code: "BAD_SIGNING_KEY", message: "the signing key is not an RSA, P-256 or P-384 private key in PEM")
        }
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: chainPEM).filter { $0.discriminator == "CERTIFICATE" }
        } catch {
            throw SigningError(code: "BAD_CERTIFICATE", message: "the certificate file is not PEM")
        }
        guard let leafDocument = documents.first else {
            throw SigningError(code: "BAD_CERTIFICATE", message: "the certificate file holds no certificate")
        }
        let leaf = try Certificate(derEncoded: leafDocument.derBytes)
        guard leaf.publicKey == Self.publicKey(of: key) else {
            throw SigningError(
                code: "KEY_CERTIFICATE_MISMATCH", message: "the certificate does not certify the signing key")
        }
        self.key = key
        self.chain = try documents.map { try CertificateDER(der: $0.derBytes) }
        self.signerName = leaf.subject.commonName ?? leaf.subject.description
    }

    public init(keyFile: String, certificateFile: String) throws {
        let keyPEM: String
        let chainPEM: String
        do {
            keyPEM = try String(contentsOfFile: keyFile, encoding: .utf8)
            chainPEM = try String(contentsOfFile: certificateFile, encoding: .utf8)
        } catch {
            throw SigningError(code: "KEY_FILE_UNREADABLE", message: "cannot read \(keyFile) or \(certificateFile)")
        }
        try self.init(keyPEM: keyPEM, chainPEM: chainPEM)
    }

    /// The identity every document is signed with.
    public var identity: SigningIdentity {
        SigningIdentity(chain: chain, algorithm: algorithm, signerName: signerName)
    }

    /// Signs one precomputed SHA-256 digest as CMS carries it: RSA PKCS#1 v1.5 (swift-crypto adds
    /// the DigestInfo), a DER `ECDSA-Sig-Value` for P-256 and P-384.
    public func sign(_ digest: SHA256.Digest) throws -> [UInt8] {
        switch key {
        case .rsa(let rsa):
            return Array(try rsa.signature(for: digest, padding: .insecurePKCS1v1_5).rawRepresentation)
        case .p256(let p256):
            return Array(try p256.signature(for: digest).derRepresentation)
        case .p384(let p384):
            return Array(try p384.signature(for: digest).derRepresentation)
        }
    }

    private static func publicKey(of key: Key) -> Certificate.PublicKey {
        switch key {
        case .rsa(let rsa): Certificate.PublicKey(rsa.publicKey)
        case .p256(let p256): Certificate.PublicKey(p256.publicKey)
        case .p384(let p384): Certificate.PublicKey(p384.publicKey)
        }
    }
}

/// One key for every client service; each digest is signed on its own (no round trip to save,
/// so no batching).
extension LocalKeyBackend: SigningBackend {
    public func identity(for client: String) async throws -> SigningIdentity { identity }

    public func maxBatch(for client: String) async -> Int { 1 }

    public func sign(_ digests: [SHA256.Digest], for client: String) async throws -> [[UInt8]] {
        do {
            return try digests.map { try sign($0) }
        } catch {
            throw SigningError(code: "SIGNING_FAILED", message: "the local key could not sign: \(error)")
        }
    }
}

extension DistinguishedName {
    var commonName: String? {
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(describing: attribute.value)
            }
        }
        return nil
    }
}
