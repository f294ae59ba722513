import Foundation
import TestSupport
import Testing

@testable import Gateway

/// A request's documents go one after another into one file, `documents.in`, each at the offset
/// its row keeps. A document's first bytes wait in memory: a small document signed from its
/// digest never reaches the file, a kept one is written whole at `finish`, a large one spills as
/// it grows.
struct SpoolFileSinkTests {
    static func folder() throws -> (IncomingFolder, SpoolContentFile, Workspace) {
        let workspace = try Workspace("sink")
        try FileManager.default.createDirectory(at: workspace.url("in"), withIntermediateDirectories: true)
        let folder = IncomingFolder(path: workspace.path("in"))
        return (folder, SpoolContentFile(folder: folder), workspace)
    }

    static func files(_ folder: IncomingFolder) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    static func contents(_ folder: IncomingFolder) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(folder.path)/\(SpoolContentFile.name)")))
    }

    static func bytes(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed }
    }

    @Test func aSmallDocumentWaitsInMemoryUntilItIsKeptOrDiscarded() throws {
        let (folder, file, workspace) = try Self.folder()
        defer { withExtendedLifetime(workspace) {} }
        let kept = SpoolFileSink(file: file, folder: folder, document: 0)
        let discarded = SpoolFileSink(file: file, folder: folder, document: 1)
        let bytes = Self.bytes(100_000, seed: 0)
        for sink in [kept, discarded] {
            try bytes.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[..<60_000])) }
            try bytes.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[60_000...])) }
        }
        #expect(try Self.files(folder).isEmpty)
        discarded.discardFile()
        let digest = kept.finish()
        try folder.syncs.wait()
        #expect(try Self.files(folder) == [SpoolContentFile.name])
        #expect(try Self.contents(folder) == bytes)
        #expect(kept.offset == 0 && discarded.offset == nil)
        #expect(digest == discarded.finish())
        #expect(kept.length == bytes.count)
    }

    /// Large and small documents, kept and discarded, in the order a body brings them: each kept
    /// one's bytes are at its offset; a spilled one that is discarded is cut from the file's end,
    /// so it is never synced; one that another document follows stays, named by no row.
    @Test func documentsFollowEachOtherAtTheirOffsets() throws {
        let (folder, file, workspace) = try Self.folder()
        defer { withExtendedLifetime(workspace) {} }
        let plan: [(size: Int, kept: Bool)] = [
            (300_000, true), (10, true), (400_000, false), (0, true), (70_000, false), (500_000, true),
        ]
        var sinks: [SpoolFileSink] = []
        for (index, entry) in plan.enumerated() {
            let sink = SpoolFileSink(file: file, folder: folder, document: index)
            let bytes = Self.bytes(entry.size, seed: UInt8(index))
            // In pieces of 64 KiB, as a body arrives.
            for start in stride(from: 0, to: bytes.count, by: 65_536) {
                try bytes.withUnsafeBytes {
                    try sink.write(UnsafeRawBufferPointer(rebasing: $0[start..<min(start + 65_536, bytes.count)]))
                }
            }
            if entry.kept { _ = sink.finish() } else { sink.discardFile() }
            sinks.append(sink)
        }
        try folder.syncs.wait()
        var written = try Self.contents(folder)
        // The discarded 400 KB document had spilled and was cut; the 70 KB one never reached the file.
        #expect(written.count == 300_000 + 10 + 0 + 500_000)
        for (index, entry) in plan.enumerated() {
            guard entry.kept else {
                #expect(sinks[index].offset == nil)
                continue
            }
            let offset = try #require(sinks[index].offset)
            // A Bool, not the arrays: a failure would describe 500,000 elements.
            let same = written[offset..<(offset + entry.size)].elementsEqual(Self.bytes(entry.size, seed: UInt8(index)))
            #expect(same, "document \(index) at \(offset)")
        }
        #expect(sinks.compactMap(\.offset) == [0, 300_000, 300_010, 300_010])
        // Discarded after others followed it (multipart, its type known at the end): it stays.
        sinks[1].discardFile()
        written = try Self.contents(folder)
        #expect(written.count == 800_010 && sinks[1].offset == nil)
        // The last one is the file's end: cut.
        sinks[5].discardFile()
        #expect(try Self.contents(folder).count == 300_010)
    }

    /// Two documents cannot be written at once: their bytes would interleave.
    @Test func aSecondDocumentCannotSpillWhileOneIsBeingWritten() throws {
        let (folder, file, workspace) = try Self.folder()
        defer { withExtendedLifetime(workspace) {} }
        let first = SpoolFileSink(file: file, folder: folder, document: 0)
        let second = SpoolFileSink(file: file, folder: folder, document: 1)
        let piece = [UInt8](repeating: 0x5A, count: 300_000)
        try piece.withUnsafeBytes { try first.write($0) }
        #expect(throws: Spool.Problem.self) { try piece.withUnsafeBytes { try second.write($0) } }
        _ = first.finish()
        try piece.withUnsafeBytes { try second.write($0) }
        #expect(second.offset == 300_000)
    }

    @Test func aFileThatCannotBeMadeFailsTheWait() throws {
        let (folder, file, workspace) = try Self.folder()
        let sink = SpoolFileSink(file: file, folder: folder, document: 0)
        try [UInt8](repeating: 1, count: 10).withUnsafeBytes { try sink.write($0) }
        try FileManager.default.removeItem(at: workspace.url("in"))
        _ = sink.finish()
        #expect(throws: Spool.Problem.self) { try folder.syncs.wait() }
    }
}
