import Foundation

/// What to put into the signature dictionary and where the signature appears.
public struct PDFSignatureRequest: Sendable {
    /// Goes into /M as `D:YYYYMMDDHHmmSS+00'00'`.
    public var signingTime: Date
    public var reason: String?
    public var location: String?
    /// /Name and the visible appearance text.
    public var signerName: String?
    /// Bytes reserved for the DER CMS; the hex hole in /Contents is twice as long.
    public var contentsCapacity: Int
    /// nil = invisible signature (widget /Rect [0 0 0 0]).
    public var visible: VisibleSignature?
    /// What a visible signature shows (ignored for an invisible one).
    public var appearance: SignatureAppearance

    public init(
        signingTime: Date, reason: String? = nil, location: String? = nil, signerName: String? = nil,
        contentsCapacity: Int = 16_384, visible: VisibleSignature? = nil,
        appearance: SignatureAppearance = SignatureAppearance()
    ) {
        self.signingTime = signingTime
        self.reason = reason
        self.location = location
        self.signerName = signerName
        self.contentsCapacity = contentsCapacity
        self.visible = visible
        self.appearance = appearance
    }
}

/// Where a visible signature goes.
public enum VisibleSignature: Sendable, Equatable {
    /// A rectangle on a page (1-based) in default user space units.
    case coordinates(page: Int, x: Double, y: Double, width: Double, height: Double)
    /// An existing empty signature field, by full or partial name.
    case field(name: String)
    /// At the first occurrence of a word in the page text, lower-left corner on its baseline.
    case placeholder(word: String, width: Double, height: Double)
}
