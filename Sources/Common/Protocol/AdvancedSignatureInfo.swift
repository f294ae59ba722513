/// `advancedSignatureInfo` of the client API (XML only, docs/api.md "XAdES"): where the
/// enveloped signature goes and how the document reference is transformed. Carried to the signer
/// as the client sent it; `XAdESOptions` checks it, in the gateway and again in the signer.
public struct AdvancedSignatureInfo: Codable, Sendable, Equatable {
    /// The name of the element that receives the signature as its last child (the first match
    /// in document order, by name as written or by local name); absent: the document element.
    public var signatureLocation: String?
    /// `ENVELOPED` (default), `XPATH` or `XPATH2_FILTER`.
    public var signatureTransform: String?
    /// `EXCLUSIVE` (default) or `EXCLUSIVE_WITH_COMMENTS`.
    public var canonicalTransform: String?

    public init(signatureLocation: String? = nil, signatureTransform: String? = nil, canonicalTransform: String? = nil)
    {
        self.signatureLocation = signatureLocation
        self.signatureTransform = signatureTransform
        self.canonicalTransform = canonicalTransform
    }
}
