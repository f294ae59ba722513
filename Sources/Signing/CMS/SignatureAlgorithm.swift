import SwiftASN1

/// The signature algorithms Signet writes into SignerInfo, all over SHA-256.
public enum SignatureAlgorithm: Sendable, Equatable {
    /// sha256WithRSAEncryption: RSA with PKCS#1 v1.5 padding.
    case rsaPKCS1SHA256
    /// id-RSASSA-PSS with SHA-256, MGF1 with SHA-256, a 32-byte salt and trailer field 1.
    case rsaPSSSHA256
    /// ecdsa-with-SHA256, for P-256 and P-384 keys; the signature is a DER `ECDSA-Sig-Value`.
    case ecdsaSHA256

    /// RSASSA-PSS uses SHA-256 with a salt as long as the digest (what swift-crypto's `.PSS`
    /// padding signs and verifies).
    public static let pssSaltLength = 32

    /// The AlgorithmIdentifier as SignerInfo.signatureAlgorithm.
    func serialize(into s: inout DER.Serializer) throws {
        try s.appendConstructedNode(identifier: .sequence) { algorithm in
            switch self {
            case .rsaPKCS1SHA256:
                // RSA algorithm identifiers carry explicit NULL parameters.
                try algorithm.serialize(OID.sha256WithRSAEncryption)
                try algorithm.serialize(ASN1Null())
            case .rsaPSSSHA256:
                try algorithm.serialize(OID.rsassaPSS)
                try Self.serializePSSParameters(into: &algorithm)
            case .ecdsaSHA256:
                // ECDSA identifiers have no parameters (RFC 5758).
                try algorithm.serialize(OID.ecdsaWithSHA256)
            }
        }
    }

    /// RSASSA-PSS-params (RFC 4055 §3.1) ::= SEQUENCE {
    ///   hashAlgorithm [0] sha256Identifier, maskGenAlgorithm [1] { id-mgf1, sha256Identifier },
    ///   saltLength [2] 32, trailerField [3] DEFAULT 1 }.
    /// Every field that differs from the SHA-1 defaults is written; the trailer field is 1, its
    /// DEFAULT, which DER leaves out (X.690 §11.5), as RFC 4055's own SHA-256 example does. The hash
    /// identifiers carry NULL parameters, as RFC 4055's `sha256Identifier` does.
    static func serializePSSParameters(into s: inout DER.Serializer) throws {
        try s.appendConstructedNode(identifier: .sequence) { parameters in
            try parameters.appendConstructedNode(identifier: .contextSpecific(0)) {
                try sha256Identifier(into: &$0)
            }
            try parameters.appendConstructedNode(identifier: .contextSpecific(1)) { mask in
                try mask.appendConstructedNode(identifier: .sequence) { mgf in
                    try mgf.serialize(OID.mgf1)
                    try sha256Identifier(into: &mgf)
                }
            }
            try parameters.appendConstructedNode(identifier: .contextSpecific(2)) {
                try $0.serialize(pssSaltLength)
            }
        }
    }

    private static func sha256Identifier(into s: inout DER.Serializer) throws {
        try s.appendConstructedNode(identifier: .sequence) { identifier in
            try identifier.serialize(OID.sha256)
            try identifier.serialize(ASN1Null())
        }
    }
}
