import ExtrasBase64

/// Decodes one base64 text that arrives in pieces, straight into a `DocumentSink`.
///
/// Strict: the standard alphabet, `=` padding only at the very end, a length that is a multiple
/// of 4 (line breaks are the caller's to drop). Clean characters are gathered in a reusable batch
/// (a multiple of 4) that is decoded and written at once, so the sink sees few, large writes and
/// nothing is allocated per document. One instance serves every document of a request, in turn.
final class Base64Stream {
    /// The text is not valid base64; the caller knows which document it was.
    struct Invalid: Error {}

    static let batchSize = 64 * 1024

    private let characters: UnsafeMutableBufferPointer<UInt8>
    private let decoded: UnsafeMutableBufferPointer<UInt8>
    private var buffered = 0
    private var total = 0
    private var padding = 0
    private var sink: (any DocumentSink)?

    init() {
        characters = .allocate(capacity: Self.batchSize)
        decoded = .allocate(capacity: Base64.decodedLength(bytesCount: Self.batchSize))
    }

    deinit {
        characters.deallocate()
        decoded.deallocate()
    }

    /// Starts a new text whose bytes go to `sink`.
    func begin(_ sink: any DocumentSink) {
        self.sink = sink
        buffered = 0
        total = 0
        padding = 0
    }

    /// Appends characters already known to be in the alphabet (`A–Z a–z 0–9 + /`).
    func append(alphabet run: UnsafeRawBufferPointer) throws {
        guard padding == 0 else { throw Invalid() }
        var start = 0
        while start < run.count {
            let count = min(run.count - start, Self.batchSize - buffered)
            UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(characters)[buffered...])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: run[start..<start + count]))
            buffered += count
            total += count
            start += count
            if buffered == Self.batchSize { try flush() }
        }
    }

    /// Appends one character: from the alphabet, or `=`.
    func append(_ character: UInt8) throws {
        if character == UInt8(ascii: "=") {
            padding += 1
            guard padding <= 2 else { throw Invalid() }
        } else {
            guard padding == 0 else { throw Invalid() }
        }
        characters[buffered] = character
        buffered += 1
        total += 1
        if buffered == Self.batchSize { try flush() }
    }

    /// The text has ended: decodes what is left and releases the sink.
    func end() throws {
        defer { sink = nil }
        guard total % 4 == 0 else { throw Invalid() }
        try flush()
    }

    /// Forgets the current text (after an error).
    func reset() {
        sink = nil
        buffered = 0
    }

    private func flush() throws {
        guard buffered > 0, let sink else { return }
        let length: Int
        do {
            var output = decoded.mutableSpan
            length = try Base64.decode(
                bytes: UnsafeBufferPointer(rebasing: characters[..<buffered]).span, into: &output)
        } catch {
            throw Invalid()
        }
        buffered = 0
        try sink.write(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(decoded)[..<length]))
    }
}
