import Foundation
import TestSupport
import Testing

@testable import Gateway

/// A document's first bytes wait in memory: a small document signed from its digest never makes
/// a file, a kept one is written whole at `finish`, a large one spills as it grows.
struct SpoolFileSinkTests {
    static func folder() throws -> (IncomingFolder, Workspace) {
        let workspace = try Workspace("sink")
        try FileManager.default.createDirectory(at: workspace.url("in"), withIntermediateDirectories: true)
        return (IncomingFolder(path: workspace.path("in")), workspace)
    }

    static func files(_ folder: IncomingFolder) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    @Test func aSmallDocumentWaitsInMemoryUntilItIsKeptOrDiscarded() throws {
        let (folder, workspace) = try Self.folder()
        defer { withExtendedLifetime(workspace) {} }
        let kept = SpoolFileSink(folder: folder, document: 0)
        let discarded = SpoolFileSink(folder: folder, document: 1)
        let bytes = [UInt8]((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        for sink in [kept, discarded] {
            try bytes.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[..<60_000])) }
            try bytes.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[60_000...])) }
        }
        #expect(try Self.files(folder).isEmpty)
        discarded.discardFile()
        let digest = kept.finish()
        try folder.syncs.wait()
        #expect(try Self.files(folder) == ["0.in"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(folder.path)/0.in")) == Data(bytes))
        #expect(digest == discarded.finish())
        #expect(kept.length == bytes.count)
    }

    @Test func aLargeDocumentSpillsToItsFileAsItGrows() throws {
        let (folder, workspace) = try Self.folder()
        defer { withExtendedLifetime(workspace) {} }
        let sink = SpoolFileSink(folder: folder, document: 3)
        let piece = [UInt8](repeating: 0x5A, count: 100_000)
        for _ in 0..<3 { try piece.withUnsafeBytes { try sink.write($0) } }
        // Past the limit: the file holds everything so far.
        #expect(try Self.files(folder) == ["3.in"])
        _ = sink.finish()
        try folder.syncs.wait()
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(folder.path)/3.in")).count == 300_000)
        // A spilled document signed from its digest leaves nothing either.
        let other = SpoolFileSink(folder: folder, document: 4)
        for _ in 0..<3 { try piece.withUnsafeBytes { try other.write($0) } }
        other.discardFile()
        #expect(try Self.files(folder) == ["3.in"])
    }

    @Test func aFileThatCannotBeMadeFailsTheWait() throws {
        let (folder, workspace) = try Self.folder()
        let sink = SpoolFileSink(folder: folder, document: 0)
        try [UInt8](repeating: 1, count: 10).withUnsafeBytes { try sink.write($0) }
        try FileManager.default.removeItem(at: workspace.url("in"))
        _ = sink.finish()
        #expect(throws: Spool.Problem.self) { try folder.syncs.wait() }
    }
}
