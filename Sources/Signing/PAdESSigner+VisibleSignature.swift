import Common

extension PAdESSigner {
    /// Sign'Stash `visibleSignatureInfo` → a checked plan (nil: invisible). `serviceTemplate` is
    /// the client service's own text for `SERVICE_CUSTOMIZATION` (nil: the built-in one). The
    /// gateway calls this to answer 400 before accepting a document; the signer calls it again.
    public static func visibleSignature(
        _ info: VisibleSignatureInfo?, serviceTemplate: String? = nil
    ) throws(SigningError) -> VisibleSignaturePlan? {
        guard let info else { return nil }
        return try VisibleSignatureParser.plan(info, serviceTemplate: serviceTemplate)
    }

    /// Whether `info` asks for the client service's own template (`SERVICE_CUSTOMIZATION`).
    public static func usesServiceTemplate(_ info: VisibleSignatureInfo?) -> Bool {
        VisibleSignatureParser.present(info?.templateType)?.uppercased() == "SERVICE_CUSTOMIZATION"
    }

    /// Checks a client service's `visibleSignatureTemplate` (client-services-config.json).
    public static func checkServiceTemplate(_ text: String) throws(SigningError) {
        try VisibleSignatureParser.checkTemplate(text, field: "visibleSignatureTemplate")
    }
}
