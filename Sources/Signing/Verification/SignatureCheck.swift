import Crypto
import SwiftASN1
import X509

/// Checks a signer's result before the gateway stores it: the bytes must be a valid signature of
/// the job's document by the configured identity, whatever the signer was (misconfigured with
/// another key, buggy, hostile).
///
/// Pure and cheap: one SHA-256 over the signed bytes (the original for CAdES, the byte ranges
/// for PAdES), one DER parse of the CMS, one signature verification; no copy of the document.
/// Every rejection is `SigningError(code: "SIGNATURE_REJECTED")` with a message saying what is
/// wrong; hostile bytes never trap.
///
/// What is checked is an identity, not trust: the configured leaf certificate is the only one
/// accepted, byte for byte, so no chain building or revocation is involved.
public struct SignatureCheck: Sendable {
    /// The code of every rejection.
    public static let rejectionCode = "SIGNATURE_REJECTED"

    /// The identity results must be signed by, as its original DER.
    public let certificate: CertificateDER
    let key: VerificationKey
    /// SHA-256 of the certificate's DER, as ESS signing-certificate-v2 names it.
    let certificateHash: [UInt8]

    /// The identity is the first certificate of `certificateChainPEM` (the signer's `--certificate`
    /// file; the rest of the chain is ignored).
    public init(certificateChainPEM: String) throws(SigningError) {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: certificateChainPEM)
        } catch {
            throw SigningError(code: "BAD_CERTIFICATE", message: "the certificate file is not PEM")
        }
        guard let leaf = documents.first(where: { $0.discriminator == "CERTIFICATE" }) else {
            throw SigningError(code: "BAD_CERTIFICATE", message: "the certificate file holds no certificate")
        }
        try self.init(leafCertificateDER: leaf.derBytes)
    }

    public init(leafCertificateDER der: [UInt8]) throws(SigningError) {
        let parsed: Certificate
        do {
            parsed = try Certificate(derEncoded: der)
            certificate = try CertificateDER(der: der)
        } catch {
            throw SigningError(code: "BAD_CERTIFICATE", message: "the certificate is not a DER X.509 certificate")
        }
        guard let key = VerificationKey(parsed.publicKey) else {
            throw SigningError(
                code: "BAD_CERTIFICATE", message: "the certificate's key is not an RSA, P-256 or P-384 public key")
        }
        self.key = key
        certificateHash = Array(SHA256.hash(data: der))
    }

    /// Throws `SIGNATURE_REJECTED` unless `signed` is a valid signature of `original` by this
    /// identity: for `CAdES` a detached CMS over `original`, for `PAdES` `original` with an
    /// appended signature whose byte ranges cover everything but the CMS, for `XAdES` `original`
    /// with one more enveloped signature (`checkXAdES`).
    public func check(signed: [UInt8], original: [UInt8], signatureType: String) throws(SigningError) {
        switch signatureType.uppercased() {
        case "CADES": try checkCAdES(signed: signed, original: original)
        case "PADES": try checkPAdES(signed: signed, original: original)
        case "XADES": try checkXAdES(signed: signed, original: original)
        default: throw .signatureRejected("signature type \(signatureType) is unsupported")
        }
    }

    func checkCAdES(signed: [UInt8], original: [UInt8]) throws(SigningError) {
        try checkCAdES(signed: signed, contentDigest: Array(SHA256.hash(data: original)))
    }

    /// Checks a detached CAdES signature of content known by its SHA-256 (32 bytes): the content
    /// itself is not needed.
    public func checkCAdES(signed: [UInt8], contentDigest: [UInt8]) throws(SigningError) {
        let cms = try SignedCMS(der: signed[...])
        try check(cms, contentDigest: contentDigest)
    }

    /// The checks common to CAdES and PAdES: algorithms, attributes, identity, signature.
    func check(_ cms: SignedCMS, contentDigest: [UInt8]) throws(SigningError) {
        guard cms.digestAlgorithm == OID.sha256 else {
            throw .signatureRejected("the digest algorithm is not SHA-256")
        }
        guard key.accepts(cms.signatureAlgorithm) else {
            throw .signatureRejected("the signature algorithm does not fit the configured certificate's key")
        }
        let contentType = try cms.singleValue(of: OID.contentType, named: "content-type")
        guard try contentType.oid("content-type") == OID.data else {
            throw .signatureRejected("the content-type attribute is not id-data")
        }
        let digest = try cms.singleValue(of: OID.messageDigest, named: "message-digest")
        guard try digest.primitive("message-digest", .octetString).elementsEqual(contentDigest) else {
            throw .signatureRejected("the message-digest does not match the document")
        }
        try checkIdentity(cms)
        guard key.isValid(cms.signature, of: cms.bytesToVerify, algorithm: cms.signatureAlgorithm) else {
            throw .signatureRejected("the signature does not verify with the configured certificate's key")
        }
    }

    /// The SignerInfo, ESS signing-certificate-v2 and the embedded certificates all name the
    /// configured certificate, byte for byte.
    func checkIdentity(_ cms: SignedCMS) throws(SigningError) {
        guard cms.signerIssuer == certificate.issuer, cms.signerSerialNumber == certificate.serialNumber else {
            throw .signatureRejected("the signer info names another certificate than the configured one")
        }
        // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies OPTIONAL }
        // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash OCTET STRING,
        //   issuerSerial OPTIONAL }; the first names the signing certificate (RFC 5035).
        let essValue = try cms.singleValue(of: OID.signingCertificateV2, named: "ESS signing-certificate-v2")
        let essCertificates = try essValue.fields("signing-certificate-v2", .sequence)
        guard let certs = essCertificates.first,
            let first = try certs.fields("signing-certificate-v2 certs", .sequence).first
        else { throw .signatureRejected("ESS signing-certificate-v2 names no certificate") }
        var certID = try first.fields("ESSCertIDv2", .sequence)[...]
        if let algorithm = certID.first, algorithm.identifier == .sequence {
            guard try algorithm.algorithm("ESSCertIDv2.hashAlgorithm") == OID.sha256 else {
                throw .signatureRejected("ESS signing-certificate-v2 does not use SHA-256")
            }
            certID = certID.dropFirst()
        }
        let hash = try certID.first?.primitive("ESSCertIDv2.certHash", .octetString)
        guard let hash, hash.elementsEqual(certificateHash) else {
            throw .signatureRejected("ESS signing-certificate-v2 names another certificate than the configured one")
        }
        var embedded = false
        for candidate in cms.certificates {
            if candidate.elementsEqual(certificate.der) {
                embedded = true
            } else if let other = try? CertificateDER(der: Array(candidate)),
                other.issuer == certificate.issuer, other.serialNumber == certificate.serialNumber
            {
                throw .signatureRejected(
                    "the CMS embeds a different certificate with the configured certificate's issuer and serial number")
            }
        }
        guard embedded else { throw .signatureRejected("the CMS does not embed the configured certificate") }
    }
}
