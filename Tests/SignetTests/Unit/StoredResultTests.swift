import Crypto
import Foundation
import TestSupport
import Testing

@testable import Gateway

/// How signed results are kept and sent back: an incremental update is stored as what it adds to
/// its document, and base64 made chunk by chunk equals base64 of the whole (docs/durability.md).
@Suite
struct StoredResultTests {
    /// The hub checks that a PAdES result starts with its document piece by piece, the document
    /// being a whole file (`<n>.in`, older builds) or a range of its operation's `documents.in`,
    /// between other documents' bytes; reading and hashing a range see only its bytes.
    @Test(arguments: [false, true])
    func aResultStartsWithItsDocumentOrNot(inSharedFile: Bool) throws {
        let ws = try Workspace("prefix")
        var random = SeededRandom(seed: 9)
        let document = (0..<(2_500_000)).map { _ in UInt8.random(in: 0...255, using: &random) }
        let before = [UInt8](repeating: 0xAA, count: inSharedFile ? 300_001 : 0)
        let after = [UInt8](repeating: 0xBB, count: inSharedFile ? 70_000 : 0)
        try ws.write("doc.in", before + document + after)
        let range = SpoolRange(
            path: ws.path("doc.in"), offset: before.count, length: inSharedFile ? document.count : nil)
        #expect(try Spool.prefixLength(of: range, in: document + [1, 2, 3]) == document.count)
        #expect(try Spool.prefixLength(of: range, in: document) == document.count)
        var changed = document + [1]
        changed[1_900_000] ^= 1
        #expect(try Spool.prefixLength(of: range, in: changed) == nil, "a byte differs in the second piece")
        #expect(try Spool.prefixLength(of: range, in: Array(document.prefix(1_500_000))) == nil, "shorter than it")
        var gone = range
        gone.path = ws.path("gone.in")
        #expect(throws: Spool.Problem.self) { try Spool.prefixLength(of: gone, in: document) }
        #expect(try Spool.read(range) == document)
        let hashed = try Spool.hash(range)
        #expect(hashed.length == document.count)
        #expect(hashed.hash.finalize() == SHA256.hash(data: document))
        // A range the file does not hold whole is an error, never a shorter document.
        if inSharedFile {
            var past = range
            past.offset += after.count + 1
            #expect(throws: Spool.Problem.self) { try Spool.hash(past) }
            #expect(throws: Spool.Problem.self) { try Spool.read(past) }
        }
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
