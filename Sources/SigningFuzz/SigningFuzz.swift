// libFuzzer target over the whole document-signing path a signer runs for a JOB:
// DocumentSigner.sign (PDF parse, incremental update, CMS, signature, self-check) for PAdES and
// CAdES, with the job's parameters (signature type, visible placement with hostile numbers,
// reason, location) taken from the input's last bytes. Built by `scripts/fuzz.sh signing`
// (swift build -c release with -sanitize=fuzzer,address and -DFUZZING).
// With SIGNET_FUZZ_TYPE=XAdES (`scripts/fuzz.sh xml`) every input is an XML document signed as
// XAdES (libxml2 parse, DTD refusal, C14N, byte splicing), its advancedSignatureInfo chosen
// from the input's length, so a seed's bytes stay a document.
// Invariants: a refusal is a SigningError with a documented code; anything reported signed
// passes the gateway's own SignatureCheck (a valid signature of this document by this identity).
import Common
import Dispatch
import Foundation
import Signing

#if FUZZING
    /// The per-document codes of docs/api.md and docs/pdf.md.
    let documentedCodes: Set<String> = [
        "EMPTY_DOCUMENT", "NOT_A_PDF", "PDF_ENCRYPTED", "PDF_TRUNCATED", "PDF_BAD_XREF", "PDF_MALFORMED",
        "PDF_TOO_COMPLEX", "PDF_FIELD_NOT_FOUND", "PDF_PLACEHOLDER_NOT_FOUND", "PDF_BAD_VISIBLE_SIGNATURE",
        "PDF_CONTENTS_TOO_SMALL", "PDF_BAD_REQUEST", "INVALID_VISIBLE_SIGNATURE", "SIGNATURE_TOO_LARGE",
        "CONTENT_DIGEST_MISMATCH", "UNSUPPORTED_SIGNATURE_TYPE", "XML_MALFORMED", "XML_DTD_FORBIDDEN",
        "XML_UNSUPPORTED_ENCODING", "XML_SIGNATURE_LOCATION_NOT_FOUND", "INVALID_ADVANCED_SIGNATURE_INFO",
    ]

    /// `XAdES`: every input is signed as XAdES (`scripts/fuzz.sh xml`).
    let forcedType = ProcessInfo.processInfo.environment["SIGNET_FUZZ_TYPE"]

    /// XAdES parameters from the input's length: each transform, canonicalization and a few
    /// locations (present, absent, an empty-element tag, several matches).
    func xadesParameters(_ bytes: [UInt8]) -> SignatureParameters {
        let transforms = ["ENVELOPED", "XPATH", "XPATH2_FILTER"]
        let canonicals = ["EXCLUSIVE", "EXCLUSIVE_WITH_COMMENTS"]
        let locations: [String?] = [nil, "Invoice", "ext:ExtensionContent", "Missing", "cbc:Name", "a"]
        let n = bytes.count
        return SignatureParameters(
            signatureType: "XAdES",
            advancedSignature: AdvancedSignatureInfo(
                signatureLocation: locations[(n / 6) % locations.count], signatureTransform: transforms[n % 3],
                canonicalTransform: canonicals[(n / 3) % 2]))
    }

    /// The identity, signer and check, made once per process.
    final class Harness: Sendable {
        static let shared = Harness()
        let signer: DocumentSigner
        let check: SignatureCheck

        init() {
            do {
                let (key, certificate) = try DevelopmentIdentity.generate(commonName: "Signet fuzzing")
                signer = DocumentSigner(backend: try LocalKeyBackend(keyPEM: key, chainPEM: certificate))
                check = try SignatureCheck(certificateChainPEM: certificate)
            } catch {
                fatalError("fuzz harness: \(error)")
            }
        }
    }

    /// A 2 × 2 RGBA PNG (opaque, half and fully transparent pixels): the image path, alpha included.
    let tinyPNG =
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAFElEQVR4nGP4z8DwHwgbGMA0EAAAP9cIeY8TiooAAAAASUVORK5CYII="

    /// The job's parameters from the input's last four bytes; numbers go out of range on purpose.
    func parameters(_ bytes: [UInt8]) -> SignatureParameters {
        if forcedType == "XAdES" { return xadesParameters(bytes) }
        let tail = Array(bytes.suffix(4)) + [UInt8](repeating: 0, count: max(0, 4 - bytes.count))
        let numbers = ["1", "2", "0", "-1", "nan", "inf", "1e300", "14400", "14401", "72.5", "9223372036854775807"]
        func number(_ byte: UInt8) -> String { numbers[Int(byte) % numbers.count] }
        let templates = [
            "Signed by $certificate.getCommonName() ($!{certificate.getOrganization()}) on $date.get('yyyy-MM-dd')",
            "$certificate.getSerialNumber() $certificate.unknown() ${date} $ $! ${ $date.get('", "",
            String(repeating: "$certificate.getIssuerCommonName()", count: 60),
        ]
        var visible: VisibleSignatureInfo?
        switch tail[1] % 6 {
        case 1:
            visible = VisibleSignatureInfo(
                locationType: "COORDINATE",
                locationValue: "page=\(number(tail[2])),x=\(number(tail[3])),y=\(number(tail[2] >> 4))",
                area: "width=\(number(tail[3] >> 4)),height=50",
                areaBackgroundColor: tail[2] & 1 == 0 ? "#FFEECC" : nil,
                font: "color=#112233,size=\(number(tail[3]))")
        case 2:
            visible = VisibleSignatureInfo(
                locationType: "PLACEHOLDER", locationValue: "SIGNHERE", templateType: "ONE_OFF",
                oneOffTemplate: templates[Int(tail[2]) % templates.count])
        case 3:
            visible = VisibleSignatureInfo(
                locationType: "SIGN_FIELD", locationValue: "Approval", templateType: "SERVICE_CUSTOMIZATION")
        case 4:
            visible = VisibleSignatureInfo(
                locationType: "COORDINATE", locationValue: "page=1,x=10,y=10", font: "size=\(number(tail[2]))",
                imageType: "IMAGE_PNG", imageValue: tail[3] & 1 == 0 ? tinyPNG : String(tinyPNG.dropLast(8)))
        default: break
        }
        return SignatureParameters(
            signatureType: tail[0] % 4 == 0 ? "CAdES" : "PAdES", reason: tail[0] & 16 == 0 ? nil : "fuzz (é) \\)",
            location: tail[0] & 32 == 0 ? nil : "Lyon", visibleSignature: visible,
            visibleSignatureTemplate: tail[0] & 64 == 0 ? nil : templates[Int(tail[3]) % templates.count])
    }

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        let bytes = Array(UnsafeBufferPointer(start: data, count: size))
        let job = parameters(bytes)
        let harness = Harness.shared
        let done = DispatchSemaphore(value: 0)
        Task {
            defer { done.signal() }
            do {
                let signed = try await harness.signer.sign(
                    bytes, parameters: job, client: "fuzz", expectedDigest: sha256Hex(bytes))
                do {
                    try harness.check.check(signed: signed, original: bytes, signatureType: job.signatureType)
                } catch {
                    fatalError("reported signed but the gateway's check rejects it: \(error)")
                }
            } catch let error as SigningError {
                precondition(documentedCodes.contains(error.code), "undocumented code: \(error)")
            } catch {
                fatalError("not a SigningError: \(error)")
            }
        }
        done.wait()
        return 0
    }

    /// libFuzzer's driver, called from the executable's entry point: SwiftPM links an executable
    /// target's `main` to `<Module>_main`, so libFuzzer's own `main` is not the one that runs.
    @_silgen_name("LLVMFuzzerRunDriver")
    func llvmFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
    ) -> CInt

    @_cdecl("SigningFuzz_main")
    func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
        var count = argc
        var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
        return llvmFuzzerRunDriver(&count, &arguments, fuzzOneInput)
    }
#else
    /// Built without the fuzzer (a normal `swift build`), this only says how to run it.
    @main
    enum SigningFuzzMain {
        static func main() {
            FileHandle.standardError.write(Data("signing-fuzz: build and run it with scripts/fuzz.sh signing\n".utf8))
            exit(2)
        }
    }
#endif
