/// Rewrites of existing objects that the signature needs: the page's /Annots and the /AcroForm.
/// Indirect arrays and dictionaries are rewritten in place (same object number) so that the
/// rest of the document is untouched.
enum FormUpdate {
    static func addAnnotation(
        _ annot: PDFRef, to page: PDFPage, document: PDFDocument, writer: inout IncrementalWriter
    ) throws {
        var pageDict = writer.pending(page.ref)?.dict ?? page.dict
        switch pageDict["Annots"] {
        case .ref(let r)?:
            if let array = try document.resolveArray(.ref(r)) {
                let current = writer.pending(r)?.array ?? array
                writer.set(r, .array(current + [.ref(annot)]))
                return
            }
            pageDict["Annots"] = .array([.ref(annot)])
        case .array(let a)?:
            pageDict["Annots"] = .array(a + [.ref(annot)])
        default:
            pageDict["Annots"] = .array([.ref(annot)])
        }
        writer.set(page.ref, .dict(pageDict))
    }

    static func updateAcroForm(
        catalog: PDFDict, rootRef: PDFRef, newField: PDFRef?, document: PDFDocument,
        writer: inout IncrementalWriter
    ) throws {
        let entry = catalog["AcroForm"]
        let existing = try document.resolveDict(entry)
        var form = existing ?? PDFDict()
        if let newField {
            switch form["Fields"] {
            case .ref(let r)? where try document.resolveArray(.ref(r)) != nil:
                let array = try document.resolveArray(.ref(r)) ?? []
                writer.set(r, .array(array + [.ref(newField)]))
            case .array(let a)?:
                form["Fields"] = .array(a + [.ref(newField)])
            default:
                form["Fields"] = .array([.ref(newField)])
            }
        }
        let flags = (try document.resolve(form["SigFlags"]).int ?? 0) | 3
        form["SigFlags"] = .int(flags)
        if let ref = entry?.ref, existing != nil {
            writer.set(ref, .dict(form))
        } else {
            var newCatalog = catalog
            newCatalog["AcroForm"] = .dict(form)
            writer.set(rootRef, .dict(newCatalog))
        }
    }
}
