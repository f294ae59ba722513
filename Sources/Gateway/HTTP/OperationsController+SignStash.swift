import Foundation
import HTTPTypes
import Hummingbird

/// Sign'Stash's paths (../shared/SIGNSTASH.md, docs/api.md "Sign'Stash paths"): the same
/// operations in Sign'Stash's model and codes, so an integration written for the Sign'Stash Proxy
/// works by changing its base URL.
extension OperationsController {
    static let signStashBase = "/signstash/einvoice-integration-client-ws/api/v0"

    func addSignStashRoutes(to router: Router<BasicRequestContext>) {
        let group = router.group(RouterPath(Self.signStashBase)).add(middleware: SignStashErrors())
        group.post("document/sign/base64/") { request, context in try await self.signSynchronously(request, context) }
        group.post("document/sign/") { request, context in try await self.signSynchronously(request, context) }
        group.get("operation/status/:id") { request, context in
            let operation = try await self.owned(request, context)
            return try self.json(self.view(operation, surface: .signStash), status: .ok)
        }
        group.get("operation/sign/detail/:id/contentInResponse/:content") { request, context in
            let operation = try await self.owned(request, context)
            switch context.parameters.get("content")?.lowercased() {
            case "true": return self.resultResponse(operation, surface: .signStash)
            case "false": return try self.json(self.view(operation, surface: .signStash), status: .ok)
            default: throw APIError.badRequest("INVALID_PARAMETER", "contentInResponse is true or false")
            }
        }
        group.get("operation/sign/detail/:id/documents") { request, context in
            let operation = try await self.owned(request, context)
            guard operation.isFinished else {
                throw APIError(
                    status: .conflict, errorCode: "OPERATION_NOT_FINISHED",
                    causeMessage: "operation \(operation.id) is \(operation.status.rawValue); poll its status",
                    headers: [.retryAfter: "1"])
            }
            return try await ResultArchive.response(operation, registry: self.registry)
        }
        group.get("operation/id/withDocumentExternalReference/:reference") { request, context in
            let clientID = try self.auth.clientID(for: request)
            guard let reference = context.parameters.get("reference"), !reference.isEmpty else {
                throw APIError.badRequest("INVALID_PARAMETER", "the document's externalReference is missing")
            }
            // The latest operation holding it: the one a client that resends after a timeout asks about.
            guard let operation = await self.registry.operations(clientID: clientID, documentReference: reference).last
            else {
                throw APIError.notFound(
                    "OPERATION_NOT_FOUND", "no operation holds a document with this externalReference")
            }
            return try self.json(OperationView.ID(operation.id), status: .ok)
        }
    }
}

/// On Sign'Stash's paths, errors carry the codes its clients know (`SignStashCodes`), with
/// Signet's precise code beside them; the status stays Signet's.
struct SignStashErrors<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error.inSignStashCodes()
        }
    }
}
