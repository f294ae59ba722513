/// A decoded object stream (/Type /ObjStm): object numbers with their offsets into `data`.
struct ObjectStream {
    let data: [UInt8]
    let first: Int
    let offsets: [(num: Int, offset: Int)]
}

extension PDFDocument {
    /// The object `ref` points at; `.null` for free or missing objects (§7.3.10).
    func object(_ ref: PDFRef) throws -> PDFObject {
        if let cached = cache[ref.num] { return cached }
        guard resolving.insert(ref.num).inserted else {
            throw PDFError.malformed("object \(ref) refers to itself while being loaded")
        }
        defer { resolving.remove(ref.num) }
        guard resolving.count <= limits.maxReferenceDepth else {
            throw PDFError.tooComplex("more than \(limits.maxReferenceDepth) objects needed to load one object")
        }
        let object: PDFObject
        switch xref[ref.num] {
        case .offset(let offset, _)?:
            guard let position = position(offset) else {
                throw PDFError.badXref("xref entry for object \(ref) points outside the file")
            }
            object = try loadObject(ref, at: position)
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
            guard depth <= limits.maxReferenceDepth else {
                throw PDFError.tooComplex("a chain of more than \(limits.maxReferenceDepth) references")
            }
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

    /// Parses the object an xref entry points at. The entry must point exactly at its
    /// `num gen obj`: strict readers refuse anything else, so damage is refused, not repaired.
    private func loadObject(_ ref: PDFRef, at position: Int) throws -> PDFObject {
        var parser = PDFParser(bytes, at: position, maxDepth: limits.maxObjectDepth)
        guard parser.atObjectHeader(number: ref.num) else {
            throw PDFError.badXref("xref entry for object \(ref) does not point at it")
        }
        let found = try parser.parseIndirectObject(length: { r in
            guard r.num != ref.num else { return nil }
            do {
                return try self.resolve(.ref(r)).int
            } catch let error as PDFError where error.isTooComplex {
                throw error
            } catch {
                return nil  // a broken /Length: the data ends at `endstream`
            }
        })
        return found.object
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
        guard entry.offset >= 0, entry.offset < objStm.data.count - objStm.first else {
            throw PDFError.malformed("object \(num) lies outside its object stream")
        }
        var parser = PDFParser(objStm.data, at: objStm.first + entry.offset, maxDepth: limits.maxObjectDepth)
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
        let data = try decode(stream)
        guard first <= data.count else {
            throw PDFError.malformed("object stream \(num) has /First \(first) beyond its \(data.count) bytes")
        }
        var lexer = PDFLexer(data, end: first)
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
