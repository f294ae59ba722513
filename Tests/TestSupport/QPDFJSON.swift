import Foundation

/// Reads objects of a PDF through `qpdf --json` (an independent parser).
public struct QPDFJSON {
    public let objects: [String: Any]

    public init(path: String) throws {
        let result = try Shell.check("qpdf", ["--json=2", "--json-key=qpdf", path])
        let root = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let qpdf = root?["qpdf"] as? [Any]
        objects = qpdf?.dropFirst().first as? [String: Any] ?? [:]
    }

    public func value(_ key: String) -> [String: Any]? {
        (objects[key] as? [String: Any])?["value"] as? [String: Any]
    }

    /// The value of `N G R` (a stream's dictionary for streams), following references.
    public func resolve(_ item: Any?) -> Any? {
        var current = item
        for _ in 0..<32 {
            guard let ref = current as? String, Self.isReference(ref) else { return current }
            let wrapper = objects["obj:" + ref] as? [String: Any]
            current = wrapper?["value"] ?? (wrapper?["stream"] as? [String: Any])?["dict"]
        }
        return nil
    }

    public func isStream(_ ref: String) -> Bool { (objects["obj:" + ref] as? [String: Any])?["stream"] != nil }

    public static func isReference(_ text: String) -> Bool {
        let parts = text.split(separator: " ")
        return parts.count == 3 && parts[2] == "R" && Int(parts[0]) != nil && Int(parts[1]) != nil
    }

    /// Signature fields by their /T, as references (`N G R`).
    public func signatureFieldRefs() -> [String: String] {
        var out: [String: String] = [:]
        for (key, wrapper) in objects where key.hasPrefix("obj:") {
            guard let dict = (wrapper as? [String: Any])?["value"] as? [String: Any], let t = dict["/T"] as? String,
                (dict["/FT"] ?? (resolve(dict["/Parent"]) as? [String: Any])?["/FT"]) as? String == "/Sig"
            else { continue }
            out[t.hasPrefix("u:") ? String(t.dropFirst(2)) : t] = String(key.dropFirst(4))
        }
        return out
    }

    /// The page objects in order (`N G R`), from qpdf's page list.
    public static func pageRefs(path: String) throws -> [String] {
        let result = try Shell.check("qpdf", ["--json=2", "--json-key=pages", path])
        let root = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (root?["pages"] as? [[String: Any]] ?? []).compactMap { $0["object"] as? String }
    }

    public static func numbers(_ item: Any?) -> [Double] {
        (item as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue }
    }

    /// Dictionaries of signature fields by their /T (qpdf writes strings as "u:text").
    public func signatureWidgets() -> [String: [String: Any]] {
        var out: [String: [String: Any]] = [:]
        for (_, wrapper) in objects {
            guard let dict = (wrapper as? [String: Any])?["value"] as? [String: Any],
                dict["/FT"] as? String == "/Sig", let t = dict["/T"] as? String
            else { continue }
            out[t.hasPrefix("u:") ? String(t.dropFirst(2)) : t] = dict
        }
        return out
    }

    public static func rect(_ dict: [String: Any]?) -> [Double] {
        (dict?["/Rect"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue }
    }
}

/// Word boxes from `pdftotext -bbox` (poppler), in PDF user space (origin bottom-left).
public struct WordBoxes {
    public struct Box {
        public let word: String
        public let page: Int
        public let xMin: Double, yBottom: Double, xMax: Double, yTop: Double
    }
    public let boxes: [Box]

    public init(path: String, ws: Workspace) throws {
        try Shell.check("pdftotext", ["-bbox", path, ws.path("bbox.html")])
        let html = String(decoding: try ws.read("bbox.html"), as: UTF8.self)
        var result: [Box] = []
        var page = 0
        var height = 0.0
        for line in html.split(separator: "\n") {
            if line.contains("<page ") {
                page += 1
                height = Self.attribute("height", line) ?? 0
            } else if line.contains("<word "), let x0 = Self.attribute("xMin", line),
                let y0 = Self.attribute("yMin", line),
                let x1 = Self.attribute("xMax", line), let y1 = Self.attribute("yMax", line),
                let start = line.firstIndex(of: ">"), let end = line.range(of: "</word>")
            {
                let word = String(line[line.index(after: start)..<end.lowerBound])
                result.append(Box(word: word, page: page, xMin: x0, yBottom: height - y1, xMax: x1, yTop: height - y0))
            }
        }
        boxes = result
    }

    private static func attribute(_ name: String, _ line: Substring) -> Double? {
        guard let r = line.range(of: name + "=\"") else { return nil }
        let rest = line[r.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return Double(rest[..<end])
    }
}
