import HTTPTypes
import Hummingbird

/// The router as the controllers fill it, remembering which methods each path takes, so that a
/// known path asked with another method (any other, `QUERY` or `FOO` too) answers
/// `405 METHOD_NOT_ALLOWED` with `Allow` (RFC 9110 §15.5.6) instead of a 404 that says the path
/// does not exist.
final class AllowedMethods<Context: RequestContext>: RouterMethods {
    let router: Router<Context>
    private var paths: [(pattern: [Substring], methods: [HTTPRequest.Method])] = []

    init(_ router: Router<Context>) { self.router = router }

    @discardableResult func on<Responder: HTTPResponder>(
        _ path: RouterPath, method: HTTPRequest.Method, responder: Responder
    ) -> Self where Responder.Context == Context {
        let pattern = MethodNotAllowed<Context>.segments(path.description)
        if let index = paths.firstIndex(where: { $0.pattern == pattern }) {
            paths[index].methods.append(method)
        } else {
            paths.append((pattern, [method]))
        }
        router.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        router.add(middleware: middleware)
        return self
    }

    /// Every path added so far, as `RouterPath` prints it (`/v1/operations/{id}`), with its methods.
    var table: [(path: String, methods: [String])] {
        paths.map { ("/" + $0.pattern.joined(separator: "/"), $0.methods.map(\.rawValue)) }
    }

    /// Call once every route is added: the router's not-found answer passes through every
    /// middleware, those added after the routes included.
    func refuseOtherMethods() {
        router.add(
            middleware: MethodNotAllowed(
                paths: paths.map { ($0.pattern, $0.methods.map(\.rawValue).joined(separator: ", ")) }))
    }
}

/// Turns the router's 404 for a known path into a 405 naming the methods the path takes.
struct MethodNotAllowed<Context: RequestContext>: RouterMiddleware {
    let paths: [(pattern: [Substring], allow: String)]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = Self.segments(request.uri.path)
            guard let allow = paths.first(where: { Self.matches($0.pattern, segments) })?.allow else { throw error }
            throw APIError(
                status: .methodNotAllowed, errorCode: "METHOD_NOT_ALLOWED",
                causeMessage: "this path takes \(allow)", headers: [.allow: allow])
        }
    }

    static func segments(_ path: String) -> [Substring] { path.split(separator: "/") }

    /// A route's segments (as `RouterPath` prints them) against a request's: a parameter
    /// (`{id}`, `:id`) or `*` matches any one segment.
    static func matches(_ pattern: [Substring], _ segments: [Substring]) -> Bool {
        pattern.count == segments.count
            && zip(pattern, segments).allSatisfy { ["{", ":", "*"].contains($0.first) || $0 == $1 }
    }
}
