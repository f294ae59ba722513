/// `oauth2/token` with `grant_type=client_credentials` (CSC API v2 §8.3.3, RFC 6749 §4.4). The
/// request is a form (`application/x-www-form-urlencoded`), not JSON; see `TokenRequest.formBody`.
public struct TokenRequest: Sendable, Equatable, CustomStringConvertible {
    public var clientID: String
    public var clientSecret: String

    public init(clientID: String, clientSecret: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
    }

    /// `grant_type=client_credentials&client_id=…&client_secret=…`, form-encoded.
    public var formBody: String {
        "grant_type=client_credentials&client_id=\(FormEncoding.encode(clientID))"
            + "&client_secret=\(FormEncoding.encode(clientSecret))"
    }

    public var description: String { "TokenRequest(clientID: \(clientID), clientSecret: <redacted>)" }
}

public struct TokenResponse: Codable, Sendable, Equatable, CustomStringConvertible {
    public var accessToken: String
    public var tokenType: String?
    /// Seconds the token stays valid.
    public var expiresIn: Int?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
    }

    public init(accessToken: String, tokenType: String? = "Bearer", expiresIn: Int?) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.expiresIn = expiresIn
    }

    public var description: String {
        "TokenResponse(accessToken: <redacted>, tokenType: \(tokenType ?? "-"), expiresIn: \(expiresIn.map(String.init) ?? "-"))"
    }
}

/// `application/x-www-form-urlencoded` as HTML and RFC 6749 use it.
public enum FormEncoding {
    /// Percent-encodes everything but unreserved characters; a space becomes `+`.
    public static func encode(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// The name-value pairs of a form body; `nil` when a percent escape is broken.
    public static func decode(_ body: String) -> [String: String]? {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = unescape(parts[0]) else { return nil }
            guard let value = parts.count > 1 ? unescape(parts[1]) : "" else { return nil }
            fields[name] = value
        }
        return fields
    }

    private static func unescape(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
