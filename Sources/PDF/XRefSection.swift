/// One entry of a cross-reference section.
enum XRefEntry: Sendable {
    case free
    case offset(Int, gen: Int)
    case compressed(stream: Int, index: Int)
}

enum XRefKind: Sendable {
    case table
    case stream
}

/// One cross-reference section (a classic table with its trailer, or an xref stream).
struct XRefSection {
    var kind: XRefKind
    var entries: [Int: XRefEntry] = [:]
    var trailer: PDFDict
    var prev: Int? { trailer["Prev"]?.int }

    /// Largest generation number (§7.5.4).
    static let maxGeneration = 65_535

    /// Parses a classic table starting at `pos` (which points at the `xref` keyword). Object
    /// numbers stay below `limits.maxObjects`; offsets are checked against the file when used.
    static func parseTable(_ bytes: [UInt8], at pos: Int, limits: PDFLimits) throws -> XRefSection {
        let maxObjects = limits.maxObjects
        var lexer = PDFLexer(bytes, at: pos)
        guard case .keyword("xref") = try lexer.next() else { throw PDFError.badXref("no xref keyword") }
        var entries: [Int: XRefEntry] = [:]
        while true {
            let save = lexer.pos
            let token = try lexer.next()
            if case .keyword("trailer") = token { break }
            guard case .int(let first) = token, case .int(let count) = try lexer.next(),
                first >= 0, count >= 0, first <= maxObjects, count <= maxObjects - first
            else {
                lexer.pos = save
                throw PDFError.badXref("bad xref subsection header at \(save)")
            }
            for i in 0..<count {
                guard case .int(let offset) = try lexer.next(), case .int(let gen) = try lexer.next(),
                    case .keyword(let kind) = try lexer.next(), kind == "n" || kind == "f", offset >= 0,
                    (0...maxGeneration).contains(gen)
                else { throw PDFError.badXref("bad xref entry for object \(first + i)") }
                let num = first + i
                if entries[num] == nil {
                    entries[num] = kind == "n" && offset > 0 ? .offset(offset, gen: gen) : .free
                }
            }
        }
        var parser = PDFParser(bytes, at: lexer.pos, maxDepth: limits.maxObjectDepth)
        guard case .dict(let trailer)? = try parser.parseObject() else {
            throw PDFError.badXref("xref table without trailer dictionary")
        }
        return XRefSection(kind: .table, entries: entries, trailer: trailer)
    }

    /// Parses an xref stream object (its dictionary is also the trailer); `decode` decodes its
    /// data within the document's budget.
    static func parseStream(
        _ object: PDFObject, limits: PDFLimits, decode: (PDFStream) throws -> [UInt8]
    ) throws -> XRefSection {
        let maxObjects = limits.maxObjects
        guard let stream = object.stream, stream.dict["Type"]?.name == "XRef" else {
            throw PDFError.badXref("startxref does not point at an xref table or stream")
        }
        let dict = stream.dict
        guard let w = dict["W"]?.array?.compactMap(\.int), w.count == 3, w.allSatisfy({ (0...8).contains($0) })
        else { throw PDFError.badXref("xref stream with bad /W") }
        guard let size = dict["Size"]?.int, size >= 0, size <= maxObjects else {
            throw PDFError.badXref("xref stream with bad /Size")
        }
        var index: [Int] = [0, size]
        if let idx = dict["Index"]?.array {
            index = idx.compactMap(\.int)
            guard index.count == idx.count, index.count % 2 == 0 else {
                throw PDFError.badXref("xref stream with bad /Index")
            }
        }
        let data: [UInt8]
        do {
            data = try decode(stream)
        } catch let error as PDFError where error.isTooComplex {
            throw error
        } catch {
            throw PDFError.badXref("undecodable xref stream")
        }
        let rowSize = w[0] + w[1] + w[2]
        guard rowSize > 0 else { throw PDFError.badXref("xref stream with empty /W") }
        var entries: [Int: XRefEntry] = [:]
        var row = 0
        for pair in stride(from: 0, to: index.count, by: 2) {
            let first = index[pair]
            let count = index[pair + 1]
            guard first >= 0, count >= 0, first <= maxObjects, count <= maxObjects - first else {
                throw PDFError.badXref("xref stream with bad /Index range")
            }
            for i in 0..<count {
                let start = row * rowSize
                guard start + rowSize <= data.count else { throw PDFError.badXref("xref stream too short") }
                row += 1
                var fields: [UInt64] = []
                var p = start
                for width in w {
                    var v: UInt64 = 0
                    for _ in 0..<width {
                        v = v << 8 | UInt64(data[p])
                        p += 1
                    }
                    fields.append(v)
                }
                let type = w[0] == 0 ? 1 : fields[0]
                let num = first + i
                guard entries[num] == nil else { continue }
                // Field values are unsigned and up to 8 bytes: convert only what fits.
                let second = Int(exactly: fields[1])
                let third = Int(exactly: fields[2])
                switch type {
                case 0: entries[num] = .free
                case 1:
                    guard let offset = second, let gen = third, gen <= maxGeneration else {
                        throw PDFError.badXref("xref stream entry for object \(num) out of range")
                    }
                    entries[num] = offset > 0 ? .offset(offset, gen: gen) : .free
                case 2:
                    guard let stream = second, stream < maxObjects, let index = third, index < maxObjects else {
                        throw PDFError.badXref("xref stream entry for object \(num) out of range")
                    }
                    entries[num] = .compressed(stream: stream, index: index)
                default: continue  // unknown types are to be ignored (§7.5.8.3)
                }
            }
        }
        return XRefSection(kind: .stream, entries: entries, trailer: dict)
    }
}
