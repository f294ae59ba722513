/// A leaf of the page tree with its inheritable attributes resolved.
struct PDFPage {
    let ref: PDFRef
    let dict: PDFDict
    /// [llx lly urx ury], normalized so llx <= urx and lly <= ury.
    let mediaBox: [Double]
    let resources: PDFDict
    /// /Rotate (inheritable), normalized to 0, 90, 180 or 270 degrees clockwise.
    var rotation: Int = 0

    /// The page's size as a viewer shows it (width and height swap at 90 and 270 degrees).
    var displayedSize: (width: Double, height: Double) {
        let width = mediaBox[2] - mediaBox[0]
        let height = mediaBox[3] - mediaBox[1]
        return rotation % 180 == 0 ? (width, height) : (height, width)
    }

    /// Maps a rectangle given on the page as displayed (origin at the displayed lower-left corner)
    /// to default user space, where /Rect lives.
    func userSpaceRect(x: Double, y: Double, width w: Double, height h: Double) -> [Double] {
        let (llx, lly, urx, ury) = (mediaBox[0], mediaBox[1], mediaBox[2], mediaBox[3])
        switch rotation {
        case 90: return [urx - y - h, lly + x, urx - y, lly + x + w]
        case 180: return [urx - x - w, ury - y - h, urx - x, ury - y]
        case 270: return [llx + y, ury - x - w, llx + y + h, ury - x]
        default: return [llx + x, lly + y, llx + x + w, lly + y + h]
        }
    }
}

/// Flattens the /Pages tree in document order with cycle detection, bounded depth and node
/// count (`PDFLimits`). /Count is not used: the tree itself is walked.
struct PDFPageTree {
    let pages: [PDFPage]

    init(document: PDFDocument, catalog: PDFDict) throws {
        guard let root = catalog["Pages"]?.ref else {
            throw PDFError.malformed("catalog without /Pages reference")
        }
        var walker = Walker(document: document)
        try walker.walk(root, inherited: Inherited(), depth: 0)
        pages = walker.pages
    }

    private struct Inherited {
        var mediaBox: [Double]?
        var resources: PDFObject?
        var rotation: Int?
    }

    private struct Walker {
        let document: PDFDocument
        var pages: [PDFPage] = []
        var visited: Set<Int> = []

        mutating func walk(_ ref: PDFRef, inherited: Inherited, depth: Int) throws {
            let limits = document.limits
            guard depth < limits.maxPageTreeDepth else {
                throw PDFError.tooComplex("page tree deeper than \(limits.maxPageTreeDepth)")
            }
            guard visited.insert(ref.num).inserted else { throw PDFError.malformed("page tree has a cycle") }
            guard visited.count <= limits.maxPageTreeNodes else {
                throw PDFError.tooComplex("page tree with more than \(limits.maxPageTreeNodes) nodes")
            }
            guard let node = try document.resolveDict(.ref(ref)) else {
                throw PDFError.malformed("page tree node \(ref) is not a dictionary")
            }
            var here = inherited
            if let box = try Self.rectangle(document.resolve(node["MediaBox"])) { here.mediaBox = box }
            if let resources = node["Resources"] { here.resources = resources }
            if let degrees = try document.resolve(node["Rotate"]).int { here.rotation = ((degrees % 360) + 360) % 360 }
            let kids = try document.resolveArray(node["Kids"])
            let type = try document.resolve(node["Type"]).name
            guard type == nil || type == "Page" || type == "Pages" else {
                throw PDFError.malformed("page tree node \(ref) has /Type /\(type ?? "")")
            }
            if type == "Page" || (type == nil && kids == nil) {
                let box = here.mediaBox ?? [0, 0, 612, 792]
                let resources = try document.resolveDict(here.resources) ?? PDFDict()
                let rotation = here.rotation.map { $0 % 90 == 0 ? $0 : 0 } ?? 0
                pages.append(PDFPage(ref: ref, dict: node, mediaBox: box, resources: resources, rotation: rotation))
                return
            }
            for kid in kids ?? [] {
                guard let kidRef = kid.ref else { throw PDFError.malformed("page tree kid is not a reference") }
                try walk(kidRef, inherited: here, depth: depth + 1)
            }
        }

        static func rectangle(_ object: PDFObject) throws -> [Double]? {
            guard let a = object.array, a.count == 4 else { return nil }
            let n = a.compactMap(\.number)
            guard n.count == 4 else { return nil }
            return [min(n[0], n[2]), min(n[1], n[3]), max(n[0], n[2]), max(n[1], n[3])]
        }
    }
}
