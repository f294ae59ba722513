import SwiftASN1

/// The signature algorithms Signet writes into SignerInfo.
public enum SignatureAlgorithm: Sendable, Equatable {
    case rsaPKCS1SHA256
    case ecdsaSHA256

    var oid: ASN1ObjectIdentifier {
        switch self {
        case .rsaPKCS1SHA256: OID.sha256WithRSAEncryption
        case .ecdsaSHA256: OID.ecdsaWithSHA256
        }
    }

    func serialize(into s: inout DER.Serializer) throws {
        try s.appendConstructedNode(identifier: .sequence) { algorithm in
            try algorithm.serialize(oid)
            // RSA algorithm identifiers carry explicit NULL parameters; ECDSA ones have none.
            if self == .rsaPKCS1SHA256 { try algorithm.serialize(ASN1Null()) }
        }
    }
}
