/// Parses objects and indirect objects from bytes. Nesting is bounded (`maxDepth`,
/// `PDF_TOO_COMPLEX` beyond) so hostile input cannot exhaust the stack.
struct PDFParser {
    var lexer: PDFLexer
    let maxDepth: Int

    init(_ bytes: [UInt8], at pos: Int = 0, end: Int? = nil, maxDepth: Int = PDFLimits().maxObjectDepth) {
        lexer = PDFLexer(bytes, at: pos, end: end)
        self.maxDepth = maxDepth
    }

    /// Parses one object; returns nil at end of input.
    mutating func parseObject(depth: Int = 0) throws -> PDFObject? {
        let token = try lexer.next()
        return try object(from: token, depth: depth)
    }

    /// Parses an object starting with an already read token.
    mutating func object(from token: PDFToken, depth: Int) throws -> PDFObject? {
        guard depth < maxDepth else { throw PDFError.tooComplex("objects nested more than \(maxDepth) deep") }
        switch token {
        case .eof: return nil
        case .int(let n): return try intOrRef(n)
        case .real(let r): return .real(r)
        case .name(let n): return .name(n)
        case .string(let s): return .string(s)
        case .hexString(let s): return .hexString(s)
        case .arrayOpen:
            var items: [PDFObject] = []
            while true {
                let t = try lexer.next()
                if case .arrayClose = t { return .array(items) }
                guard let item = try object(from: t, depth: depth + 1) else {
                    throw PDFError.malformed("unterminated array")
                }
                items.append(item)
            }
        case .dictOpen:
            var dict = PDFDict()
            while true {
                let t = try lexer.next()
                if case .dictClose = t { return .dict(dict) }
                guard case .name(let key) = t else {
                    throw PDFError.malformed("dictionary key is not a name near \(lexer.pos)")
                }
                let valueToken = try lexer.next()
                if case .dictClose = valueToken {  // tolerate a key without value
                    return .dict(dict)
                }
                guard let value = try object(from: valueToken, depth: depth + 1) else {
                    throw PDFError.malformed("unterminated dictionary")
                }
                if case .null = value { continue }
                dict[key] = value
            }
        case .keyword(let k):
            switch k {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default: throw PDFError.malformed("unexpected keyword '\(k.prefix(20))'")
            }
        case .arrayClose, .dictClose:
            throw PDFError.malformed("unexpected closing delimiter")
        }
    }

    /// After an integer, looks ahead for `gen R`.
    private mutating func intOrRef(_ n: Int) throws -> PDFObject {
        let saved = lexer.pos
        if case .int(let gen) = try? lexer.next(), case .keyword("R") = try? lexer.next(),
            n >= 0, gen >= 0
        {
            return .ref(PDFRef(num: n, gen: gen))
        }
        lexer.pos = saved
        return .int(n)
    }
}

/// An indirect object as found in the file.
struct IndirectObject {
    let ref: PDFRef
    let object: PDFObject
}

extension PDFParser {
    /// Whether `num gen obj` with this object number starts at the lexer position (which stays).
    func atObjectHeader(number: Int) -> Bool {
        var probe = lexer
        guard case .int(let num)? = try? probe.next(), case .int? = try? probe.next(),
            case .keyword("obj")? = try? probe.next()
        else { return false }
        return num == number
    }

    /// Parses `num gen obj … endobj` at the lexer position. `length` resolves an indirect
    /// stream /Length (returns nil when it cannot, then `endstream` is searched instead).
    mutating func parseIndirectObject(length: (PDFRef) throws -> Int?) throws -> IndirectObject {
        guard case .int(let num) = try lexer.next(), case .int(let gen) = try lexer.next(),
            case .keyword("obj") = try lexer.next(), num >= 0, (0...XRefSection.maxGeneration).contains(gen)
        else { throw PDFError.malformed("no object header at \(lexer.pos)") }
        let ref = PDFRef(num: num, gen: gen)
        guard let object = try parseObject() else { throw PDFError.malformed("empty object \(ref)") }
        guard case .dict(let dict) = object else { return IndirectObject(ref: ref, object: object) }
        let afterDict = lexer.pos
        guard case .keyword("stream") = try? lexer.next() else {
            lexer.pos = afterDict
            return IndirectObject(ref: ref, object: object)
        }
        // The stream keyword is followed by CRLF or LF (tolerate a lone CR or spaces).
        while lexer.peekByte() == 0x20 { lexer.pos += 1 }
        if lexer.peekByte() == 0x0D { lexer.pos += 1 }
        if lexer.peekByte() == 0x0A { lexer.pos += 1 }
        let dataStart = lexer.pos
        var declared: Int?
        switch dict["Length"] {
        case .int(let n)?: declared = n
        case .ref(let r)?: declared = try length(r)
        default: declared = nil
        }
        let dataEnd = try streamEnd(dataStart: dataStart, declared: declared)
        let data = Array(lexer.bytes[dataStart..<dataEnd])
        lexer.pos = dataEnd
        if case .keyword("endstream") = try? lexer.next() {
        } else {
            lexer.pos = dataEnd
            try skipPast("endstream")
        }
        return IndirectObject(ref: ref, object: .stream(PDFStream(dict: dict, data: data)))
    }

    private func streamEnd(dataStart: Int, declared: Int?) throws -> Int {
        let bytes = lexer.bytes
        if let n = declared, n >= 0, n <= lexer.end - dataStart {
            var probe = PDFLexer(bytes, at: dataStart + n, end: lexer.end)
            if case .keyword("endstream") = try? probe.next() { return dataStart + n }
        }
        // /Length missing or wrong: find "endstream" and drop the EOL before it.
        guard let found = ByteSearch.find(Array("endstream".utf8), in: bytes, from: dataStart, to: lexer.end)
        else { throw PDFError.malformed("stream without endstream") }
        var e = found
        if e > dataStart, bytes[e - 1] == 0x0A { e -= 1 }
        if e > dataStart, bytes[e - 1] == 0x0D { e -= 1 }
        return e
    }

    private mutating func skipPast(_ keyword: String) throws {
        let k = Array(keyword.utf8)
        guard let found = ByteSearch.find(k, in: lexer.bytes, from: lexer.pos, to: lexer.end) else {
            throw PDFError.malformed("missing \(keyword)")
        }
        lexer.pos = found + k.count
    }
}
