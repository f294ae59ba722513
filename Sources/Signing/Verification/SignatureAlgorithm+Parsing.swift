import SwiftASN1

extension SignatureAlgorithm {
    /// Reads a SignerInfo's signatureAlgorithm (the digest algorithm is SHA-256, checked apart).
    /// Accepted: sha256WithRSAEncryption and the bare rsaEncryption that many CMS producers write
    /// (parameters absent or NULL), ecdsa-with-SHA256 (absent or NULL), and id-RSASSA-PSS with
    /// exactly the parameters `serialize` writes: SHA-256, MGF1 with SHA-256, salt 32, trailer 1
    /// (the trailer given or left to its DEFAULT; hash identifiers with NULL or absent parameters).
    init(signerInfoAlgorithm node: ASN1Node) throws(SigningError) {
        let parts = try node.fields("SignerInfo.signatureAlgorithm", .sequence)
        guard let first = parts.first, parts.count <= 2 else {
            throw .signatureRejected("SignerInfo.signatureAlgorithm is malformed")
        }
        let oid = try first.oid("SignerInfo.signatureAlgorithm")
        let parameters = parts.count == 2 ? parts[1] : nil
        switch oid {
        case OID.sha256WithRSAEncryption, OID.rsaEncryption, OID.ecdsaWithSHA256:
            guard parameters == nil || parameters?.identifier == .null else {
                throw .signatureRejected("SignerInfo.signatureAlgorithm has unexpected parameters")
            }
            self = oid == OID.ecdsaWithSHA256 ? .ecdsaSHA256 : .rsaPKCS1SHA256
        case OID.rsassaPSS:
            guard let parameters, Self.arePSSParametersAccepted(parameters) else {
                throw .signatureRejected(
                    "the RSASSA-PSS parameters are not SHA-256, MGF1 with SHA-256, salt length 32, trailer field 1")
            }
            self = .rsaPSSSHA256
        default:
            throw .signatureRejected("the signature algorithm \(oid) is not one Signet accepts")
        }
    }

    /// RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0], maskGenAlgorithm [1], saltLength [2],
    /// trailerField [3] }, each EXPLICIT and in that order; absent fields take the SHA-1 defaults
    /// (RFC 4055 §3.1), which are refused here but the trailer's.
    static func arePSSParametersAccepted(_ node: ASN1Node) -> Bool {
        guard node.identifier == .sequence, case .constructed(let children) = node.content else { return false }
        var fields: [UInt: ASN1Node] = [:]
        var lastTag: UInt?
        for child in children {
            let tag = child.identifier.tagNumber
            guard child.identifier.tagClass == .contextSpecific, tag <= 3, lastTag.map({ tag > $0 }) ?? true,
                case .constructed(let inner) = child.content
            else { return false }
            let values = Array(inner)
            guard values.count == 1 else { return false }
            fields[tag] = values[0]
            lastTag = tag
        }
        guard let hash = fields[0], isSHA256(hash), let mask = fields[1], let salt = fields[2] else { return false }
        // maskGenAlgorithm ::= SEQUENCE { id-mgf1, hashAlgorithm }
        guard mask.identifier == .sequence, case .constructed(let maskParts) = mask.content else { return false }
        let maskFields = Array(maskParts)
        guard maskFields.count == 2, (try? ASN1ObjectIdentifier(derEncoded: maskFields[0])) == OID.mgf1,
            isSHA256(maskFields[1])
        else { return false }
        guard (try? Int(derEncoded: salt)) == pssSaltLength else { return false }
        if let trailer = fields[3], (try? Int(derEncoded: trailer)) != 1 { return false }
        return true
    }

    /// AlgorithmIdentifier { id-sha256, NULL or absent }.
    private static func isSHA256(_ node: ASN1Node) -> Bool {
        guard node.identifier == .sequence, case .constructed(let children) = node.content else { return false }
        let parts = Array(children)
        guard let first = parts.first, (try? ASN1ObjectIdentifier(derEncoded: first)) == OID.sha256 else {
            return false
        }
        return parts.count == 1 || (parts.count == 2 && parts[1].identifier == .null)
    }
}
