/// The encodings Signet signs in: those whose markup characters are single ASCII bytes, so the
/// signature (pure ASCII) can be spliced into the original bytes and read the same in the
/// document's own encoding. UTF-16, UTF-32, EBCDIC and multi-byte East Asian encodings are
/// refused with `XML_UNSUPPORTED_ENCODING`.
enum XMLEncoding {
    /// Declared names accepted, upper-cased.
    static let accepted: Set<String> = {
        var names: Set<String> = ["UTF-8", "UTF8", "US-ASCII", "ASCII", "LATIN1", "LATIN-1"]
        for part in 1...16 { names.insert("ISO-8859-\(part)") }
        for page in 1250...1258 {
            names.insert("WINDOWS-\(page)")
            names.insert("CP\(page)")
        }
        return names
    }()

    /// Refuses bytes that start like UTF-16 or UTF-32 (a byte-order mark, or a zero byte in the
    /// first two): their markup is not ASCII.
    static func checkASCIICompatible(_ bytes: [UInt8]) throws(XMLError) {
        let head = Array(bytes.prefix(4))
        if head.starts(with: [0xFE, 0xFF]) || head.starts(with: [0xFF, 0xFE]) || head.prefix(2).contains(0) {
            throw .unsupportedEncoding("the document is UTF-16 or UTF-32; Signet signs ASCII-compatible encodings")
        }
        if head.starts(with: [0x4C, 0x6F, 0xA7, 0x94]) {
            throw .unsupportedEncoding("the document is EBCDIC; Signet signs ASCII-compatible encodings")
        }
    }

    /// Refuses a declared encoding outside `accepted`.
    static func checkDeclared(_ name: String?) throws(XMLError) {
        guard let name else { return }
        guard accepted.contains(name.uppercased()) else {
            throw .unsupportedEncoding(
                "encoding \(name) is not supported (UTF-8, US-ASCII, ISO-8859-x and Windows-125x are)")
        }
    }

    /// The `encoding` pseudo-attribute of the XML declaration at the start of `bytes`, if any.
    static func declared(in bytes: [UInt8]) -> String? {
        var start = bytes.startIndex
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start += 3 }
        let head = bytes[start...].prefix(256)
        guard head.starts(with: Array("<?xml".utf8)), let end = head.firstIndex(of: UInt8(ascii: ">")) else {
            return nil
        }
        let declaration = Array(head[..<end])
        let key = Array("encoding".utf8)
        guard let at = declaration.indices.first(where: { declaration[$0...].starts(with: key) }) else { return nil }
        let rest = declaration[(at + key.count)...].drop { $0 == 0x20 || $0 == 0x09 || $0 == UInt8(ascii: "=") }
        guard let quote = rest.first, quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else { return nil }
        return String(decoding: rest.dropFirst().prefix { $0 != quote }, as: UTF8.self)
    }
}
