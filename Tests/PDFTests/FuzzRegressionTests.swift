import Foundation
import TestSupport
import Testing

@testable import PDF

/// Every input the fuzzer (fuzz.sh) found a problem with, replayed with the harness's invariants.
struct FuzzRegressionTests {
    static let directory = Shell.packageRoot.appendingPathComponent("Tests/PDFTests/Fixtures/fuzz")
    static let inputs: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()

    @Test(arguments: inputs)
    func replay(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(name)))
        try checkInvariants(bytes)
    }

    /// Same checks as Fuzz/FuzzEntry.swift.
    func checkInvariants(_ bytes: [UInt8]) throws {
        var request = PDFSignatureRequest(
            signingTime: Date(timeIntervalSince1970: 1_790_000_000), reason: "fuzz", signerName: "Fuzz",
            contentsCapacity: 64)
        switch (bytes.last ?? 0) % 4 {
        case 1: request.visible = .coordinates(page: 1, x: 10, y: 10, width: 50, height: 20)
        case 2: request.visible = .placeholder(word: "SIGNHERE", width: 50, height: 20)
        case 3: request.visible = .field(name: "Approval")
        default: break
        }
        guard var prepared = try? PDFSigner.prepare(bytes, request) else { return }
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
