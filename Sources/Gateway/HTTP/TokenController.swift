import Foundation
import HTTPTypes
import Hummingbird

/// `POST /oauth/token`: OAuth2 client_credentials (RFC 6749 §4.4). Credentials come in HTTP
/// Basic or as `client_id` / `client_secret` form fields. Errors use RFC 6749's body.
struct TokenController: Sendable {
    let auth: Authenticator

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/oauth/token") { request, _ in try await self.token(request) }
    }

    /// RFC 6749 §5.1 field names.
    private struct TokenResponse: Encodable {
        let accessToken: String
        let tokenType = "Bearer"
        let expiresIn: Int

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token"
            case tokenType = "token_type"
            case expiresIn = "expires_in"
        }
    }

    func token(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        let form = Self.parseForm(String(buffer: body))
        guard form["grant_type"] == "client_credentials" else {
            return Self.oauthError(.badRequest, "unsupported_grant_type", "grant_type must be client_credentials")
        }
        let basic = request.headers[.authorization].flatMap(Authenticator.basicCredentials)
        guard let (id, secret) = basic ?? form["client_id"].flatMap({ id in form["client_secret"].map { (id, $0) } })
        else {
            return Self.oauthError(.unauthorized, "invalid_client", "client credentials are required")
        }
        guard auth.clients.verify(clientID: id, secret: secret) else {
            return Self.oauthError(.unauthorized, "invalid_client", "invalid client credentials")
        }
        let token = TokenResponse(
            accessToken: auth.issueToken(clientID: id), expiresIn: Int(auth.tokenLifetime.components.seconds))
        var headers: HTTPFields = [.cacheControl: "no-store"]
        headers[.pragma] = "no-cache"
        return try .json(token, headers: headers)
    }

    static func parseForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        return fields
    }

    static func oauthError(_ status: HTTPResponse.Status, _ code: String, _ description: String) -> Response {
        let body = #"{"error":"\#(code)","error_description":"\#(description)"}"#
        var headers: HTTPFields = [.contentType: "application/json"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Basic realm=\"signet\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
