#if canImport(Glibc)
    import Glibc
#endif

/// A streaming `multipart/form-data` reader (RFC 7578 over RFC 2046 §5.1.1): bytes in, in chunks
/// cut anywhere; each part's headers, its content and its end out, through the callbacks.
///
/// It replaces multipart-kit's `MultipartParser` on the intake's hot path: that one hands the
/// content over between CRs, two allocations each (every ~256 bytes of a binary PDF), and
/// cost the multipart intake ~2.7 ms of CPU per 200 KB document, more than base64 JSON. Here the
/// delimiter `CRLF--boundary` is looked for with `memchr` on its only CR (a boundary holds no CR),
/// and a part's content goes to `onBody` in the largest runs the chunk allows: one call per
/// chunk and part. Bytes that may start a delimiter at a chunk's end are held until the next.
struct MultipartReader {
    enum SyntaxError: Error {
        case badHeader
        case badDelimiter
    }

    private enum State: Equatable {
        /// Before the first delimiter (which may come without its leading CRLF): dropped.
        case preamble
        /// A part's header block, up to the empty line.
        case headers
        case body
        /// After a delimiter: `--` closes, transport padding then CRLF opens a part.
        case delimiterEnd(sawHyphen: Bool, sawCR: Bool)
        /// After the closing delimiter (or a lone `-`, which leaves the body unclosed): dropped.
        case epilogue
    }

    private let delimiter: [UInt8]
    private var state = State.preamble
    /// How many bytes of `delimiter` the end of the last chunk matched (held, not yet given out).
    private var matched = 2
    private var headerBlock: [UInt8] = []
    /// Whether the closing delimiter `CRLF--boundary--` was read.
    private(set) var closed = false

    var onHeader: (String, String) -> Void = { _, _ in }
    var onBody: (UnsafeRawBufferPointer) -> Void = { _ in }
    var onPartComplete: () -> Void = {}

    /// - Parameter boundary: not empty, without CR or LF (`MultipartIntake.boundary(contentType:)`).
    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        precondition(!delimiter[2...].contains(0x0D), "a multipart boundary holds no CR")
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var index = 0
        while index < bytes.count {
            switch state {
            case .preamble, .body:
                index = scanContent(base, bytes.count, from: index)
            case .headers:
                index = try readHeaders(bytes, from: index)
            case .delimiterEnd(let sawHyphen, let sawCR):
                let byte = bytes[index]
                index += 1
                switch (byte, sawHyphen, sawCR) {
                case (UInt8(ascii: "-"), false, false): state = .delimiterEnd(sawHyphen: true, sawCR: false)
                case (UInt8(ascii: "-"), true, _):
                    closed = true
                    state = .epilogue
                case (_, true, _): state = .epilogue
                case (UInt8(ascii: " "), false, false), (UInt8(ascii: "\t"), false, false): break
                case (0x0D, false, false): state = .delimiterEnd(sawHyphen: false, sawCR: true)
                case (0x0A, false, true):
                    headerBlock.removeAll(keepingCapacity: true)
                    state = .headers
                default: throw SyntaxError.badDelimiter
                }
            case .epilogue:
                return
            }
        }
    }

    /// Content (or preamble) from `start`: given out up to the next delimiter, or up to what
    /// may start one at the chunk's end. Returns where reading goes on.
    private mutating func scanContent(_ base: UnsafeRawPointer, _ count: Int, from start: Int) -> Int {
        let giving = state == .body
        var index = start
        // A delimiter the last chunk started: go on matching it.
        if matched > 0 {
            while index < count, matched < delimiter.count,
                base.load(fromByteOffset: index, as: UInt8.self)
                    == delimiter[matched]
            {
                matched += 1
                index += 1
            }
            if matched == delimiter.count {
                delimiterFound()
                return index
            }
            if index == count { return index }
            // Not a delimiter: the held bytes were content (the initial two of the preamble never were).
            if giving { delimiter.withUnsafeBytes { onBody(UnsafeRawBufferPointer(rebasing: $0[0..<matched])) } }
            matched = 0
            // The mismatched byte may be a CR, which starts a delimiter: it is scanned as content.
        }
        let runStart = index
        while index < count {
            guard let hit = memchr(base + index, 0x0D, count - index) else {
                index = count
                break
            }
            let cr = base.distance(to: UnsafeRawPointer(hit))
            var length = 1
            while length < delimiter.count, cr + length < count,
                base.load(fromByteOffset: cr + length, as: UInt8.self) == delimiter[length]
            {
                length += 1
            }
            if length == delimiter.count || cr + length == count {
                // A whole delimiter, or the start of one at the chunk's end: the content before it goes out.
                if giving, cr > runStart {
                    onBody(UnsafeRawBufferPointer(start: base + runStart, count: cr - runStart))
                }
                matched = length
                if length == delimiter.count {
                    delimiterFound()
                    return cr + length
                }
                return count
            }
            index = cr + 1
        }
        if giving, index > runStart { onBody(UnsafeRawBufferPointer(start: base + runStart, count: index - runStart)) }
        return index
    }

    private mutating func delimiterFound() {
        matched = 0
        if state == .body { onPartComplete() }
        state = .delimiterEnd(sawHyphen: false, sawCR: false)
    }

    /// Header lines up to the empty line; then each `Name: value` goes to `onHeader`.
    private mutating func readHeaders(_ bytes: UnsafeRawBufferPointer, from start: Int) throws -> Int {
        var index = start
        while index < bytes.count {
            headerBlock.append(bytes[index])
            index += 1
            if headerBlock.count >= 2, headerBlock.last == 0x0A, headerBlock[headerBlock.count - 2] == 0x0D,
                headerBlock.count == 2 || headerBlock.suffix(4).elementsEqual([0x0D, 0x0A, 0x0D, 0x0A])
            {
                try emitHeaders()
                state = .body
                matched = 0
                return index
            }
        }
        return index
    }

    private func emitHeaders() throws {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = 0
        var i = 0
        while i + 1 < headerBlock.count {
            if headerBlock[i] == 0x0D, headerBlock[i + 1] == 0x0A {
                lines.append(headerBlock[lineStart..<i])
                lineStart = i + 2
                i += 2
            } else {
                i += 1
            }
        }
        var fields: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            if line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t") {
                // An obsolete folded line continues the previous field.
                guard !fields.isEmpty else { throw SyntaxError.badHeader }
                fields[fields.count - 1].value += " " + Self.trimmed(line)
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line[line.startIndex..<colon].allSatisfy(Self.isTokenCharacter)
            else { throw SyntaxError.badHeader }
            fields.append(
                (String(decoding: line[line.startIndex..<colon], as: UTF8.self), Self.trimmed(line[(colon + 1)...])))
        }
        for field in fields { onHeader(field.name, field.value) }
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> String {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    /// RFC 9110 §5.6.2 `tchar`.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default: tokenSymbols.contains(byte)
        }
    }

    private static let tokenSymbols = Array("!#$%&'*+-.^_`|~".utf8)
}
