import AsyncHTTPClient
import Foundation
import NIOSSL

/// How answers and failures map to `CSCError`: pure functions of the status, the body and the
/// `Retry-After` header, so that the rules are tested without a service.
extension CSCError {
    /// An answer other than 200 from the token endpoint.
    static func fromTokenEndpoint(status: Int, body: [UInt8], retryAfter: Duration?, redacting secrets: [String])
        -> CSCError
    {
        let answer = ServiceAnswer(status: status, body: body, redacting: secrets)
        if let transient = transient(status: status, answer: answer, method: "oauth2/token", retryAfter: retryAfter) {
            return transient
        }
        switch (status, answer.error) {
        case (400, "invalid_client"), (401, _), (400, "unauthorized_client"), (400, "invalid_grant"):
            return .invalidClient("the token endpoint refuses this client id and secret (\(answer.summary))")
        default:
            return .protocolError("oauth2/token answered \(answer.summary)")
        }
    }

    /// An answer other than 200 from a CSC API method (after a 401 was answered by renewing the
    /// token once).
    static func fromAPI(
        method: String, status: Int, body: [UInt8], retryAfter: Duration?, redacting secrets: [String]
    ) -> CSCError {
        let answer = ServiceAnswer(status: status, body: body, redacting: secrets)
        if let transient = transient(status: status, answer: answer, method: method, retryAfter: retryAfter) {
            return transient
        }
        let text = (answer.error + " " + (answer.errorDescription ?? "")).lowercased()
        switch status {
        case 401:
            return .invalidClient("\(method): the service refuses a freshly issued access token (\(answer.summary))")
        case 403:
            return .credentialNotAllowed("\(method): the service does not allow this (\(answer.summary))")
        case 400, 404:
            if text.contains("credentialid") && !text.contains("missing") {
                return .credentialNotAllowed("\(method): unknown or foreign credential (\(answer.summary))")
            }
            if !text.contains("sad"),
                ["expired", "revoked", "suspended", "disabled"].contains(where: text.contains)
            {
                return .certificateUnusable("\(method): the credential cannot sign (\(answer.summary))")
            }
            return .protocolError("\(method) answered \(answer.summary)")
        default:
            return .protocolError("\(method) answered \(answer.summary)")
        }
    }

    private static func transient(status: Int, answer: ServiceAnswer, method: String, retryAfter: Duration?)
        -> CSCError?
    {
        guard status == 429 || status == 408 || (500...599).contains(status) else { return nil }
        return .transient("\(method) answered \(answer.summary)", retryAfter: retryAfter)
    }

    /// A failure before any answer: connection refused or reset, timeouts, TLS.
    static func fromTransport(_ error: any Error, method: String) -> CSCError {
        if let error = error as? CSCError { return error }
        if error is NIOSSLError || error is BoringSSLError {
            return .protocolError(
                "\(method): TLS with the service failed (is its certificate trusted? a private PKI needs its CA file configured): \(error)"
            )
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .invalidURL, .emptyHost, .emptyScheme, .proxyAuthenticationRequired, .invalidProxyConfiguration,
                .alreadyShutdown:
                return .protocolError("\(method): \(error)")
            default:
                break
            }
            if error.description.contains("unsupportedScheme") { return .protocolError("\(method): \(error)") }
        }
        return .transient("\(method): \(error)", retryAfter: nil)
    }
}

/// An error answer as the service sent it, reduced to what may go into a message: the status,
/// the OAuth/CSC `error` code and a short `error_description` with any secret the client sent
/// cut out.
struct ServiceAnswer {
    let status: Int
    let error: String
    let errorDescription: String?

    init(status: Int, body: [UInt8], redacting secrets: [String]) {
        self.status = status
        let decoded = try? JSONDecoder().decode(ErrorResponse.self, from: Data(body))
        error = Redaction.scrub(decoded?.error ?? "", removing: secrets, limit: 64)
        errorDescription = decoded?.errorDescription.map { Redaction.scrub($0, removing: secrets, limit: 200) }
    }

    var summary: String {
        var text = "HTTP \(status)"
        if !error.isEmpty { text += " \(error)" }
        if let errorDescription, !errorDescription.isEmpty { text += ": \(errorDescription)" }
        return text
    }
}

/// Keeps secrets out of messages built from a service's words.
enum Redaction {
    /// `text` without any of `secrets` (nor other than printable characters), at most `limit`
    /// characters long.
    static func scrub(_ text: String, removing secrets: [String], limit: Int) -> String {
        var text = String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
        for secret in secrets where secret.count >= 4 {
            text = text.replacingOccurrences(of: secret, with: "<redacted>")
        }
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }
}

/// `Retry-After` as seconds or as an HTTP date (RFC 9110 §10.2.3).
enum RetryAfter {
    static func parse(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value) { return seconds >= 0 ? .seconds(min(seconds, 86_400)) : nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        let seconds = max(0, min(date.timeIntervalSince(now), 86_400))
        return .milliseconds(Int64(seconds * 1000))
    }
}
