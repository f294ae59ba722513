/// A decoded object stream (/Type /ObjStm): object numbers with their offsets into `data`.
struct ObjectStream {
    let data: [UInt8]
    let first: Int
    let offsets: [(num: Int, offset: Int)]
}

extension PDFDocument {
    static let maxResolveDepth = 32

    /// The object `ref` points at; `.null` for free or missing objects (§7.3.10).
    func object(_ ref: PDFRef) throws -> PDFObject {
        if let cached = cache[ref.num] { return cached }
        guard resolving.insert(ref.num).inserted else {
            throw PDFError.malformed("object \(ref) refers to itself while being loaded")
        }
        defer { resolving.remove(ref.num) }
        let object: PDFObject
        switch xref[ref.num] {
        case .offset(let offset, _)?: object = try loadObject(ref, at: offset + offsetDelta)
        case .compressed(let stream, let index)?: object = try loadCompressed(ref.num, stream: stream, index: index)
        case .free?, nil: object = .null
        }
        cache[ref.num] = object
        return object
    }

    /// Follows references (bounded) until a direct object.
    func resolve(_ object: PDFObject?) throws -> PDFObject {
        var current = object ?? .null
        var depth = 0
        while case .ref(let r) = current {
            depth += 1
            guard depth <= Self.maxResolveDepth else { throw PDFError.malformed("reference chain too long") }
            current = try self.object(r)
        }
        return current
    }

    func resolveDict(_ object: PDFObject?) throws -> PDFDict? { try resolve(object).dict }
    func resolveArray(_ object: PDFObject?) throws -> [PDFObject]? { try resolve(object).array }

    /// The generation number to use when rewriting `num`.
    func generation(of num: Int) -> Int {
        if case .offset(_, let gen)? = xref[num] { return gen }
        return 0
    }

    private func loadObject(_ ref: PDFRef, at position: Int) throws -> PDFObject {
        if headerMatches(ref, at: position) { return try parseObject(ref, at: position) }
        // Tolerated damage: the entry is off by some bytes and the object header occurs exactly
        // once in the whole file, so there is no doubt which bytes are meant.
        let hits = objectHeaderIndex()[ref] ?? []
        guard hits.count == 1, let only = hits.first, let object = try? parseObject(ref, at: only) else {
            throw PDFError.badXref("xref entry for object \(ref) does not point at it")
        }
        return object
    }

    private func headerMatches(_ ref: PDFRef, at position: Int) -> Bool {
        var lexer = PDFLexer(bytes, at: position)
        guard case .int(let num)? = try? lexer.next(), case .int? = try? lexer.next(),
            case .keyword("obj")? = try? lexer.next()
        else { return false }
        return num == ref.num
    }

    private func parseObject(_ ref: PDFRef, at position: Int) throws -> PDFObject {
        guard position >= 0, position < bytes.count else { throw PDFError.badXref("offset outside the file") }
        var parser = PDFParser(bytes, at: position)
        let found = try parser.parseIndirectObject(length: { r in
            guard r.num != ref.num, case .int(let n)? = try? self.resolve(.ref(r)) else { return nil }
            return n
        })
        guard found.ref.num == ref.num else { throw PDFError.badXref("object number mismatch") }
        return found.object
    }

    /// Positions of every `num gen obj` header in the file, built once on demand.
    private func objectHeaderIndex() -> [PDFRef: [Int]] {
        if let headerIndex { return headerIndex }
        var index: [PDFRef: [Int]] = [:]
        let obj = Array("obj".utf8)
        var i = 0
        while let hit = ByteSearch.find(obj, in: bytes, from: i) {
            i = hit + 3
            guard hit + 3 >= bytes.count || !PDFBytes.isRegular(bytes[hit + 3]) else { continue }
            if let (ref, start) = headerBefore(hit) { index[ref, default: []].append(start) }
        }
        headerIndex = index
        return index
    }

    /// Reads `num gen` backwards from the `obj` keyword at `hit`.
    private func headerBefore(_ hit: Int) -> (PDFRef, Int)? {
        var p = hit - 1
        func number() -> Int? {
            while p >= 0, PDFBytes.isWhitespace(bytes[p]) { p -= 1 }
            let end = p + 1
            while p >= 0, bytes[p] >= 0x30, bytes[p] <= 0x39, end - p <= 10 { p -= 1 }
            guard end - (p + 1) > 0, case .int(let n)? = PDFLexer.parseNumber(bytes[(p + 1)..<end]) else { return nil }
            return n
        }
        guard let gen = number(), let num = number() else { return nil }
        guard p < 0 || !PDFBytes.isRegular(bytes[p]) else { return nil }
        return (PDFRef(num: num, gen: gen), p + 1)
    }

    private func loadCompressed(_ num: Int, stream: Int, index: Int) throws -> PDFObject {
        let objStm = try objectStream(stream)
        var entry: (num: Int, offset: Int)?
        if index >= 0, index < objStm.offsets.count, objStm.offsets[index].num == num {
            entry = objStm.offsets[index]
        } else {
            entry = objStm.offsets.first { $0.num == num }
        }
        guard let entry else { return .null }
        let position = objStm.first + entry.offset
        guard position >= 0, position < objStm.data.count else {
            throw PDFError.malformed("object \(num) lies outside its object stream")
        }
        var parser = PDFParser(objStm.data, at: position)
        guard let object = try parser.parseObject() else { throw PDFError.malformed("empty object \(num)") }
        return object
    }

    private func objectStream(_ num: Int) throws -> ObjectStream {
        if let cached = objectStreams[num] { return cached }
        guard case .offset? = xref[num] else { throw PDFError.malformed("object stream \(num) is not a plain object") }
        guard let stream = try object(PDFRef(num: num, gen: generation(of: num))).stream,
            stream.dict["Type"]?.name == "ObjStm",
            let n = stream.dict["N"]?.int, let first = stream.dict["First"]?.int, n >= 0, first >= 0
        else { throw PDFError.malformed("object \(num) is not an object stream") }
        let data = try Flate.decode(stream)
        var lexer = PDFLexer(data, end: min(first, data.count))
        var offsets: [(num: Int, offset: Int)] = []
        for _ in 0..<min(n, data.count) {
            guard case .int(let objNum) = try lexer.next(), case .int(let offset) = try lexer.next() else { break }
            offsets.append((objNum, offset))
        }
        let result = ObjectStream(data: data, first: first, offsets: offsets)
        objectStreams[num] = result
        return result
    }
}
