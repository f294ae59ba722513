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

    let limits: PDFLimits
    /// Bytes decoded from streams so far, against `limits.maxDecodedBytes`.
    private(set) var decodedBytes = 0

    var cache: [Int: PDFObject] = [:]
    var objectStreams: [Int: ObjectStream] = [:]
    var resolving: Set<Int> = []

    init(bytes: [UInt8], limits: PDFLimits = PDFLimits()) throws {
        self.bytes = bytes
        self.limits = limits
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
            guard visited.count <= limits.maxXRefSections else {
                throw PDFError.tooComplex("more than \(limits.maxXRefSections) xref sections")
            }
            let section = try readSection(fileOffset: offset, first: first)
            if let size = section.trailer["Size"], !(size.int.map { (0...limits.maxObjects).contains($0) } ?? false) {
                throw PDFError.badXref("trailer /Size must be an integer in 0...\(limits.maxObjects)")
            }
            if first {
                trailer = section.trailer
                lastKind = section.kind
                first = false
            }
            for (num, entry) in section.entries where xref[num] == nil { xref[num] = entry }
            switch section.trailer["Prev"] {
            case nil: next = nil
            case .int(let p)? where position(p) != nil: next = p
            case .int(let p)?: throw PDFError.badXref("/Prev \(p) points outside the file")
            case _?: throw PDFError.badXref("/Prev is not an integer")
            }
        }
    }

    /// The index into `bytes` of an offset stored in the file, nil when outside the file
    /// (checked before any arithmetic, so no offset can overflow).
    func position(_ offset: Int, delta: Int? = nil) -> Int? {
        let delta = delta ?? offsetDelta
        guard offset >= 0, offset < bytes.count - delta else { return nil }
        return offset + delta
    }

    /// Reads the section at a file offset, which must point exactly at `xref` or at the
    /// `num gen obj` of an xref stream: strict readers (pyHanko) refuse anything else, so a
    /// damaged pointer is refused rather than repaired. The first section fixes the offset
    /// convention (absolute, or counted from a header preceded by junk).
    private func readSection(fileOffset: Int, first: Bool) throws -> XRefSection {
        let deltas = first ? [0, headerOffset] : [offsetDelta]
        var firstError: Error?
        for delta in deltas {
            guard let position = position(fileOffset, delta: delta), let kind = sectionKind(at: position) else {
                continue
            }
            do {
                let section = try readSection(kind, at: position, delta: delta)
                if first { offsetDelta = delta }
                return section
            } catch let error as PDFError where error.isTooComplex {
                throw error
            } catch {
                // An object header that is not an xref stream: try the other convention.
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
            var section = try XRefSection.parseTable(bytes, at: position, limits: limits)
            if let stm = section.trailer["XRefStm"]?.int {  // hybrid file
                guard let at = self.position(stm, delta: delta) else {
                    throw PDFError.badXref("/XRefStm \(stm) points outside the file")
                }
                let hidden: XRefSection
                do {
                    hidden = try readXRefStream(at: at)
                } catch let error as PDFError where error.isTooComplex {
                    throw error
                } catch {
                    return section  // readers without xref stream support ignore it too
                }
                for (num, entry) in hidden.entries {
                    if case .free? = section.entries[num] { section.entries[num] = entry }
                    if section.entries[num] == nil { section.entries[num] = entry }
                }
            }
            return section
        }
    }

    private func sectionKind(at position: Int) -> XRefKind? {
        guard position >= 0, position < bytes.count,
            bytes[position] == UInt8(ascii: "x") || (0x30...0x39).contains(bytes[position])
        else { return nil }
        var lexer = PDFLexer(bytes, at: position)
        switch try? lexer.next() {
        case .keyword("xref")?: return .table
        case .int?:
            guard case .int? = try? lexer.next(), case .keyword("obj")? = try? lexer.next() else { return nil }
            return .stream
        default: return nil
        }
    }

    private func readXRefStream(at position: Int) throws -> XRefSection {
        var parser = PDFParser(bytes, at: position, maxDepth: limits.maxObjectDepth)
        let object = try parser.parseIndirectObject(length: { _ in nil })
        return try XRefSection.parseStream(object.object, limits: limits, decode: { try self.decode($0) })
    }

    /// Decodes a stream within the document's budget (`PDF_TOO_COMPLEX` beyond it).
    func decode(_ stream: PDFStream, allowPartial: Bool = false) throws -> [UInt8] {
        let remaining = limits.maxDecodedBytes - decodedBytes
        let limit = min(limits.maxStreamBytes, remaining)
        do {
            let data = try Flate.decode(stream, limit: limit, allowPartial: allowPartial)
            decodedBytes += data.count
            return data
        } catch let error as PDFError where error.isTooComplex && limit == remaining {
            throw PDFError.tooComplex("the document's streams decode to more than \(limits.maxDecodedBytes) bytes")
        }
    }

    /// The next free object number for new objects.
    var nextObjectNumber: Int {
        let size = trailer["Size"]?.int ?? 0
        return max(size, (xref.keys.max() ?? 0) + 1, 1)
    }
}
