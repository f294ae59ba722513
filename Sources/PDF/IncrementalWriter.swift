/// Appends an incremental update (§7.5.6): new and rewritten objects followed by a cross-reference
/// section of the same kind as the document's newest one. The original bytes stay an exact prefix.
struct IncrementalWriter {
    let document: PDFDocument
    private(set) var nextNumber: Int
    private var order: [PDFRef] = []
    private var objects: [PDFRef: PDFObject] = [:]

    init(document: PDFDocument) {
        self.document = document
        nextNumber = document.nextObjectNumber
    }

    /// A fresh object number.
    mutating func allocate() -> PDFRef {
        defer { nextNumber += 1 }
        return PDFRef(num: nextNumber, gen: 0)
    }

    /// Adds a new object or replaces an existing one in the update.
    mutating func set(_ ref: PDFRef, _ object: PDFObject) {
        if objects.updateValue(object, forKey: ref) == nil { order.append(ref) }
    }

    func pending(_ ref: PDFRef) -> PDFObject? { objects[ref] }

    struct Output {
        var bytes: [UInt8]
        /// Absolute byte position of each written object.
        var positions: [PDFRef: Int]
    }

    func write() -> Output {
        var out = document.bytes
        if let last = out.last, last != 0x0A, last != 0x0D { out.append(0x0A) }
        var positions: [PDFRef: Int] = [:]
        for ref in order {
            guard let object = objects[ref] else { continue }
            positions[ref] = out.count
            out += Array("\(ref.num) \(ref.gen) obj\n".utf8)
            PDFSerializer.write(object, into: &out)
            out += Array("\nendobj\n".utf8)
        }
        switch document.lastKind {
        case .table: writeTable(&out, positions)
        case .stream: writeStream(&out, &positions)
        }
        return Output(bytes: out, positions: positions)
    }

    private func trailerBase(size: Int) -> PDFDict {
        var t = PDFDict()
        t["Size"] = .int(size)
        t["Root"] = document.trailer["Root"]
        if let info = document.trailer["Info"] { t["Info"] = info }
        t["ID"] = document.trailer["ID"] ?? .array([.hexString(randomID()), .hexString(randomID())])
        t["Prev"] = .int(document.startxref)
        return t
    }

    private var size: Int { max(nextNumber, document.trailer["Size"]?.int ?? 0) }

    private func writeTable(_ out: inout [UInt8], _ positions: [PDFRef: Int]) {
        let xrefPosition = out.count
        out += Array("xref\n".utf8)
        for run in Self.runs(positions.keys.map(\.num)) {
            out += Array("\(run.first) \(run.count)\n".utf8)
            for num in run.first..<(run.first + run.count) {
                guard let (ref, pos) = positions.first(where: { $0.key.num == num }) else { continue }
                let offset = String(pos - document.offsetDelta)
                let gen = String(ref.gen)
                let line =
                    String(repeating: "0", count: max(0, 10 - offset.count)) + offset + " "
                    + String(repeating: "0", count: max(0, 5 - gen.count)) + gen + " n\r\n"
                out += Array(line.utf8)
            }
        }
        out += Array("trailer\n".utf8)
        PDFSerializer.writeDict(trailerBase(size: size), into: &out)
        out += Array("\nstartxref\n\(xrefPosition - document.offsetDelta)\n%%EOF\n".utf8)
    }

    private func writeStream(_ out: inout [UInt8], _ positions: inout [PDFRef: Int]) {
        let xrefRef = PDFRef(num: nextNumber, gen: 0)
        let xrefPosition = out.count
        positions[xrefRef] = xrefPosition
        let maxOffset = max(1, xrefPosition - document.offsetDelta)
        var width = 1
        while width < 8, maxOffset >> (8 * width) > 0 { width += 1 }
        var data: [UInt8] = []
        var index: [PDFObject] = []
        for run in Self.runs(positions.keys.map(\.num)) {
            index += [.int(run.first), .int(run.count)]
            for num in run.first..<(run.first + run.count) {
                guard let (ref, pos) = positions.first(where: { $0.key.num == num }) else { continue }
                data.append(1)
                let offset = pos - document.offsetDelta
                for shift in stride(from: 8 * (width - 1), through: 0, by: -8) {
                    data.append(UInt8(truncatingIfNeeded: offset >> shift))
                }
                data += [UInt8(truncatingIfNeeded: ref.gen >> 8), UInt8(truncatingIfNeeded: ref.gen)]
            }
        }
        var dict = trailerBase(size: max(size, xrefRef.num + 1))
        dict["Type"] = .name("XRef")
        dict["W"] = .array([.int(1), .int(width), .int(2)])
        dict["Index"] = .array(index)
        out += Array("\(xrefRef.num) 0 obj\n".utf8)
        PDFSerializer.write(.stream(PDFStream(dict: dict, data: data)), into: &out)
        out += Array("\nendobj\nstartxref\n\(xrefPosition - document.offsetDelta)\n%%EOF\n".utf8)
    }

    /// Sorted object numbers grouped into contiguous runs.
    static func runs(_ numbers: [Int]) -> [(first: Int, count: Int)] {
        var result: [(first: Int, count: Int)] = []
        for n in numbers.sorted() {
            if let last = result.last, last.first + last.count == n {
                result[result.count - 1].count += 1
            } else {
                result.append((n, 1))
            }
        }
        return result
    }

    private func randomID() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
    }
}
