import Foundation

extension MultipartIntake {
    /// The boundary of a `Content-Type: multipart/form-data; boundary=...` header, quoted or not
    /// (RFC 2046: 1 to 70 characters).
    static func boundary(contentType: String) throws -> String {
        let header = HeaderValue(contentType)
        guard header.value.lowercased() == "multipart/form-data" else {
            throw APIError.invalidMultipart("the Content-Type is not multipart/form-data")
        }
        guard let boundary = header.parameter("boundary"), !boundary.isEmpty else {
            throw APIError.invalidMultipart("the Content-Type multipart/form-data has no boundary")
        }
        guard boundary.utf8.count <= 70, boundary.utf8.allSatisfy({ (0x20..<0x7F).contains($0) }) else {
            throw APIError.invalidMultipart("the multipart boundary must be 1 to 70 printable ASCII characters")
        }
        return boundary
    }
}

/// A header value with parameters, as in `Content-Type` and `Content-Disposition`:
/// `value; name=token; other="quoted \"string\""` (RFC 9110 §5.6.6).
struct HeaderValue {
    var value: String
    var parameters: [(name: String, value: String)] = []

    init(_ text: String) {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped {
                field.append(character)
                escaped = false
            } else if quoted && character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == ";" && !quoted {
                fields.append(field)
                field = ""
            } else {
                field.append(character)
            }
        }
        fields.append(field)
        value = fields[0].trimmingCharacters(in: .whitespaces)
        for parameter in fields.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            parameters.append(
                (
                    String(pair[0]).trimmingCharacters(in: .whitespaces).lowercased(),
                    String(pair[1]).trimmingCharacters(in: .whitespaces)
                ))
        }
    }

    /// The first parameter with this name (lower case), unquoted.
    func parameter(_ name: String) -> String? {
        parameters.first { $0.name == name }?.value
    }

    /// An RFC 8187 extended value, `UTF-8''%E2%82%AC%20rates.pdf`.
    static func decodeExtended(_ text: String) -> String? {
        let pieces = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { return nil }
        return String(pieces[2]).removingPercentEncoding
    }
}
