import HTTPTypes
import Hummingbird
import Logging

/// Gives every answer an `X-Request-Id`: the one the client (or a proxy in front) sent when it is
/// sane, else the id Hummingbird gave the request. The id is also the request logger's
/// `request.id` metadata, so a client's report and the gateway's log lines meet.
///
/// Added to the router before any route, so it wraps every route and the not-found answer. Errors
/// thrown below it are turned into their answer here (as Hummingbird would do after the
/// middleware chain), so error answers carry the header too.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    /// A client's id is kept when it is 1 to `maxLength` visible ASCII characters (no spaces, no
    /// control characters): it goes into logs and back into a header as it is.
    static var maxLength: Int { 128 }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let id =
            Self.sane(request.headers[.requestID])
            ?? context.logger[metadataKey: "hb.request.id"]?.description ?? RequestID().description
        var context = context
        context.logger[metadataKey: "request.id"] = .string(id)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            // What Hummingbird answers for an error that has no HTTP meaning; said once here,
            // with the request's id, instead of at debug level without it.
            context.logger.error(
                "request failed with an unexpected error", metadata: ["error.type": "\(type(of: error))"])
            response = Response(status: .internalServerError)
        }
        response.headers[.requestID] = id
        return response
    }

    /// `value` when it can be used as a request id as it is, else nil.
    static func sane(_ value: String?) -> String? {
        guard let value, (1...maxLength).contains(value.utf8.count),
            value.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        else { return nil }
        return value
    }
}

extension HTTPField.Name {
    // A valid token literal: the initializer cannot fail for it.
    // swift-format-ignore: NeverForceUnwrap
    static let requestID = HTTPField.Name("X-Request-Id")!
}
