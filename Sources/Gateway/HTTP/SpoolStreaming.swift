import ExtrasBase64
import Foundation
import Hummingbird

#if canImport(Glibc)
    import Glibc
#endif

/// Writes responses straight from spool files: a signed document as raw bytes, or a result's
/// JSON with each document's base64 made chunk by chunk. No response is built whole in memory.
enum SpoolStreaming {
    /// Read size: a multiple of 3, so base64 chunks join without padding in between.
    static let chunkSize = 3 * 64 * 1024

    /// Copies a file to the response, base64-encoded when `encode`.
    static func copy(_ path: String, to writer: inout any ResponseBodyWriter, encode: Bool) async throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Spool.Problem("cannot open", path) }
        defer { close(fd) }
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while true {
            var filled = 0
            while filled < chunkSize {
                let n = chunk.withUnsafeMutableBytes {
                    read(fd, $0.baseAddress.map { $0 + filled }, chunkSize - filled)
                }
                if n < 0 && errno == EINTR { continue }
                guard n >= 0 else { throw Spool.Problem("cannot read", path) }
                if n == 0 { break }
                filled += n
            }
            if filled == 0 { return }
            let slice = chunk[0..<filled]
            let bytes = encode ? Base64.encodeToBytes(bytes: slice) : Array(slice)
            try await writer.write(ByteBuffer(bytes: bytes))
            if filled < chunkSize { return }
        }
    }

    /// The result JSON: the operation's view, then each document with its `signedContent` read
    /// from the spool and encoded as it goes out.
    static func writeResult(
        _ view: OperationView, operation: Operation, spool: Spool, to writer: inout any ResponseBodyWriter
    ) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        var head = view
        head.documentList = []
        let headBytes = [UInt8](try encoder.encode(head))
        // Split `{…"documentList":[]…}` around the list (quotes inside string values are escaped,
        // so this sequence is the key).
        let marker = [UInt8](#""documentList":[]"#.utf8)
        guard let at = headBytes.firstRange(of: marker)?.lowerBound else {
            throw EncodingError.invalidValue(head, .init(codingPath: [], debugDescription: "no documentList"))
        }
        try await writer.write(ByteBuffer(bytes: headBytes[..<(at + marker.count - 1)]))
        for (index, document) in view.documentList.enumerated() {
            var entry = [UInt8](try encoder.encode(document))
            entry.removeLast()  // the closing brace
            if index > 0 { entry.insert(UInt8(ascii: ","), at: 0) }
            if operation.documents[index].status == .signed {
                entry += Array(#","signedContent":""#.utf8)
                try await writer.write(ByteBuffer(bytes: entry))
                try await copy(spool.output(operation.id, index), to: &writer, encode: true)
                try await writer.write(ByteBuffer(string: "\"}"))
            } else {
                entry.append(UInt8(ascii: "}"))
                try await writer.write(ByteBuffer(bytes: entry))
            }
        }
        try await writer.write(ByteBuffer(bytes: headBytes[(at + marker.count - 1)...]))
    }
}
