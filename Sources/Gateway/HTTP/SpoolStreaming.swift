import ExtrasBase64
import Foundation
import Hummingbird

#if canImport(Glibc)
    import Glibc
#endif

/// Writes responses straight from the spool and the stored results: a signed document as raw
/// bytes, or a result's JSON with each document's base64 made chunk by chunk. No response is
/// built whole in memory.
enum SpoolStreaming {
    /// Read size: a multiple of 3, so base64 chunks join without padding in between.
    static let chunkSize = 3 * 64 * 1024

    /// Where a signed document's bytes are: its stored result (after its input file when the
    /// result keeps it), or a result file written by a build that kept results as files
    /// (`spool/<id>/<n>.out`, docs/durability.md).
    enum SignedBytes: Sendable {
        /// A stored result, after its input when it keeps it (`input`'s length is known; 0 when
        /// the result does not keep it).
        case stored(StoredResult, input: SpoolRange)
        case file(String, size: Int)

        var size: Int {
            switch self {
            case .stored(let result, let input): result.size(inputSize: input.length ?? 0)
            case .file(_, let size): size
            }
        }

        /// Finds document `index`'s signed bytes; nil when none are stored.
        static func locate(_ operation: Operation, _ index: Int, in registry: OperationRegistry) async throws
            -> SignedBytes?
        {
            let spool = registry.spool
            if let stored = try await registry.result(operationID: operation.id, document: index) {
                var input = spool.content(operation.id, index, operation.documents[index])
                guard stored.keepsInput else {
                    input.length = 0
                    return .stored(stored, input: input)
                }
                if input.length == nil {
                    guard let size = fileSize(input.path) else { return nil }
                    input.length = size
                }
                return .stored(stored, input: input)
            }
            let legacy = spool.output(operation.id, index)
            return fileSize(legacy).map { .file(legacy, size: $0) }
        }

        /// Writes the bytes, base64-encoded when `encode`.
        func write(to writer: inout any ResponseBodyWriter, encode: Bool) async throws {
            var encoder = ChunkEncoder(base64: encode)
            switch self {
            case .stored(let result, let input):
                if result.keepsInput { try await copy(input, to: &writer, encoder: &encoder) }
                try await writer.write(ByteBuffer(bytes: encoder.next(result.tail[...])))
            case .file(let path, let size):
                try await copy(SpoolRange(path: path, offset: 0, length: size), to: &writer, encoder: &encoder)
            }
            let last = encoder.finish()
            if !last.isEmpty { try await writer.write(ByteBuffer(bytes: last)) }
        }
    }

    static func fileSize(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    /// Base64 across chunks of any length: whole 3-byte groups go out, up to 2 bytes wait for the
    /// next chunk (or `finish`). Without `base64`, bytes pass through.
    struct ChunkEncoder {
        let base64: Bool
        private var carry: [UInt8] = []

        init(base64: Bool) {
            self.base64 = base64
        }

        mutating func next(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            guard base64 else { return Array(bytes) }
            if carry.isEmpty && bytes.count % 3 == 0 { return Base64.encodeToBytes(bytes: bytes) }
            let joined = carry + bytes
            let whole = joined.count - joined.count % 3
            carry = Array(joined[whole...])
            return Base64.encodeToBytes(bytes: joined[..<whole])
        }

        mutating func finish() -> [UInt8] {
            defer { carry = [] }
            return base64 && !carry.isEmpty ? Base64.encodeToBytes(bytes: carry) : []
        }
    }

    /// Copies a range of a file (its length known) to the response through `encoder`; a file
    /// that ends before the range does is an error.
    static func copy(_ range: SpoolRange, to writer: inout any ResponseBodyWriter, encoder: inout ChunkEncoder)
        async throws
    {
        let path = range.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Spool.Problem("cannot open", path) }
        defer { close(fd) }
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var position = range.offset
        let end = range.offset + (range.length ?? 0)
        while position < end {
            let wanted = min(chunkSize, end - position)
            var filled = 0
            while filled < wanted {
                let n = chunk.withUnsafeMutableBytes {
                    pread(fd, $0.baseAddress.map { $0 + filled }, wanted - filled, off_t(position + filled))
                }
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw Spool.Problem("cannot read", path) }
                guard n > 0 else { throw Spool.Problem(description: "\(path) ends before its document does") }
                filled += n
            }
            position += filled
            try await writer.write(ByteBuffer(bytes: encoder.next(chunk[0..<filled])))
        }
    }

    /// The result JSON: the operation's view, then each document with its `signedContent` read
    /// from the spool and the stored results, encoded as it goes out.
    static func writeResult(
        _ view: OperationView, operation: Operation, registry: OperationRegistry,
        to writer: inout any ResponseBodyWriter
    ) async throws {
        let (head, tail) = view.jsonHeadAndTail()
        try await writer.write(ByteBuffer(bytes: head))
        let received = view.creationDate.formatted(.iso8601)
        for (index, document) in view.documentList.enumerated() {
            var json = JSONWriter()
            document.write(to: &json, receptionDate: received)
            var entry: [UInt8] = index > 0 ? [UInt8(ascii: ",")] : []
            entry += json.bytes.dropLast()  // the closing brace comes after signedContent
            if operation.documents[index].status == .signed,
                let signed = try await SignedBytes.locate(operation, index, in: registry)
            {
                entry += Array(#","signedContent":""#.utf8)
                try await writer.write(ByteBuffer(bytes: entry))
                try await signed.write(to: &writer, encode: true)
                try await writer.write(ByteBuffer(string: "\"}"))
            } else {
                entry.append(UInt8(ascii: "}"))
                try await writer.write(ByteBuffer(bytes: entry))
            }
        }
        try await writer.write(ByteBuffer(bytes: tail))
    }
}
