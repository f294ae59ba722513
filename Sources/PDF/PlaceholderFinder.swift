/// Finds the first occurrence of a word in a page's text (§9.4): Flate-decoded content,
/// `Tj`/`TJ`/`'`/`"` with simple fonts, positioned from `Tm`/`Td`/`TD`/`T*` and `cm`.
/// Text that cannot be positioned exactly (unknown widths, CID fonts) makes the position
/// unknown until the next absolute positioning operator; finding the word then is an error,
/// never a guess.
struct PlaceholderFinder {
    let document: PDFDocument
    let word: [UInt8]

    enum Result {
        case found(x: Double, y: Double)
        case notFound
        /// The word occurs but its position cannot be computed exactly.
        case unreliable(String)
    }

    private struct GraphicsState {
        var ctm = Matrix.identity
        var font = TextFont.unknown
        var fontSize = 0.0
        var charSpacing = 0.0
        var wordSpacing = 0.0
        var scale = 1.0
        var leading = 0.0
        var rise = 0.0
    }

    private struct State {
        var gs = GraphicsState()
        var stack: [GraphicsState] = []
        var tm = Matrix.identity
        var tlm = Matrix.identity
        var known = true
    }

    func search(page: PDFPage) throws -> Result {
        let content = try pageContent(page)
        let fonts = try document.resolveDict(page.resources["Font"]) ?? PDFDict()
        var state = State()
        var lexer = PDFLexer(content)
        var operands: [PDFObject] = []
        while true {
            let token: PDFToken
            do { token = try lexer.next() } catch { return .notFound }
            if case .eof = token { return .notFound }
            guard case .keyword(let op) = token, !["true", "false", "null"].contains(op) else {
                var parser = PDFParser(content)
                parser.lexer = lexer
                guard let operand = try? parser.object(from: token, depth: 0) else { return .notFound }
                lexer = parser.lexer
                operands.append(operand)
                if operands.count > 64 { operands.removeFirst() }
                continue
            }
            if op == "BI" { skipInlineImage(&lexer) }
            if let hit = try apply(op, operands, &state, fonts) { return hit }
            operands.removeAll(keepingCapacity: true)
        }
    }

    private func apply(_ op: String, _ args: [PDFObject], _ s: inout State, _ fonts: PDFDict) throws -> Result? {
        let n = args.compactMap(\.number)
        switch op {
        case "q": if s.stack.count < 256 { s.stack.append(s.gs) }
        case "Q": if let g = s.stack.popLast() { s.gs = g }
        case "cm" where n.count == 6: s.gs.ctm = Matrix(n).concatenating(s.gs.ctm)
        case "BT": s.tm = .identity; s.tlm = .identity; s.known = true
        case "Tf" where args.count == 2:
            s.gs.fontSize = n.last ?? 0
            let dict = try args.first?.name.flatMap { try document.resolveDict(fonts[$0]) }
            s.gs.font = try dict.map { try TextFont(document: document, dict: $0) } ?? .unknown
        case "Tc" where n.count == 1: s.gs.charSpacing = n[0]
        case "Tw" where n.count == 1: s.gs.wordSpacing = n[0]
        case "Tz" where n.count == 1: s.gs.scale = n[0] / 100
        case "TL" where n.count == 1: s.gs.leading = n[0]
        case "Ts" where n.count == 1: s.gs.rise = n[0]
        case "Td" where n.count == 2: moveLine(&s, n[0], n[1])
        case "TD" where n.count == 2:
            s.gs.leading = -n[1]
            moveLine(&s, n[0], n[1])
        case "Tm" where n.count == 6:
            s.tm = Matrix(n)
            s.tlm = s.tm
            s.known = true
        case "T*": moveLine(&s, 0, -s.gs.leading)
        case "Tj": return show(args.last?.stringBytes ?? [], &s)
        case "'":
            moveLine(&s, 0, -s.gs.leading)
            return show(args.last?.stringBytes ?? [], &s)
        case "\"" where args.count == 3:
            s.gs.wordSpacing = n.first ?? 0
            s.gs.charSpacing = n.count > 1 ? n[1] : 0
            moveLine(&s, 0, -s.gs.leading)
            return show(args.last?.stringBytes ?? [], &s)
        case "TJ":
            for item in args.last?.array ?? [] {
                if let bytes = item.stringBytes {
                    if let hit = show(bytes, &s) { return hit }
                } else if let adjust = item.number {
                    let tx = -adjust / 1000 * s.gs.fontSize * s.gs.scale
                    s.tm = Matrix.translation(tx, 0).concatenating(s.tm)
                }
            }
        default: break
        }
        return nil
    }

    private func moveLine(_ s: inout State, _ tx: Double, _ ty: Double) {
        s.tlm = Matrix.translation(tx, ty).concatenating(s.tlm)
        s.tm = s.tlm
    }

    /// Shows a string: reports the word if it starts here, then advances the text matrix.
    private func show(_ bytes: [UInt8], _ s: inout State) -> Result? {
        let font = s.gs.font
        if font.isSimple, let at = firstMatch(in: bytes, font: font) {
            guard s.known, let dx = advance(bytes[..<at], s.gs) else {
                return .unreliable("the word follows text whose glyph widths are unknown")
            }
            let origin = Matrix.translation(dx, s.gs.rise).concatenating(s.tm).concatenating(s.gs.ctm)
            return .found(x: origin.e, y: origin.f)
        }
        if font.isSimple, let dx = advance(bytes[...], s.gs) {
            s.tm = Matrix.translation(dx, 0).concatenating(s.tm)
        } else {
            s.known = false
        }
        return nil
    }

    private func firstMatch(in bytes: [UInt8], font: TextFont) -> Int? {
        guard !word.isEmpty, bytes.count >= word.count else { return nil }
        for start in 0...(bytes.count - word.count) {
            var ok = true
            for (i, w) in word.enumerated() where bytes[start + i] != w || !font.showsASCII(w) {
                ok = false
                break
            }
            if ok { return start }
        }
        return nil
    }

    /// Horizontal displacement in text space units (§9.4.4), nil when a width is unknown.
    private func advance(_ bytes: ArraySlice<UInt8>, _ g: GraphicsState) -> Double? {
        var total = 0.0
        for code in bytes {
            guard let w = g.font.width(code) else { return nil }
            total += (w / 1000 * g.fontSize + g.charSpacing + (code == 0x20 ? g.wordSpacing : 0)) * g.scale
        }
        return total
    }

    private func pageContent(_ page: PDFPage) throws -> [UInt8] {
        let contents = try document.resolve(page.dict["Contents"])
        let parts: [PDFObject] = contents.array ?? [contents]
        var out: [UInt8] = []
        for part in parts.prefix(4096) {
            guard let stream = try document.resolve(part).stream else { continue }
            do {
                out += try document.decode(stream, allowPartial: true)
            } catch let error as PDFError where error.isTooComplex {
                throw error
            } catch {
                throw PDFError.placeholderNotFound("page content uses an unsupported filter")
            }
            out.append(0x0A)
        }
        return out
    }

    /// Skips `BI … ID <binary> EI`.
    private func skipInlineImage(_ lexer: inout PDFLexer) {
        guard let id = ByteSearch.find(Array("ID".utf8), in: lexer.bytes, from: lexer.pos) else {
            lexer.pos = lexer.end
            return
        }
        var i = id + 3
        while let ei = ByteSearch.find(Array("EI".utf8), in: lexer.bytes, from: i) {
            let before = ei > 0 ? lexer.bytes[ei - 1] : 0x20
            let after = ei + 2 < lexer.bytes.count ? lexer.bytes[ei + 2] : 0x20
            if PDFBytes.isWhitespace(before), !PDFBytes.isRegular(after) {
                lexer.pos = ei + 2
                return
            }
            i = ei + 2
        }
        lexer.pos = lexer.end
    }
}
