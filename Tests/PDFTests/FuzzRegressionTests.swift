import Foundation
import TestSupport
import Testing

@testable import PDF

/// Every input the fuzzer (fuzz.sh) found a problem with, replayed with the harness's invariants.
@Suite(.timeLimit(.minutes(5)))
struct FuzzRegressionTests {
    static let directory = Shell.packageRoot.appendingPathComponent("Tests/PDFTests/Fixtures/fuzz")
    static let inputs: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()

    /// The codes in docs/pdf.md's error table (section "Error codes"): the only ones a fixture
    /// may end with.
    static func documentedCodes() throws -> Set<String> {
        let doc = try String(
            contentsOf: Shell.packageRoot.appendingPathComponent("docs/pdf.md"), encoding: .utf8)
        let section = doc.components(separatedBy: "\n## Error codes\n").dropFirst().first ?? ""
        let table = section.components(separatedBy: "\n## ").first ?? ""
        let codes = table.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `"), let end = line.dropFirst(3).firstIndex(of: "`") else { return nil }
            return String(line[line.index(line.startIndex, offsetBy: 3)..<end])
        }
        return Set(codes)
    }

    /// Without this, a missing folder would turn `replay` into an empty test that passes.
    @Test func fixturesArePresent() throws {
        var isDirectory: ObjCBool = false
        try #require(
            FileManager.default.fileExists(atPath: Self.directory.path, isDirectory: &isDirectory)
                && isDirectory.boolValue, "missing \(Self.directory.path)")
        try #require(!Self.inputs.isEmpty, "no fixtures in \(Self.directory.path)")
        try #require(try Self.documentedCodes().count == 12, "docs/pdf.md's error table: 12 codes")
    }

    @Test(arguments: inputs)
    func replay(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(name)))
        try checkInvariants(bytes, documented: try Self.documentedCodes())
    }

    /// Same checks as Fuzz/FuzzEntry.swift.
    func checkInvariants(_ bytes: [UInt8], documented: Set<String>) throws {
        do {
            let image = try SignatureImage(bytes: bytes)
            #expect(image.width >= 1 && image.width <= SignatureImage.maxSide)
            #expect(image.height >= 1 && image.height <= SignatureImage.maxSide)
        } catch {
            #expect(error.code == "PDF_BAD_VISIBLE_SIGNATURE", "image: \(error)")
        }
        var request = PDFSignatureRequest(
            signingTime: Date(timeIntervalSince1970: 1_790_000_000), reason: "fuzz", signerName: "Fuzz",
            contentsCapacity: 64)
        request.visible = FuzzRequest.visible(bytes)
        request.appearance = FuzzRequest.appearance(bytes)
        var prepared: PreparedPDF
        do {
            prepared = try PDFSigner.prepare(bytes, request)
        } catch {
            // Refusing is fine, with a documented code and never an unexpected (untyped) error.
            #expect(documented.contains(error.code), "undocumented code: \(error)")
            #expect(!error.message.hasPrefix("unexpected error"), "\(error)")
            return
        }
        #expect(Array(prepared.bytes.prefix(bytes.count)) == bytes)
        let r = prepared.byteRange
        try #require(r.count == 4 && r[0] == 0 && r[1] < r[2] && r[2] + r[3] == prepared.bytes.count)
        #expect(prepared.bytes[r[1]] == UInt8(ascii: "<") && prepared.bytes[r[2] - 1] == UInt8(ascii: ">"))
        try prepared.embed(cms: [0x30, 0x03, 0x02, 0x01, 0x01])
        do {
            _ = try PDFSigner.prepare(prepared.bytes, request)
        } catch {
            let allowed = ["PDF_FIELD_NOT_FOUND", "PDF_PLACEHOLDER_NOT_FOUND", "PDF_BAD_VISIBLE_SIGNATURE"]
            #expect(allowed.contains(error.code), "re-reading our own output failed: \(error)")
        }
    }
}
