/// A terminal form field (§12.7.3) with its inherited type and its widget annotations.
struct PDFFormField {
    let ref: PDFRef
    let dict: PDFDict
    let fullName: String
    let partialName: String
    let fieldType: String?
    /// The widget annotations: the field itself when merged, else its /Kids without /T.
    let widgets: [PDFRef]
}

/// Walks /AcroForm /Fields (and /Kids) with cycle detection and bounded depth.
struct PDFFormFields {
    private(set) var fields: [PDFFormField] = []
    private(set) var names: Set<String> = []
    private var visited: Set<Int> = []

    init(document: PDFDocument, acroForm: PDFDict?) throws {
        guard let top = try document.resolveArray(acroForm?["Fields"]) else { return }
        for item in top {
            guard let ref = item.ref else { continue }
            try walk(document, ref, parentName: nil, inheritedType: nil, depth: 0)
        }
    }

    private mutating func walk(
        _ document: PDFDocument, _ ref: PDFRef, parentName: String?, inheritedType: String?, depth: Int
    ) throws {
        let limits = document.limits
        guard depth < limits.maxFieldDepth else {
            throw PDFError.tooComplex("form field tree deeper than \(limits.maxFieldDepth)")
        }
        guard visited.insert(ref.num).inserted else { return }
        guard visited.count <= limits.maxFields else {
            throw PDFError.tooComplex("more than \(limits.maxFields) form fields")
        }
        guard let dict = try document.resolveDict(.ref(ref)) else { return }
        let partial = try document.resolve(dict["T"]).stringBytes.map(Self.text) ?? ""
        let fullName = [parentName, partial.isEmpty ? nil : partial].compactMap { $0 }.joined(separator: ".")
        if !partial.isEmpty { names.insert(partial) }
        if !fullName.isEmpty { names.insert(fullName) }
        let type = try document.resolve(dict["FT"]).name ?? inheritedType
        let kids = (try document.resolveArray(dict["Kids"]) ?? []).compactMap(\.ref)
        var widgets: [PDFRef] = []
        var childFields: [PDFRef] = []
        for kid in kids {
            guard let kidDict = try document.resolveDict(.ref(kid)) else { continue }
            if kidDict["T"] == nil && (kidDict["Subtype"]?.name == "Widget" || kidDict["Rect"] != nil) {
                widgets.append(kid)
            } else {
                childFields.append(kid)
            }
        }
        if childFields.isEmpty {
            if kids.isEmpty { widgets = [ref] }
            fields.append(
                PDFFormField(
                    ref: ref, dict: dict, fullName: fullName, partialName: partial, fieldType: type,
                    widgets: widgets))
        }
        for child in childFields {
            try walk(
                document, child, parentName: fullName.isEmpty ? nil : fullName, inheritedType: type, depth: depth + 1)
        }
    }

    /// A field by full or partial name.
    func field(named name: String) -> PDFFormField? {
        fields.first { $0.fullName == name } ?? fields.first { $0.partialName == name }
    }

    /// "Signature1", "Signature2", … : the first name no field uses.
    func uniqueSignatureName() -> String {
        var i = 1
        while names.contains("Signature\(i)") { i += 1 }
        return "Signature\(i)"
    }

    /// Decodes a text string: UTF-16BE with BOM, UTF-8 with BOM, else byte-per-character.
    static func text(_ bytes: [UInt8]) -> String {
        if bytes.count >= 2, bytes[0] == 0xFE, bytes[1] == 0xFF {
            var units: [UInt16] = []
            var i = 2
            while i + 1 < bytes.count {
                units.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
                i += 2
            }
            return String(decoding: units, as: UTF16.self)
        }
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            return String(decoding: bytes.dropFirst(3), as: UTF8.self)
        }
        return String(String.UnicodeScalarView(bytes.map { UnicodeScalar($0) }))
    }
}
