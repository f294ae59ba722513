import Common
import XML

/// What `advancedSignatureInfo` asks of a XAdES signature, checked (docs/signing.md "XAdES").
public struct XAdESOptions: Sendable, Equatable {
    /// How the document reference (`URI=""`) leaves signatures out before canonicalization.
    public enum Transform: String, Sendable, Equatable {
        /// The enveloped-signature transform: this signature is left out.
        case enveloped = "ENVELOPED"
        /// Enveloped, then the XPath transform `not(ancestor-or-self::ds:Signature)`: every
        /// signature is left out, so signatures added later do not break this one.
        case xpath = "XPATH"
        /// Enveloped, then XPath Filter 2.0 `subtract /descendant::ds:Signature`: the same
        /// node-set as `xpath`.
        case xpath2Filter = "XPATH2_FILTER"
    }

    /// The element that receives the signature; nil: the document element.
    public let location: String?
    public let transform: Transform
    /// Exclusive canonicalization, with or without comments, for SignedInfo and the references.
    public let canonicalization: Canonicalization

    public init(
        location: String? = nil, transform: Transform = .enveloped,
        canonicalization: Canonicalization = .exclusive(withComments: false)
    ) {
        self.location = location
        self.transform = transform
        self.canonicalization = canonicalization
    }

    /// The client's `advancedSignatureInfo`; anything it does not know is
    /// `INVALID_ADVANCED_SIGNATURE_INFO`.
    public init(_ info: AdvancedSignatureInfo?) throws(SigningError) {
        func invalid(_ message: String) -> SigningError {
            SigningError(code: "INVALID_ADVANCED_SIGNATURE_INFO", message: message)
        }
        var location = info?.signatureLocation
        if let name = location {
            location = name.isEmpty ? nil : name
            guard name.utf8.count <= 256, !name.contains(where: { $0.isWhitespace || "<>&\"'/".contains($0) }) else {
                throw invalid("signatureLocation: not an element name")
            }
        }
        let transform: Transform
        switch info?.signatureTransform?.uppercased() {
        case nil: transform = .enveloped
        case let name?:
            guard let known = Transform(rawValue: name) else {
                throw invalid("signatureTransform: ENVELOPED, XPATH or XPATH2_FILTER")
            }
            transform = known
        }
        let canonicalization: Canonicalization
        switch info?.canonicalTransform?.uppercased() {
        case nil, "EXCLUSIVE": canonicalization = .exclusive(withComments: false)
        case "EXCLUSIVE_WITH_COMMENTS": canonicalization = .exclusive(withComments: true)
        default: throw invalid("canonicalTransform: EXCLUSIVE or EXCLUSIVE_WITH_COMMENTS")
        }
        self.init(location: location, transform: transform, canonicalization: canonicalization)
    }
}
