import Foundation

/// The JSON syntax, one state per token kind (RFC 8259); every error names its byte offset.
extension JSONIntake {
    /// A byte between tokens: whitespace, a structural character, or the first byte of a value.
    mutating func structural(_ bytes: UnsafeRawBufferPointer, at index: Int) throws {
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): return
        default: break
        }
        switch mode {
        case .value: try beginValue(bytes, at: index)
        case .valueOrEnd:
            if byte == UInt8(ascii: "]") { endContainer() } else { try beginValue(bytes, at: index) }
        case .keyOrEnd:
            if byte == UInt8(ascii: "}") {
                try endObject(bytes, at: index)
            } else {
                try beginKey(byte, at: index, expected: "a key or '}'")
            }
        case .key: try beginKey(byte, at: index, expected: "a key")
        case .colon:
            guard byte == UInt8(ascii: ":") else { throw unexpected(byte, at: index, expected: "':'") }
            mode = .value
        case .afterValue:
            let top = frames.count - 1
            if frames[top].isObject {
                switch byte {
                case UInt8(ascii: ","): comma(bytes, at: index)
                case UInt8(ascii: "}"): try endObject(bytes, at: index)
                default: throw unexpected(byte, at: index, expected: "',' or '}'")
                }
            } else {
                switch byte {
                case UInt8(ascii: ","): mode = .value
                case UInt8(ascii: "]"): endContainer()
                default: throw unexpected(byte, at: index, expected: "',' or ']'")
                }
            }
        case .end: throw APIError.invalidJSON(at: consumed + index, "unexpected data after the JSON value")
        case .string, .keyString, .base64, .literal, .number: preconditionFailure("not a structural state")
        }
    }

    /// The first byte of a value, whose role follows from where it stands.
    private mutating func beginValue(_ bytes: UnsafeRawBufferPointer, at index: Int) throws {
        let byte = bytes[index]
        var role = Frame.Role.root
        if let top = frames.indices.last {
            if frames[top].isObject {
                role = valueRole
            } else {
                let element = frames[top].count
                frames[top].count += 1
                role = .other
                if frames[top].role == .documents {
                    guard element < maxDocuments else { throw APIError.tooManyDocuments(max: maxDocuments) }
                    role = .entry(element)
                }
            }
        }
        valueRole = .other
        if dropping {
            switch byte {
            case UInt8(ascii: "\""): try beginContent()
            case UInt8(ascii: "n"): beginLiteral("null")
            default:
                throw APIError.invalidJSON(
                    "the body is not valid JSON: wrong type at documents[\(droppedDocument)].documentRequest.base64Content (byte \(consumed + index))"
                )
            }
            return
        }
        switch byte {
        case UInt8(ascii: "{"):
            switch role {
            case .root, .entry, .documentRequest: break
            default: role = .other
            }
            try push(
                Frame(role: role, isObject: true, start: skeletonOffset(index), memberStart: skeletonOffset(index + 1)),
                at: index)
            mode = .keyOrEnd
        case UInt8(ascii: "["):
            try push(Frame(role: role == .documents ? .documents : .other, isObject: false), at: index)
            mode = .valueOrEnd
        case UInt8(ascii: "\""):
            mode = .string
        case UInt8(ascii: "t"): beginLiteral("true")
        case UInt8(ascii: "f"): beginLiteral("false")
        case UInt8(ascii: "n"): beginLiteral("null")
        case UInt8(ascii: "-"):
            number = .sign
            mode = .number
        case UInt8(ascii: "0"):
            number = .zero
            mode = .number
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            number = .integer
            mode = .number
        default: throw unexpected(byte, at: index, expected: "a value")
        }
    }

    private mutating func push(_ frame: Frame, at index: Int) throws {
        guard frames.count < Self.maxDepth else {
            throw APIError.invalidJSON(at: consumed + index, "nesting deeper than \(Self.maxDepth) levels")
        }
        frames.append(frame)
    }

    private mutating func endContainer() {
        frames.removeLast()
        endValue()
    }

    /// The `}` at `index` closes the top object; a document entry is then whole, its metadata in
    /// the skeleton: the intake tells how it is signed.
    private mutating func endObject(_ bytes: UnsafeRawBufferPointer, at index: Int) throws {
        guard case .entry(let document) = frames[frames.count - 1].role else { return endContainer() }
        flushPending(bytes, upTo: index + 1)
        let entry = skeleton[frames[frames.count - 1].start...]
        endContainer()
        let kind = try? JSONDecoder().decode(EntrySignatureType.self, from: Data(entry))
        try endDocument(document, kind?.signatureInfo?.signatureType)
    }

    mutating func endValue() {
        mode = frames.isEmpty ? .end : .afterValue
    }

    /// A comma between members: the next member starts at it, unless it follows a member left out.
    private mutating func comma(_ bytes: UnsafeRawBufferPointer, at index: Int) {
        let top = frames.count - 1
        if frames[top].dropNextComma {
            flushPending(bytes, upTo: index)
            pendingStart = index + 1
            frames[top].dropNextComma = false
            frames[top].memberStart = skeletonOffset(index + 1)
        } else {
            frames[top].memberStart = skeletonOffset(index)
        }
        mode = .key
    }

    private mutating func beginKey(_ byte: UInt8, at index: Int, expected: String) throws {
        guard byte == UInt8(ascii: "\"") else { throw unexpected(byte, at: index, expected: expected) }
        key.removeAll(keepingCapacity: true)
        mode = .keyString
    }

    /// The key ends at the quote at `index`: it may name the next value's role, or be the
    /// `base64Content` member to leave out.
    private mutating func endKey(_ bytes: UnsafeRawBufferPointer, at index: Int) throws {
        mode = .colon
        valueRole = .other
        let top = frames.count - 1
        func firstTime(_ path: String) throws {
            guard !frames[top].sawKey else {
                throw APIError.invalidJSON(at: consumed + index, "duplicate field \(path)")
            }
            frames[top].sawKey = true
        }
        switch frames[top].role {
        case .root where key.elementsEqual("documents".utf8):
            try firstTime("documents")
            valueRole = .documents
        case .entry(let document) where key.elementsEqual("documentRequest".utf8):
            try firstTime("documents[\(document)].documentRequest")
            valueRole = .documentRequest(document)
        case .documentRequest(let document) where key.elementsEqual("base64Content".utf8):
            try firstTime("documents[\(document)].documentRequest.base64Content")
            flushPending(bytes, upTo: index + 1)
            skeleton.removeSubrange(frames[top].memberStart...)
            if frames[top].count == 0 { frames[top].dropNextComma = true }
            pendingStart = nil
            dropping = true
            droppedDocument = document
            return
        default: break
        }
        frames[top].count += 1
    }

    // MARK: - Tokens

    /// A string value or key: runs of plain bytes are skipped in a tight loop (they are already
    /// on their way to the skeleton); a key of an interesting object is also decoded.
    mutating func scanString(_ bytes: UnsafeRawBufferPointer, from start: Int) throws -> Int {
        let capturing = mode == .keyString && frames[frames.count - 1].role != .other
        var index = start
        while index < bytes.count {
            if escape != 0 {
                if let unit = try escapeStep(bytes[index], at: index), capturing {
                    appendKey(unit < 0x80 ? UInt8(unit) : 0xFF)
                }
                index += 1
                continue
            }
            let runStart = index
            Self.stringClasses.withUnsafeBufferPointer { classes in
                while index < bytes.count, classes[Int(bytes[index])] == 0 { index += 1 }
            }
            if capturing {
                for byte in UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]) { appendKey(byte) }
            }
            guard index < bytes.count else { break }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                if mode == .keyString { try endKey(bytes, at: index) } else { endValue() }
                return index + 1
            case UInt8(ascii: "\\"): escape = 1
            default: throw APIError.invalidJSON(at: consumed + index, "a control character in a string")
            }
            index += 1
        }
        return index
    }

    private mutating func appendKey(_ byte: UInt8) {
        // Longer keys are none of the few this scanner looks for: keep a prefix that cannot match.
        if key.count < Self.maxKeyLength { key.append(byte) }
    }

    /// One byte of an escape sequence after `\`; returns the UTF-16 code unit once it is complete.
    mutating func escapeStep(_ byte: UInt8, at index: Int) throws -> UInt32? {
        if escape == 1 {
            let unit: UInt32
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unit = UInt32(byte)
            case UInt8(ascii: "b"): unit = 0x08
            case UInt8(ascii: "f"): unit = 0x0C
            case UInt8(ascii: "n"): unit = 0x0A
            case UInt8(ascii: "r"): unit = 0x0D
            case UInt8(ascii: "t"): unit = 0x09
            case UInt8(ascii: "u"):
                escape = 2
                escapeValue = 0
                return nil
            default: throw APIError.invalidJSON(at: consumed + index, "an invalid escape sequence")
            }
            escape = 0
            return unit
        }
        let digit: UInt8
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
        default: throw APIError.invalidJSON(at: consumed + index, "an invalid \\u escape")
        }
        escapeValue = escapeValue << 4 | UInt32(digit)
        escape += 1
        guard escape == 6 else { return nil }
        escape = 0
        return escapeValue
    }

    private mutating func beginLiteral(_ word: String) {
        literal = Array(word.utf8)
        literalIndex = 1
        mode = .literal
    }

    mutating func scanLiteral(_ bytes: UnsafeRawBufferPointer, from index: Int) throws -> Int {
        guard bytes[index] == literal[literalIndex] else {
            throw unexpected(bytes[index], at: index, expected: "'\(String(decoding: literal, as: UTF8.self))'")
        }
        literalIndex += 1
        if literalIndex == literal.count {
            if dropping {
                dropping = false
                pendingStart = index + 1
            }
            endValue()
        }
        return index + 1
    }

    /// A number, RFC 8259's grammar; it ends at the first byte that cannot continue it.
    mutating func scanNumber(_ bytes: UnsafeRawBufferPointer, from start: Int) throws -> Int {
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            let isExponent = byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
            switch number {
            case .sign where isDigit: number = byte == UInt8(ascii: "0") ? .zero : .integer
            case .integer where isDigit, .fraction where isDigit, .exponentDigits where isDigit: break
            case .zero where byte == UInt8(ascii: "."), .integer where byte == UInt8(ascii: "."): number = .dot
            case .zero where isExponent, .integer where isExponent, .fraction where isExponent: number = .exponent
            case .dot where isDigit: number = .fraction
            case .exponent where byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-"): number = .exponentSign
            case .exponent where isDigit, .exponentSign where isDigit: number = .exponentDigits
            case .zero, .integer, .fraction, .exponentDigits:
                endValue()
                return index
            default: throw unexpected(byte, at: index, expected: "a digit")
            }
            index += 1
        }
        return index
    }

    private func unexpected(_ byte: UInt8, at index: Int, expected: String) -> APIError {
        let shown =
            (0x21..<0x7F).contains(byte)
            ? "'\(String(UnicodeScalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
        return APIError.invalidJSON(at: consumed + index, "unexpected \(shown), expected \(expected),")
    }

    /// 0: a plain string byte; 1: `"`, `\` or a control character.
    static let stringClasses: [UInt8] = (0...255).map { byte in
        byte < 0x20 || byte == 0x22 || byte == 0x5C ? 1 : 0
    }
}
