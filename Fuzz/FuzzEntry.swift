// libFuzzer entry point for the PDF module. Built by fuzz.sh together with Sources/PDF and
// Tests/PDFTests/Support/FuzzRequest.swift (the request, visible placements with hostile
// numbers included, and the appearance come from the input's last bytes):
//   swiftc -sanitize=fuzzer,address -parse-as-library -module-name PDFFuzz ...
// Every input is read as a PNG/JPEG signature image as well. Besides "no crash", it checks
// that a refusal carries a documented code, and invariants of successful preparations: the input is an exact prefix, the ByteRange frames the hole, the CMS
// embeds, and the output is prepared again (the whole prepare → embed → re-read path).
import Foundation

/// docs/pdf.md's error table (FuzzRegressionTests reads the table itself).
let documentedCodes: Set<String> = [
    "EMPTY_DOCUMENT", "NOT_A_PDF", "PDF_ENCRYPTED", "PDF_TRUNCATED", "PDF_BAD_XREF", "PDF_MALFORMED",
    "PDF_TOO_COMPLEX", "PDF_FIELD_NOT_FOUND", "PDF_PLACEHOLDER_NOT_FOUND", "PDF_BAD_VISIBLE_SIGNATURE",
    "PDF_CONTENTS_TOO_SMALL", "PDF_BAD_REQUEST",
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Every input is also an image for a visible signature (Fuzz/seeds has PNGs and JPEGs): the
    // reader decodes it within its bounds or refuses it with its code.
    do {
        let image = try SignatureImage(bytes: bytes)
        precondition(
            (1...SignatureImage.maxSide).contains(image.width) && (1...SignatureImage.maxSide).contains(image.height))
    } catch {
        precondition(error.code == "PDF_BAD_VISIBLE_SIGNATURE", "image: \(error)")
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
        precondition(documentedCodes.contains(error.code), "undocumented code: \(error)")
        precondition(!error.message.hasPrefix("unexpected error"), "\(error)")
        return 0
    }
    precondition(Array(prepared.bytes.prefix(bytes.count)) == bytes, "input is not a prefix")
    let r = prepared.byteRange
    precondition(r.count == 4 && r[0] == 0 && r[1] < r[2] && r[2] + r[3] == prepared.bytes.count, "bad ByteRange")
    precondition(prepared.bytes[r[1]] == UInt8(ascii: "<") && prepared.bytes[r[2] - 1] == UInt8(ascii: ">"))
    do {
        try prepared.embed(cms: [0x30, 0x03, 0x02, 0x01, 0x01])
    } catch {
        preconditionFailure("embed failed: \(error)")
    }
    do {
        _ = try PDFSigner.prepare(prepared.bytes, request)
    } catch {
        // The update we wrote must itself be readable; only the request-dependent errors may recur.
        let allowed = ["PDF_FIELD_NOT_FOUND", "PDF_PLACEHOLDER_NOT_FOUND", "PDF_BAD_VISIBLE_SIGNATURE"]
        precondition(allowed.contains(error.code), "re-reading our own output failed: \(error)")
    }
    return 0
}
