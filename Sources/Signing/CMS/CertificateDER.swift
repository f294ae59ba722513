import SwiftASN1

/// The parts of a certificate that CMS copies byte for byte: its whole DER, its issuer Name and
/// its serial number INTEGER, exactly as the certificate encodes them (never re-serialized).
public struct CertificateDER: Sendable, Equatable {
    public let der: [UInt8]
    let issuer: ArraySlice<UInt8>
    let serialNumber: ArraySlice<UInt8>

    public init(der: [UInt8]) throws {
        self.der = der
        let root = try DER.parse(der)
        guard case .constructed(let certificate) = root.content,
            let tbs = certificate.first(where: { _ in true }),
            case .constructed(let tbsFields) = tbs.content
        else { throw SigningError(code: "BAD_CERTIFICATE", message: "certificate is not a SEQUENCE") }
        var fields = Array(tbsFields)
        // [0] EXPLICIT version is optional.
        if let first = fields.first, first.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            fields.removeFirst()
        }
        guard fields.count >= 4, fields[0].identifier == .integer, fields[2].identifier == .sequence else {
            throw SigningError(code: "BAD_CERTIFICATE", message: "unexpected TBSCertificate layout")
        }
        self.serialNumber = fields[0].encodedBytes
        self.issuer = fields[2].encodedBytes
    }
}
