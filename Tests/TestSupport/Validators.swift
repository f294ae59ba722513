import Foundation

/// Ghostscript's `pdfwrite`: PDFs made at test time from PostScript.
public enum Ghostscript {
    /// Writes `postScript` to `<name>.ps` in `ws`, converts it to `name` and returns the PDF.
    @discardableResult
    public static func pdf(fromPostScript postScript: String, in ws: Workspace, name: String = "gs.pdf") throws
        -> [UInt8]
    {
        let source = (name as NSString).deletingPathExtension + ".ps"
        try ws.write(source, text: postScript)
        try Shell.check(
            "gs",
            [
                "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-sOutputFile=" + ws.path(name),
                ws.path(source),
            ])
        return try ws.read(name)
    }
}

/// `pyhanko sign validate`. Its exit status is 0 for a file without any signature, so callers
/// must also look at `signatures`.
public enum PyHanko {
    public struct Validation: Sendable {
        /// Exit status: 0 when every signature found validates.
        public let status: Int32
        /// One summary line per signature found (`Field:fingerprint:INTACT:TRUSTED,…`).
        public let signatures: [String]
        public let output: String

        /// All validate, and there are exactly `count` of them.
        public func isValid(signatures count: Int) -> Bool {
            status == 0 && signatures.count == count
                && signatures.allSatisfy { $0.contains(":INTACT:TRUSTED") }
        }
    }

    /// Validates every signature of `path` against `trust` (replacing the system trust roots),
    /// without revocation checks. `lenient` adds `--no-strict-syntax`; `prettyPrint` adds the
    /// long report to `output` (the summary lines are read from a second, plain run).
    public static func validate(
        _ path: String, trust: [String], lenient: Bool = false, prettyPrint: Bool = false
    ) throws -> Validation {
        var arguments = ["sign", "validate", "--no-revocation-check"]
        for certificate in trust { arguments += ["--trust", certificate] }
        arguments.append("--trust-replace")
        if lenient { arguments.append("--no-strict-syntax") }
        let summary = try Shell.run("pyhanko", arguments + [path])
        var output = summary.output
        if prettyPrint { output += try Shell.run("pyhanko", arguments + ["--pretty-print", path]).output }
        let lines = summary.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        return Validation(status: summary.status, signatures: lines, output: output)
    }
}

/// `pdfsig` (poppler). It exits 0 even for untrusted signatures: read its counts.
public enum PDFSig {
    public struct Report: Sendable {
        public let signatures: Int
        /// "Signature is Valid" lines (the certificate may still be untrusted).
        public let valid: Int
        public let output: String
    }

    public static func check(_ path: String) throws -> Report {
        let result = try Shell.run("pdfsig", [path])
        let valid = result.stdout.components(separatedBy: "Signature is Valid").count - 1
        let total = result.stdout.components(separatedBy: "Signature Validation:").count - 1
        return Report(signatures: total, valid: valid, output: result.output)
    }
}
