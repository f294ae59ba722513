import Foundation
import NIOCore

/// Reads a JSON request body chunk by chunk (docs/intake.md).
///
/// An incremental scanner checks the JSON syntax and copies every byte into a *skeleton*, except
/// each `documents[i].documentRequest.base64Content` member: its string is decoded as base64
/// straight into sink `i` and the member is left out (its comma too, so the skeleton stays valid
/// JSON). At `finish()` the skeleton, metadata only, decodes into `OperationRequest`.
///
/// The scanner keeps its state between chunks, so a chunk may end anywhere: inside a key, an
/// escape, a `\uXXXX` or a number. Chunks are not retained.
struct JSONIntake: RequestIntake {
    static let maxDepth = 64

    let openSink: (Int) throws -> any DocumentSink
    /// Document `i`'s entry is whole, with this signature type if it names one (its content, if
    /// any, was sunk).
    let endDocument: (Int, String?) throws -> Void
    let maxDocuments: Int
    let maxMetadataBytes: Int

    /// The body without the documents' content.
    var skeleton: [UInt8] = []
    private var hasContent: [Bool] = []
    private let base64 = Base64Stream()
    private var failure: (any Error)?

    // Scanner state: what the next byte may be, the open containers, and partial tokens.
    var mode = Mode.value
    var frames: [Frame] = []
    /// The role of the value that follows the key just read.
    var valueRole = Frame.Role.other
    /// The `base64Content` member being left out (from the end of its key to the end of its value).
    var dropping = false
    var droppedDocument = 0
    /// Where the bytes of the current chunk that are not yet in the skeleton start (nil while dropping).
    var pendingStart: Int?
    /// Bytes of the body before the current chunk.
    var consumed = 0
    var escape: UInt8 = 0
    var escapeValue: UInt32 = 0
    var key: [UInt8] = []
    var literal: [UInt8] = []
    var literalIndex = 0
    var number = NumberState.integer

    enum Mode {
        case value, valueOrEnd, keyOrEnd, key, colon, afterValue, string, keyString, base64, literal, number, end
    }
    enum NumberState { case sign, zero, integer, dot, fraction, exponent, exponentSign, exponentDigits }

    /// An open object or array, and what it is in the request model.
    struct Frame {
        enum Role: Equatable { case other, root, documents, entry(Int), documentRequest(Int) }
        var role: Role
        var isObject: Bool
        /// Object: members kept in the skeleton. Array: elements.
        var count = 0
        /// Object: the skeleton offset of its `{`.
        var start = 0
        /// Object: the skeleton offset where the current member starts, its leading comma included.
        var memberStart = 0
        /// The first member was left out: the comma after it goes too.
        var dropNextComma = false
        /// The key this role looks for was seen (a second one is an error).
        var sawKey = false
    }

    init(
        openSink: @escaping (Int) throws -> any DocumentSink, endDocument: @escaping (Int, String?) throws -> Void,
        maxDocuments: Int, maxMetadataBytes: Int
    ) {
        self.openSink = openSink
        self.endDocument = endDocument
        self.maxDocuments = maxDocuments
        self.maxMetadataBytes = maxMetadataBytes
        key.reserveCapacity(Self.maxKeyLength)
    }

    mutating func feed(_ chunk: ByteBuffer) throws {
        if let failure { throw failure }
        do {
            try chunk.withUnsafeReadableBytes { try scan($0) }
        } catch {
            failure = error
            base64.reset()
            throw error
        }
    }

    mutating func finish() throws -> StreamedRequest {
        if let failure { throw failure }
        if mode == .number, [.zero, .integer, .fraction, .exponentDigits].contains(number) { endValue() }
        guard mode == .end else {
            let problem =
                consumed == 0
                ? "the body is empty"
                : [.string, .keyString, .base64].contains(mode)
                    ? "the body ends inside a string" : "the body ends before the JSON value is complete"
            let error = APIError.invalidJSON(at: consumed, problem)
            failure = error
            throw error
        }
        var request: OperationRequest
        do {
            request = try JSONDecoder().decode(OperationRequest.self, from: Data(skeleton))
        } catch {
            throw APIError.invalidJSON(OperationsController.explain(error))
        }
        for index in request.documents.indices { request.documents[index].documentRequest.base64Content = nil }
        var arrived = Array(hasContent.prefix(request.documents.count))
        arrived += Array(repeating: false, count: request.documents.count - arrived.count)
        return StreamedRequest(request: request, hasContent: arrived)
    }

    private mutating func scan(_ bytes: UnsafeRawBufferPointer) throws {
        pendingStart = dropping ? nil : 0
        var index = 0
        while index < bytes.count {
            switch mode {
            case .string, .keyString: index = try scanString(bytes, from: index)
            case .base64: index = try scanBase64(bytes, from: index)
            case .number: index = try scanNumber(bytes, from: index)
            case .literal: index = try scanLiteral(bytes, from: index)
            default:
                try structural(bytes, at: index)
                index += 1
            }
        }
        flushPending(bytes, upTo: bytes.count)
        consumed += bytes.count
        guard skeleton.count <= maxMetadataBytes else { throw APIError.metadataTooLarge(max: maxMetadataBytes) }
    }

    /// Copies the current chunk's pending bytes up to `end` into the skeleton.
    mutating func flushPending(_ bytes: UnsafeRawBufferPointer, upTo end: Int) {
        guard let start = pendingStart, end > start else { return }
        skeleton.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        pendingStart = end
    }

    /// The skeleton offset the byte at `index` of the current chunk will have.
    func skeletonOffset(_ index: Int) -> Int {
        skeleton.count + (pendingStart.map { index - $0 } ?? 0)
    }

    // MARK: - Document content

    /// The `base64Content` string of `droppedDocument` starts.
    mutating func beginContent() throws {
        let index = droppedDocument
        let sink = try openSink(index)
        if hasContent.count <= index { hasContent += Array(repeating: false, count: index + 1 - hasContent.count) }
        hasContent[index] = true
        base64.begin(sink)
        mode = .base64
    }

    /// Scans the base64 string: runs of alphabet characters go to the decoder in one call each.
    private mutating func scanBase64(_ bytes: UnsafeRawBufferPointer, from start: Int) throws -> Int {
        var index = start
        while index < bytes.count {
            if escape != 0 {
                if let unit = try escapeStep(bytes[index], at: index) { try appendEscaped(unit) }
                index += 1
                continue
            }
            let runStart = index
            index = Self.alphabetRunEnd(bytes, from: index)
            if index > runStart {
                let run = UnsafeRawBufferPointer(rebasing: bytes[runStart..<index])
                try decoding { try $0.append(alphabet: run) }
            }
            guard index < bytes.count else { break }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                try decoding { try $0.end() }
                dropping = false
                pendingStart = index + 1
                endValue()
                return index + 1
            case UInt8(ascii: "\\"): escape = 1
            case UInt8(ascii: "="): try decoding { try $0.append(byte) }
            case ..<0x20: throw APIError.invalidJSON(at: consumed + index, "a control character in a string")
            default: throw APIError.invalidBase64(document: droppedDocument)
            }
            index += 1
        }
        return index
    }

    /// An escaped character inside base64: `\n` and `\r` are line breaks; `\/` and `\u0041`-style
    /// escapes of base64 characters stand for themselves.
    private mutating func appendEscaped(_ unit: UInt32) throws {
        if unit == 0x0A || unit == 0x0D { return }
        guard unit < 0x80, Self.base64Classes[Int(unit)] == 0 || unit == UInt32(UInt8(ascii: "=")) else {
            throw APIError.invalidBase64(document: droppedDocument)
        }
        try decoding { try $0.append(UInt8(unit)) }
    }

    private func decoding(_ body: (Base64Stream) throws -> Void) throws {
        do {
            try body(base64)
        } catch is Base64Stream.Invalid {
            throw APIError.invalidBase64(document: droppedDocument)
        }
    }

    static let maxKeyLength = 32

    /// What the intake reads of a whole document entry (the request decodes it all at `finish`).
    struct EntrySignatureType: Decodable {
        struct SignatureInfo: Decodable { var signatureType: String? }
        var signatureInfo: SignatureInfo?
    }

    /// 0: base64 alphabet; 1: anything else.
    /// Where the run of base64 alphabet characters (`A–Z a–z 0–9 + /`) starting at `start` ends:
    /// eight table look-ups and one branch per step (a branch per byte was 17 % of the gateway's
    /// time on CAdES intake, perf; Swift's `SIMD16` comparisons compiled to a scalar loop were
    /// slower still), the rest one by one.
    static func alphabetRunEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return start }
        return base64Classes.withUnsafeBufferPointer { table in
            // swift-format-ignore: NeverForceUnwrap
            let classes = table.baseAddress!
            var index = start
            while index + 8 <= bytes.count {
                let p = base + index
                let seen =
                    classes[Int(p[0])] | classes[Int(p[1])] | classes[Int(p[2])] | classes[Int(p[3])]
                    | classes[Int(p[4])] | classes[Int(p[5])] | classes[Int(p[6])] | classes[Int(p[7])]
                guard seen == 0 else { break }
                index += 8
            }
            while index < bytes.count, classes[Int(base[index])] == 0 { index += 1 }
            return index
        }
    }

    static let base64Classes: [UInt8] = (0...255).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            0
        default: 1
        }
    }
}
