/// Finds an element's tags in a document's original bytes, so a signature can be spliced in
/// while every other byte stays as it was.
///
/// libxml2 reports lines, not byte offsets; this scanner walks the markup of a document libxml2
/// has already parsed (well-formed, no entity declared, an encoding whose markup is ASCII) and
/// counts start tags in document order, skipping what may hold a `<` or `>` that is not a tag:
/// comments, CDATA sections, processing instructions, the DOCTYPE (with its internal subset) and
/// quoted attribute values. Text cannot hold `<`; a `>` in text is skipped as text.
public enum XMLMarkup {
    /// Where the content of an element ends in the bytes.
    public enum Insertion: Equatable, Sendable {
        /// The offset of the `<` of the element's end tag: what goes there becomes its last child.
        case beforeEndTag(Int)
        /// The element is an empty-element tag `<x .../>`: the offset of its `/`, which is
        /// replaced by `>` + content + `</x>`.
        case emptyElement(slash: Int)
    }

    /// Whether `bytes` hold nothing but white space, a byte-order mark, an XML declaration,
    /// processing instructions and comments: a document without its element (`EMPTY_DOCUMENT`),
    /// as opposed to bytes that are not XML at all.
    public static func holdsOnlyProlog(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer {
            var scanner = Scanner(bytes: $0)
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { scanner.position = 3 }
            while scanner.position < bytes.count {
                let byte = bytes[scanner.position]
                if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                    scanner.position += 1
                } else if scanner.starts(with: "<?") {
                    guard scanner.skip(past: "?>") else { return false }
                } else if scanner.starts(with: "<!--") {
                    guard scanner.skip(past: "-->") else { return false }
                } else {
                    return false
                }
            }
            return true
        }
    }

    /// The insertion point of the element that is the `index`-th start tag (0: the document
    /// element), or nil if the bytes have fewer or are not what libxml2 accepted.
    public static func insertion(in bytes: [UInt8], elementIndex index: Int) -> Insertion? {
        guard let element = locate(in: bytes, elementIndex: index) else { return nil }
        if let endTag = element.endTag { return .beforeEndTag(endTag) }
        return .emptyElement(slash: element.end - 2)
    }

    /// The bytes of the `index`-th element, from the `<` of its start tag to the `>` of its end
    /// tag (or of its empty-element tag).
    public static func span(in bytes: [UInt8], elementIndex index: Int) -> Range<Int>? {
        locate(in: bytes, elementIndex: index).map { $0.start..<$0.end }
    }

    /// Where the `index`-th element's start tag begins, where its end tag begins (nil for an
    /// empty-element tag) and where the element ends.
    static func locate(in bytes: [UInt8], elementIndex index: Int) -> (start: Int, endTag: Int?, end: Int)? {
        bytes.withUnsafeBufferPointer {
            var scanner = Scanner(bytes: $0)
            return scanner.locate(elementIndex: index)
        }
    }
}

private struct Scanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func locate(elementIndex index: Int) -> (start: Int, endTag: Int?, end: Int)? {
        var seen = 0
        // The target's start, and the depth inside it, once found.
        var found: (start: Int, depth: Int)?
        while let tagStart = next(UInt8(ascii: "<")) {
            position = tagStart
            if starts(with: "<!--") {
                guard skip(past: "-->") else { return nil }
            } else if starts(with: "<![CDATA[") {
                guard skip(past: "]]>") else { return nil }
            } else if starts(with: "<?") {
                guard skip(past: "?>") else { return nil }
            } else if starts(with: "<!") {
                guard skipDeclaration() else { return nil }
            } else if starts(with: "</") {
                guard skipTag() != nil else { return nil }
                if let target = found {
                    if target.depth == 1 { return (target.start, tagStart, position) }
                    found = (target.start, target.depth - 1)
                }
            } else {
                guard let isEmpty = skipTag() else { return nil }
                if let target = found {
                    if !isEmpty { found = (target.start, target.depth + 1) }
                } else if seen == index {
                    if isEmpty { return (tagStart, nil, position) }
                    found = (tagStart, 1)
                } else {
                    seen += 1
                }
            }
        }
        return nil
    }

    /// The offset of the next `byte` at or after `position`.
    func next(_ byte: UInt8) -> Int? {
        var index = position
        while index < bytes.count {
            if bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }

    func starts(with text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        return text.withUTF8Buffer { pattern in
            (0..<count).allSatisfy { bytes[position + $0] == pattern[$0] }
        }
    }

    /// Moves past the next occurrence of `text`.
    mutating func skip(past text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        while position + count <= bytes.count {
            if starts(with: text) {
                position += count
                return true
            }
            position += 1
        }
        return false
    }

    /// Moves past a start or end tag (from its `<` to its `>`, quoted values skipped); returns
    /// whether it was an empty-element tag (`/>`), nil if it never ends.
    mutating func skipTag() -> Bool? {
        position += 1
        var quote: UInt8?
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                return position >= 2 && bytes[position - 2] == UInt8(ascii: "/")
            }
        }
        return nil
    }

    /// Moves past `<!DOCTYPE ...>`, its internal subset `[...]` included (quoted literals,
    /// comments and processing instructions inside it may hold `]` or `>`).
    mutating func skipDeclaration() -> Bool {
        position += 2
        var quote: UInt8?
        var inSubset = false
        while position < bytes.count {
            if quote == nil, inSubset, starts(with: "<!--") {
                guard skip(past: "-->") else { return false }
                continue
            }
            if quote == nil, inSubset, starts(with: "<?") {
                guard skip(past: "?>") else { return false }
                continue
            }
            let byte = bytes[position]
            position += 1
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: "[") {
                inSubset = true
            } else if byte == UInt8(ascii: "]") {
                inSubset = false
            } else if byte == UInt8(ascii: ">"), !inSubset {
                return true
            }
        }
        return false
    }
}
