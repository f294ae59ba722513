import SwiftASN1

/// The signature algorithms Signet asks a CSC service for, over SHA-256 hashes.
public enum CSCSignatureAlgorithm: String, Sendable, Equatable, CaseIterable {
    /// sha256WithRSAEncryption: RSA PKCS#1 v1.5, the service adds the DigestInfo.
    case rsaPKCS1SHA256 = "1.2.840.113549.1.1.11"
    /// id-RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt (given in
    /// `signAlgoParams`).
    case rsaPSSSHA256 = "1.2.840.113549.1.1.10"
    /// ecdsa-with-SHA256.
    case ecdsaSHA256 = "1.2.840.10045.4.3.2"

    /// The OID sent as `signAlgo`.
    public var oid: String { rawValue }

    /// The DER parameters sent (base64) as `signAlgoParams`: RSASSA-PSS-params for PSS, none
    /// for the others.
    public var parametersDER: [UInt8]? {
        self == .rsaPSSSHA256 ? Self.pssSHA256Parameters : nil
    }

    /// id-sha256, sent as `hashAlgorithmOID`.
    public static let sha256OID = "2.16.840.1.101.3.4.2.1"
    static let rsaEncryptionOID = "1.2.840.113549.1.1.1"
    static let ecPublicKeyOID = "1.2.840.10045.2.1"
    static let mgf1OID = "1.2.840.113549.1.1.8"

    /// RSASSA-PSS-params (RFC 4055) { hashAlgorithm sha256, maskGenAlgorithm mgf1(sha256),
    /// saltLength 32, trailerField 1 (default, omitted) }, hash AlgorithmIdentifiers with NULL
    /// parameters as RFC 4055 §2.1 recommends.
    public static let pssSHA256Parameters: [UInt8] = {
        func sha256(_ s: inout DER.Serializer) throws {
            try s.appendConstructedNode(identifier: .sequence) { id in
                try id.serialize(try ASN1ObjectIdentifier(dotRepresentation: sha256OID))
                try id.serialize(ASN1Null())
            }
        }
        var s = DER.Serializer()
        // Constant input: the serializer cannot fail on it.
        // swift-format-ignore: NeverUseForceTry
        try! s.appendConstructedNode(identifier: .sequence) { params in
            try params.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) {
                try sha256(&$0)
            }
            try params.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)) {
                try $0.appendConstructedNode(identifier: .sequence) { mgf in
                    try mgf.serialize(try ASN1ObjectIdentifier(dotRepresentation: mgf1OID))
                    try sha256(&mgf)
                }
            }
            try params.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific)) {
                try $0.serialize(32)
            }
        }
        return s.serializedBytes
    }()

    /// Whether a credential whose `key.algo` lists `keyAlgorithms` can make this signature. A
    /// service may list key algorithms (rsaEncryption, id-ecPublicKey) or signature algorithms.
    public func isOffered(by keyAlgorithms: [String]) -> Bool {
        if keyAlgorithms.contains(oid) { return true }
        switch self {
        case .rsaPKCS1SHA256, .rsaPSSSHA256:
            return keyAlgorithms.contains(Self.rsaEncryptionOID)
        case .ecdsaSHA256:
            return keyAlgorithms.contains(Self.ecPublicKeyOID)
        }
    }
}

/// ECDSA signatures as CMS carries them: DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s
/// INTEGER }`. Many services answer the raw `r || s` (IEEE P1363) instead.
public enum ECDSASignatureForm {
    /// `signature` as DER: unchanged when it already is a DER SEQUENCE of two INTEGERs, converted
    /// when it is raw `r || s` (an even length up to 132 bytes); `nil` when it is neither.
    public static func der(_ signature: [UInt8]) -> [UInt8]? {
        if isDER(signature) { return signature }
        guard !signature.isEmpty, signature.count % 2 == 0, signature.count <= 132 else { return nil }
        let half = signature.count / 2
        return derEncode(r: signature[..<half], s: signature[half...])
    }

    /// The raw `r || s` form of a DER signature, each half `size` bytes.
    public static func raw(_ der: [UInt8], size: Int) -> [UInt8]? {
        guard let (r, s) = integers(der) else { return nil }
        func fixed(_ value: ArraySlice<UInt8>) -> [UInt8]? {
            let trimmed = value.drop { $0 == 0 }
            guard trimmed.count <= size else { return nil }
            return [UInt8](repeating: 0, count: size - trimmed.count) + trimmed
        }
        guard let rFixed = fixed(r), let sFixed = fixed(s) else { return nil }
        return rFixed + sFixed
    }

    static func isDER(_ bytes: [UInt8]) -> Bool {
        integers(bytes) != nil
    }

    private static func integers(_ bytes: [UInt8]) -> (ArraySlice<UInt8>, ArraySlice<UInt8>)? {
        guard let node = try? DER.parse(bytes), node.identifier == .sequence,
            case .constructed(let children) = node.content
        else { return nil }
        let parts = Array(children)
        guard parts.count == 2, parts.allSatisfy({ $0.identifier == .integer }),
            case .primitive(let r) = parts[0].content, case .primitive(let s) = parts[1].content,
            !r.isEmpty, !s.isEmpty
        else { return nil }
        return (r, s)
    }

    private static func derEncode(r: ArraySlice<UInt8>, s: ArraySlice<UInt8>) -> [UInt8] {
        func integer(_ value: ArraySlice<UInt8>) -> [UInt8] {
            var magnitude = Array(value.drop { $0 == 0 })
            if magnitude.isEmpty { magnitude = [0] }
            if magnitude[0] & 0x80 != 0 { magnitude.insert(0, at: 0) }
            return [0x02] + length(magnitude.count) + magnitude
        }
        let body = integer(r) + integer(s)
        return [0x30] + length(body.count) + body
    }

    private static func length(_ count: Int) -> [UInt8] {
        count < 0x80 ? [UInt8(count)] : [0x81, UInt8(count)]
    }
}
