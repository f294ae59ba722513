import Foundation

/// The views clients poll, written straight to bytes. Foundation's `JSONEncoder` took 60 % of a
/// status call (perf, 100 documents: a tree of boxed values per field, then a second pass to
/// write it). The output is the `Encodable` conformance's, byte for byte, with the encoder
/// `Response.json` uses (sorted keys, ISO 8601 dates, slashes unescaped): OperationViewJSONTests
/// compares the two.
extension OperationView {
    /// The view as `Response.json` would encode it.
    func jsonBytes() -> [UInt8] {
        var json = JSONWriter()
        write(to: &json)
        return json.bytes
    }

    /// A JSON array of views.
    static func jsonBytes(of views: [OperationView]) -> [UInt8] {
        var json = JSONWriter()
        json.open("[")
        for view in views { view.write(to: &json) }
        json.close("]")
        return json.bytes
    }

    /// `{…"documentList":[` and `]…}`: the parts around the documents, for results that write
    /// each document as it is read from the spool.
    func jsonHeadAndTail() -> (head: [UInt8], tail: [UInt8]) {
        var json = JSONWriter()
        write(to: &json, documents: false)
        let tail = [UInt8](json.bytes[json.documentListEnd...])
        return ([UInt8](json.bytes[..<json.documentListEnd]), tail)
    }

    func write(to json: inout JSONWriter, documents: Bool = true) {
        let created = creationDate.formatted(.iso8601)
        json.open("{")
        json.string("creationDate", created)
        if let description { json.string("description", description) }
        json.key("documentList")
        json.open("[")
        if documents {
            for document in documentList { document.write(to: &json, receptionDate: created) }
        }
        json.documentListEnd = json.bytes.count
        json.close("]")
        json.int("executionTime", executionTime)
        if let externalReference { json.string("externalReference", externalReference) }
        json.key("folder")
        json.open("{")
        if let description = folder.description { json.string("description", description) }
        if let reference = folder.externalReference { json.string("externalReference", reference) }
        json.string("folderContent", folder.folderContent)
        json.id("folderId", folder.folderId)
        json.close("}")
        if let folderExternalReference { json.string("folderExternalReference", folderExternalReference) }
        json.string("host", host)
        json.id("id", id)
        json.string("issuerClientServiceAlias", issuerClientServiceAlias)
        json.int("port", port)
        json.key("progress")
        json.open("{")
        json.int("failed", progress.failed)
        json.int("signed", progress.signed)
        json.int("total", progress.total)
        json.close("}")
        json.string("status", status.rawValue)
        json.string("type", type)
        json.close("}")
    }
}

extension OperationView.DocumentView {
    /// `receptionDate` comes formatted: every document of an operation shares it.
    func write(to json: inout JSONWriter, receptionDate formatted: String? = nil) {
        json.open("{")
        if let attempts { json.int("attempts", attempts) }
        if let contentLength { json.int("contentLength", contentLength) }
        json.string("contentType", contentType)
        json.key("documentAttributes")
        json.open("[")
        for attribute in documentAttributes {
            json.open("{")
            json.string("attributeKey", attribute.attributeKey)
            json.string("attributeValue", attribute.attributeValue)
            json.close("}")
        }
        json.close("]")
        if let externalReference { json.string("externalReference", externalReference) }
        json.int("internalId", internalId)
        json.string("name", name)
        json.string("receptionDate", formatted ?? receptionDate.formatted(.iso8601))
        json.string("signError", signError)
        if let signErrorDetail { json.string("signErrorDetail", signErrorDetail) }
        if let signErrorMessage { json.string("signErrorMessage", signErrorMessage) }
        json.string("signStatus", signStatus.rawValue)
        json.string("signatureType", signatureType)
        if let signedContent { json.string("signedContent", signedContent) }
        json.close("}")
    }
}

/// JSON text appended piece by piece: objects and arrays opened and closed in order, a key
/// before each member's value; commas are placed here.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Where the last `documentList` array's closing bracket goes (`jsonHeadAndTail`).
    var documentListEnd = 0
    /// Whether the next value is the first of its container (or follows its key): no comma.
    private var first = true

    init() { bytes.reserveCapacity(1024) }

    mutating func open(_ bracket: Unicode.Scalar) {
        separate()
        bytes.append(UInt8(ascii: bracket))
        first = true
    }

    mutating func close(_ bracket: Unicode.Scalar) {
        bytes.append(UInt8(ascii: bracket))
        first = false
    }

    /// A member's key; its value (`open`, or a value without a key) follows.
    mutating func key(_ name: String) {
        separate()
        append(string: name)
        bytes.append(UInt8(ascii: ":"))
        first = true
    }

    /// A string, or `null`; with a key, the member.
    mutating func string(_ key: String? = nil, _ value: String?) {
        if let key { self.key(key) }
        separate()
        if let value { append(string: value) } else { bytes += "null".utf8 }
    }

    mutating func int(_ key: String? = nil, _ value: Int) {
        if let key { self.key(key) }
        separate()
        bytes += String(value).utf8
    }

    /// A number for numeric ids, a string for ids older builds minted (as `ID.encode(to:)`).
    mutating func id(_ key: String, _ id: OperationView.ID) {
        if let number = OperationIDs.number(id.text) { int(key, Int(number)) } else { string(key, id.text) }
    }

    private mutating func separate() {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
    }

    /// RFC 8259 §7: quotation mark, reverse solidus and control characters escaped (as
    /// Foundation writes them), everything else as its UTF-8 bytes, copied in runs.
    private mutating func append(string: String) {
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var run = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<index]))
                appendEscaped(byte)
                run = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): bytes += #"\""#.utf8
        case UInt8(ascii: "\\"): bytes += #"\\"#.utf8
        case 0x08: bytes += #"\b"#.utf8
        case 0x0C: bytes += #"\f"#.utf8
        case 0x0A: bytes += #"\n"#.utf8
        case 0x0D: bytes += #"\r"#.utf8
        case 0x09: bytes += #"\t"#.utf8
        default:
            bytes += #"\u00"#.utf8
            bytes.append(Self.hex[Int(byte >> 4)])
            bytes.append(Self.hex[Int(byte & 0xF)])
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)
}
