import SwiftASN1

/// The parts of a detached CMS SignedData (RFC 5652) with exactly one signer that a signature
/// check reads. Every field is a slice of the parsed DER: nothing is re-serialized.
///
/// Parsing checks the shape and the fixed values (versions, the digest algorithm set); what the
/// attributes, identity and signature must be is `SignatureCheck`'s business.
struct SignedCMS {
    /// The signer's certificate as the SignerInfo names it (IssuerAndSerialNumber), as encoded.
    let signerIssuer: ArraySlice<UInt8>
    let signerSerialNumber: ArraySlice<UInt8>
    let digestAlgorithm: ASN1ObjectIdentifier
    /// The signed attributes as embedded, `[0] IMPLICIT` (first byte 0xA0).
    let signedAttributesDER: ArraySlice<UInt8>
    /// Each signed attribute's type and values.
    let signedAttributes: [(type: ASN1ObjectIdentifier, values: [ASN1Node])]
    let signatureAlgorithm: SignatureAlgorithm
    let signature: ArraySlice<UInt8>
    /// The embedded certificates' DER, in order.
    let certificates: [ArraySlice<UInt8>]

    /// Parses `der`, which must be one ContentInfo and nothing else.
    init(der: ArraySlice<UInt8>) throws(SigningError) {
        let root: ASN1Node
        do {
            root = try DER.parse(der)
        } catch {
            throw .signatureRejected("the signature is not a DER-encoded CMS")
        }
        // ContentInfo ::= SEQUENCE { contentType, [0] EXPLICIT content }
        let contentInfo = try root.fields("ContentInfo", .sequence)
        guard contentInfo.count == 2, try contentInfo[0].oid("ContentInfo.contentType") == OID.signedData else {
            throw .signatureRejected("the CMS is not a SignedData")
        }
        let explicit = try contentInfo[1].fields("ContentInfo.content", .contextSpecific(0))
        guard explicit.count == 1 else { throw .signatureRejected("ContentInfo.content is not one SignedData") }
        // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo,
        //   certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL, signerInfos SET }
        let signedData = try explicit[0].fields("SignedData", .sequence)
        guard signedData.count >= 4 else { throw .signatureRejected("SignedData has too few fields") }
        // Version 1: id-data content, issuer-and-serial signer identifiers (RFC 5652 §5.1).
        guard signedData[0].encodedBytes.elementsEqual(Self.versionOne) else {
            throw .signatureRejected("SignedData.version is not 1")
        }
        let digestAlgorithms = try signedData[1].fields("SignedData.digestAlgorithms", .set)
        guard digestAlgorithms.count == 1, try digestAlgorithms[0].algorithm("digest algorithm") == OID.sha256 else {
            throw .signatureRejected("SignedData.digestAlgorithms is not SHA-256 alone")
        }
        let encapsulated = try signedData[2].fields("SignedData.encapContentInfo", .sequence)
        guard encapsulated.count == 1 else {
            throw .signatureRejected("the CMS is not detached: it carries its content")
        }
        guard try encapsulated[0].oid("encapContentInfo.eContentType") == OID.data else {
            throw .signatureRejected("the encapsulated content type is not id-data")
        }
        var index = 3
        var certificates: [ArraySlice<UInt8>] = []
        if signedData[index].identifier == .contextSpecific(0) {
            certificates = try signedData[index].fields("SignedData.certificates", .contextSpecific(0))
                .map(\.encodedBytes)
            index += 1
        }
        if index < signedData.count, signedData[index].identifier == .contextSpecific(1) { index += 1 }
        guard index == signedData.count - 1 else { throw .signatureRejected("SignedData has unexpected fields") }
        let signerInfos = try signedData[index].fields("SignedData.signerInfos", .set)
        guard signerInfos.count == 1 else {
            throw .signatureRejected("the CMS has \(signerInfos.count) signer infos; exactly one is expected")
        }
        // SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, signedAttrs [0] IMPLICIT,
        //   signatureAlgorithm, signature OCTET STRING, unsignedAttrs [1] IMPLICIT OPTIONAL }
        let info = try signerInfos[0].fields("SignerInfo", .sequence)
        guard info.count == 6 || (info.count == 7 && info[6].identifier == .contextSpecific(1)) else {
            throw .signatureRejected("SignerInfo has \(info.count) fields; signed attributes are required")
        }
        guard info[0].encodedBytes.elementsEqual(Self.versionOne) else {
            throw .signatureRejected("SignerInfo.version is not 1")
        }
        guard info[1].identifier == .sequence else {
            throw .signatureRejected("the signer identifier is not an issuer and serial number")
        }
        let sid = try info[1].fields("SignerInfo.sid", .sequence)
        guard sid.count == 2, sid[0].identifier == .sequence, sid[1].identifier == .integer else {
            throw .signatureRejected("the signer identifier is not an issuer and serial number")
        }
        signerIssuer = sid[0].encodedBytes
        signerSerialNumber = sid[1].encodedBytes
        digestAlgorithm = try info[2].algorithm("SignerInfo.digestAlgorithm")
        let attributes = try info[3].fields("SignerInfo.signedAttrs", .contextSpecific(0))
        signedAttributesDER = info[3].encodedBytes
        var parsed: [(type: ASN1ObjectIdentifier, values: [ASN1Node])] = []
        for attribute in attributes {
            // Attribute ::= SEQUENCE { attrType, attrValues SET OF }
            let parts = try attribute.fields("signed attribute", .sequence)
            guard parts.count == 2 else { throw .signatureRejected("a signed attribute is not a type and values") }
            parsed.append((try parts[0].oid("signed attribute type"), try parts[1].fields("attribute values", .set)))
        }
        signedAttributes = parsed
        signatureAlgorithm = try SignatureAlgorithm(signerInfoAlgorithm: info[4])
        signature = try info[5].primitive("SignerInfo.signature", .octetString)
        self.certificates = certificates
    }

    /// INTEGER 1, as DER.
    static let versionOne: [UInt8] = [0x02, 0x01, 0x01]

    /// The single value of the signed attribute `type`; throws when it is absent or repeated.
    func singleValue(of type: ASN1ObjectIdentifier, named name: String) throws(SigningError) -> ASN1Node {
        let matching = signedAttributes.filter { $0.type == type }
        guard !matching.isEmpty else { throw .signatureRejected("the signed attributes have no \(name)") }
        guard matching.count == 1, matching[0].values.count == 1 else {
            throw .signatureRejected("the signed attribute \(name) must have exactly one value")
        }
        return matching[0].values[0]
    }

    /// The DER the signature is computed over: the signed attributes re-tagged as a universal SET
    /// (RFC 5652 §5.4). A copy of the attributes only (a few hundred bytes).
    var bytesToVerify: [UInt8] {
        var bytes = Array(signedAttributesDER)
        bytes[0] = 0x31  // [0] IMPLICIT (0xA0) → SET (0x31); DER.parse guarantees a short-form tag.
        return bytes
    }

    /// The length of the DER TLV at the start of `bytes` (header included), or nil when the header
    /// is malformed or claims more than `bytes` holds. Used to find a CMS inside zero padding.
    static func encodedLength(_ bytes: ArraySlice<UInt8>) -> Int? {
        var i = bytes.startIndex
        guard bytes.count >= 2, bytes[i] & 0x1F != 0x1F else { return nil }  // short-form tag only
        i += 1
        let first = bytes[i]
        i += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let octets = Int(first & 0x7F)
            guard octets >= 1, octets <= 4, bytes.endIndex - i >= octets else { return nil }
            for _ in 0..<octets {
                length = length << 8 | Int(bytes[i])
                i += 1
            }
        }
        let header = i - bytes.startIndex
        guard length <= bytes.count - header else { return nil }
        return header + length
    }
}

/// Reading the parsed DER with a rejection that names the field.
extension ASN1Node {
    /// The children of a constructed node with identifier `tag`; `what` names it in the rejection.
    func fields(_ what: String, _ tag: ASN1Identifier) throws(SigningError) -> [ASN1Node] {
        guard identifier == tag, case .constructed(let children) = content else {
            throw .signatureRejected("\(what) is malformed")
        }
        return Array(children)
    }

    func primitive(_ what: String, _ tag: ASN1Identifier) throws(SigningError) -> ArraySlice<UInt8> {
        guard identifier == tag, case .primitive(let bytes) = content else {
            throw .signatureRejected("\(what) is malformed")
        }
        return bytes
    }

    func oid(_ what: String) throws(SigningError) -> ASN1ObjectIdentifier {
        do {
            return try ASN1ObjectIdentifier(derEncoded: self)
        } catch {
            throw .signatureRejected("\(what) is not an object identifier")
        }
    }

    /// AlgorithmIdentifier ::= SEQUENCE { algorithm, parameters ANY OPTIONAL }, parameters absent
    /// or NULL (the forms digest algorithm identifiers take).
    func algorithm(_ what: String) throws(SigningError) -> ASN1ObjectIdentifier {
        let parts = try fields(what, .sequence)
        guard let first = parts.first, parts.count == 1 || (parts.count == 2 && parts[1].identifier == .null) else {
            throw .signatureRejected("\(what) has unexpected parameters")
        }
        return try first.oid(what)
    }
}

extension SigningError {
    /// A signer's result that must not be stored: `SIGNATURE_REJECTED` with what is wrong.
    static func signatureRejected(_ message: String) -> SigningError {
        SigningError(code: SignatureCheck.rejectionCode, message: message)
    }
}
