import Foundation
import TestSupport
import Testing

@testable import Gateway

/// How signed results are kept and sent back: an incremental update is stored as what it adds to
/// its document, and base64 made chunk by chunk equals base64 of the whole (docs/durability.md).
@Suite
struct StoredResultTests {
    /// The hub checks that a PAdES result starts with its spool file piece by piece (1 MiB).
    @Test func aResultStartsWithItsSpoolFileOrNot() throws {
        let ws = try Workspace("prefix")
        var random = SeededRandom(seed: 9)
        let document = (0..<(2_500_000)).map { _ in UInt8.random(in: 0...255, using: &random) }
        try ws.write("doc.in", document)
        let path = ws.path("doc.in")
        #expect(try Spool.prefixLength(of: path, in: document + [1, 2, 3]) == document.count)
        #expect(try Spool.prefixLength(of: path, in: document) == document.count)
        var changed = document + [1]
        changed[1_900_000] ^= 1
        #expect(try Spool.prefixLength(of: path, in: changed) == nil, "a byte differs in the second piece")
        #expect(try Spool.prefixLength(of: path, in: Array(document.prefix(1_500_000))) == nil, "shorter than the file")
        #expect(throws: Spool.Problem.self) { try Spool.prefixLength(of: ws.path("gone.in"), in: document) }
    }

    @Test func anUpdateThatKeepsTheDocumentIsStoredAsWhatItAdds() {
        let original: [UInt8] = Array("%PDF-1.7 original".utf8)
        let signed = original + Array("\n% update".utf8)
        let stored = StoredResult(signed: signed, original: original)
        #expect(stored == StoredResult(keepsInput: true, tail: Array("\n% update".utf8)))
        #expect(stored.size(inputSize: original.count) == signed.count)
        // A result that does not start with the document (a .p7s), or is no longer than it, or
        // whose document is unknown or empty, is kept whole.
        for (result, document) in [
            ([UInt8](repeating: 7, count: 40), original), (original, original), (Array(original.dropLast()), original),
            (signed, nil), (signed, []),
        ] {
            #expect(StoredResult(signed: result, original: document) == .init(keepsInput: false, tail: result))
        }
        var changed = signed
        changed[3] ^= 1
        #expect(!StoredResult(signed: changed, original: original).keepsInput)
    }

    @Test func base64ByChunksOfAnyLengthEqualsTheWhole() {
        var random = SeededRandom(seed: 7)
        for _ in 0..<200 {
            let bytes = (0..<random.next(below: 400)).map { _ in UInt8.random(in: 0...255, using: &random) }
            var encoder = SpoolStreaming.ChunkEncoder(base64: true)
            var out: [UInt8] = []
            var at = 0
            while at < bytes.count {
                let end = min(bytes.count, at + 1 + random.next(below: 20))
                out += encoder.next(bytes[at..<end])
                at = end
            }
            out += encoder.finish()
            #expect(String(decoding: out, as: UTF8.self) == Data(bytes).base64EncodedString())
        }
        var raw = SpoolStreaming.ChunkEncoder(base64: false)
        #expect(raw.next([1, 2][...]) + raw.next([3][...]) + raw.finish() == [1, 2, 3])
    }
}
