/// `visibleSignatureInfo` of the client API, with Sign'Stash's names and string formats
/// (docs/api.md "Visible signatures"): where the signature goes (`locationType`,
/// `locationValue`), its size (`area`, `"width=155,height=50"`), what it shows (background,
/// `font` `"color=#000000,size=11,name=arial"`, a template, an image). Carried to the signer as
/// the client sent it; `PAdESSigner.visibleSignature` checks it, in the gateway and again in the
/// signer.
public struct VisibleSignatureInfo: Codable, Sendable, Equatable {
    /// `SIGN_FIELD`, `COORDINATE` or `PLACEHOLDER`.
    public var locationType: String?
    /// The field's name; `page=1,x=70,y=100`; or the placeholder word.
    public var locationValue: String?
    /// `width=155,height=50`, in points.
    public var area: String?
    /// `#RRGGBB`, `RRGGBB` or `transparent`.
    public var areaBackgroundColor: String?
    /// `color=#000000,size=11[,name=arial]`.
    public var font: String?
    /// `ONE_OFF` (the text is `oneOffTemplate`) or `SERVICE_CUSTOMIZATION` (the client service's).
    public var templateType: String?
    public var oneOffTemplate: String?
    /// `IMAGE_PNG` or `IMAGE_JPG`.
    public var imageType: String?
    /// The image, base64.
    public var imageValue: String?

    public init(
        locationType: String? = nil, locationValue: String? = nil, area: String? = nil,
        areaBackgroundColor: String? = nil, font: String? = nil, templateType: String? = nil,
        oneOffTemplate: String? = nil, imageType: String? = nil, imageValue: String? = nil
    ) {
        self.locationType = locationType
        self.locationValue = locationValue
        self.area = area
        self.areaBackgroundColor = areaBackgroundColor
        self.font = font
        self.templateType = templateType
        self.oneOffTemplate = oneOffTemplate
        self.imageType = imageType
        self.imageValue = imageValue
    }
}
