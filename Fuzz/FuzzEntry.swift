// libFuzzer entry point for the PDF module. Built by fuzz.sh together with Sources/PDF:
//   swiftc -sanitize=fuzzer,address -parse-as-library -module-name PDFFuzz ...
// Besides "no crash", it checks invariants of successful preparations: the input is an exact
// prefix, the ByteRange frames the hole, and the output parses again as a PDF.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let selector = bytes.last ?? 0
    var request = PDFSignatureRequest(
        signingTime: Date(timeIntervalSince1970: 1_790_000_000), reason: "fuzz", signerName: "Fuzz",
        contentsCapacity: 64)
    switch selector % 4 {
    case 1: request.visible = .coordinates(page: 1, x: 10, y: 10, width: 50, height: 20)
    case 2: request.visible = .placeholder(word: "SIGNHERE", width: 50, height: 20)
    case 3: request.visible = .field(name: "Approval")
    default: break
    }
    guard var prepared = try? PDFSigner.prepare(bytes, request) else { return 0 }
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
