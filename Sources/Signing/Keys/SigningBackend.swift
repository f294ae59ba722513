import Crypto

/// Who signs a client service's documents, as its backend knows it.
public struct SigningIdentity: Sendable, Equatable {
    /// Leaf first, then the rest of the chain, as their original DER.
    public let chain: [CertificateDER]
    /// What the backend's signatures are, as SignerInfo names them.
    public let algorithm: SignatureAlgorithm
    /// The name a PDF signature shows (the leaf's subject common name, or its whole subject).
    public let signerName: String

    public init(chain: [CertificateDER], algorithm: SignatureAlgorithm, signerName: String) {
        self.chain = chain
        self.algorithm = algorithm
        self.signerName = signerName
    }
}

/// Where signatures come from: a key in this process, or a remote signing service (CSC API v2).
/// A backend signs digests, never documents: the signing pipeline prepares the document, hashes
/// what is to be signed, asks the backend, then assembles and verifies (docs/signing.md).
public protocol SigningBackend: Sendable {
    /// The identity `client` (a client service id) signs with.
    func identity(for client: String) async throws -> SigningIdentity

    /// The most digests one `sign` call takes for `client` (a CSC credential's `multisign`);
    /// 1 when the backend does not batch.
    func maxBatch(for client: String) async -> Int

    /// Signs the SHA-256 `digests` (each the hash of a CMS's DER signed attributes) with
    /// `client`'s key: one signature per digest, in order, as CMS carries it (PKCS#1 v1.5 or PSS
    /// bytes for RSA, a DER `ECDSA-Sig-Value` for ECDSA). A failure fails the whole batch with a
    /// `SigningError`.
    func sign(_ digests: [SHA256.Digest], for client: String) async throws -> [[UInt8]]
}
