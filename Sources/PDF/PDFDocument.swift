/// A parsed PDF, enough for an incremental update: the merged cross-reference (newest entry
/// wins), the newest trailer and lazy, cached object access.
///
/// Not `Sendable`: one document belongs to one `PDFSigner.prepare` call.
final class PDFDocument {
    let bytes: [UInt8]
    /// Offset of `%PDF-` (junk before the header is allowed).
    let headerOffset: Int
    /// Added to every offset stored in the file to get an index into `bytes`: 0 normally,
    /// `headerOffset` for files whose offsets count from the header.
    private(set) var offsetDelta = 0
    /// The value after the last `startxref`, as written in the file.
    let startxref: Int
    /// Kind of the newest section (the update writes the same kind).
    private(set) var lastKind: XRefKind = .table
    private(set) var xref: [Int: XRefEntry] = [:]
    private(set) var trailer = PDFDict()
    private(set) var version: String

    var cache: [Int: PDFObject] = [:]
    var objectStreams: [Int: ObjectStream] = [:]
    var resolving: Set<Int> = []
    var headerIndex: [PDFRef: [Int]]?

    static let maxSections = 512

    init(bytes: [UInt8]) throws {
        self.bytes = bytes
        guard bytes.contains(where: { !PDFBytes.isWhitespace($0) }) else {
            throw PDFError.empty("the document is empty")
        }
        guard let header = ByteSearch.find(Array("%PDF-".utf8), in: bytes, from: 0, to: min(bytes.count, 1024 + 5))
        else { throw PDFError.notAPDF("no %PDF- header in the first 1024 bytes") }
        headerOffset = header
        let versionBytes = bytes[(header + 5)..<min(bytes.count, header + 8)]
        version = String(decoding: versionBytes, as: UTF8.self)
        guard let sx = ByteSearch.findLast(Array("startxref".utf8), in: bytes) else {
            throw PDFError.truncated("no startxref (file truncated?)")
        }
        var lexer = PDFLexer(bytes, at: sx + 9)
        guard case .int(let value) = try? lexer.next() else { throw PDFError.truncated("startxref without offset") }
        guard ByteSearch.find(Array("%%EOF".utf8), in: bytes, from: lexer.pos) != nil else {
            throw PDFError.truncated("no %%EOF after the last startxref (file truncated?)")
        }
        guard value >= 0, value < sx else { throw PDFError.truncated("startxref \(value) points beyond the data") }
        startxref = value
        try loadSections()
        if trailer["Encrypt"] != nil { throw PDFError.encrypted("the document is encrypted") }
        guard trailer["Root"]?.ref != nil else { throw PDFError.malformed("trailer without /Root reference") }
    }

    /// Walks the /Prev chain from `startxref`, merging entries newest first.
    private func loadSections() throws {
        var visited: Set<Int> = []
        var next: Int? = startxref
        var first = true
        while let offset = next {
            guard visited.insert(offset).inserted else { throw PDFError.badXref("/Prev chain has a cycle") }
            guard visited.count <= Self.maxSections else { throw PDFError.badXref("too many xref sections") }
            let section = try readSection(fileOffset: offset, first: first)
            if first {
                trailer = section.trailer
                lastKind = section.kind
                first = false
            }
            for (num, entry) in section.entries where xref[num] == nil { xref[num] = entry }
            next = section.prev
            if let p = next, p < 0 || p + offsetDelta >= bytes.count {
                throw PDFError.badXref("/Prev \(p) points outside the file")
            }
        }
    }

    /// Reads the section at a file offset. The first section fixes the offset convention
    /// (absolute, or counted from a header preceded by junk); a pointer that lands on the
    /// whitespace before the section, or is off by a few bytes with exactly one section start
    /// nearby, is tolerated. Exact hits are preferred so the convention is never mistaken.
    private func readSection(fileOffset: Int, first: Bool) throws -> XRefSection {
        let deltas = first ? [0, headerOffset] : [offsetDelta, offsetDelta == 0 ? headerOffset : 0]
        var candidates: [(position: Int, exact: Bool, delta: Int?)] = []
        for exact in [true, false] {
            for delta in deltas { candidates.append((fileOffset + delta, exact, delta)) }
        }
        // A repaired pointer says nothing about the offset convention: keep the current one.
        candidates += nearbySectionStarts(around: fileOffset + offsetDelta).map { ($0, true, nil) }
        var firstError: Error?
        for candidate in candidates {
            guard let kind = sectionKind(at: candidate.position, exact: candidate.exact) else { continue }
            do {
                let section = try readSection(kind, at: candidate.position, delta: candidate.delta ?? offsetDelta)
                if first, let delta = candidate.delta { offsetDelta = delta }
                return section
            } catch {
                // An object header that is not an xref stream: try the other candidates.
                if firstError == nil { firstError = error }
            }
        }
        throw firstError ?? PDFError.badXref("offset \(fileOffset) does not point at an xref table or stream")
    }

    private func readSection(_ kind: XRefKind, at position: Int, delta: Int) throws -> XRefSection {
        switch kind {
        case .stream:
            return try readXRefStream(at: position)
        case .table:
            var section = try XRefSection.parseTable(bytes, at: position)
            if let stm = section.trailer["XRefStm"]?.int {  // hybrid file
                if let hidden = try? readXRefStream(at: stm + delta) {
                    for (num, entry) in hidden.entries {
                        if case .free? = section.entries[num] { section.entries[num] = entry }
                        if section.entries[num] == nil { section.entries[num] = entry }
                    }
                }
            }
            return section
        }
    }

    private func sectionKind(at position: Int, exact: Bool) -> XRefKind? {
        guard position >= 0, position < bytes.count else { return nil }
        if exact, !(bytes[position] == UInt8(ascii: "x") || (0x30...0x39).contains(bytes[position])) { return nil }
        var lexer = PDFLexer(bytes, at: position)
        switch try? lexer.next() {
        case .keyword("xref")?: return .table
        case .int?:
            guard case .int? = try? lexer.next(), case .keyword("obj")? = try? lexer.next() else { return nil }
            return .stream
        default: return nil
        }
    }

    /// A section start within 64 bytes of a damaged pointer, accepted only when unique.
    private func nearbySectionStarts(around offset: Int) -> [Int] {
        let low = max(0, offset - 64)
        let high = min(bytes.count, offset + headerOffset + 68)
        var found: [Int] = []
        var i = low
        while let hit = ByteSearch.find(Array("xref".utf8), in: bytes, from: i, to: high) {
            let isStart = hit == 0 || !PDFBytes.isRegular(bytes[hit - 1])
            if isStart, hit + 4 < bytes.count, !PDFBytes.isRegular(bytes[hit + 4]) { found.append(hit) }
            i = hit + 4
        }
        return found.count == 1 ? found : []
    }

    private func readXRefStream(at position: Int) throws -> XRefSection {
        var parser = PDFParser(bytes, at: position)
        let object = try parser.parseIndirectObject(length: { _ in nil })
        return try XRefSection.parseStream(object.object)
    }

    /// The next free object number for new objects.
    var nextObjectNumber: Int {
        let size = trailer["Size"]?.int ?? 0
        return max(size, (xref.keys.max() ?? 0) + 1, 1)
    }
}
