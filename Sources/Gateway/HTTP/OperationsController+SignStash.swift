import Foundation
import HTTPTypes
import Hummingbird

/// Sign'Stash's paths (../shared/SIGNSTASH.md, docs/api.md "Sign'Stash paths"): the same
/// operations in Sign'Stash's model and codes, so an integration written for the Sign'Stash Proxy
/// works by changing its base URL.
extension OperationsController {
    static let signStashBase = "/signstash/einvoice-integration-client-ws/api/v0"

    func addSignStashRoutes(to router: some RouterMethods<BasicRequestContext>) {
        let group = router.group(RouterPath(Self.signStashBase)).add(middleware: SignStashErrors())
        group.post("document/sign/base64/") { request, context in try await self.signSynchronously(request, context) }
        group.post("document/sign/") { request, context in try await self.signSynchronously(request, context) }
        group.get("operation/status/:id") { request, context in
            let operation = try await self.owned(request, context)
            return self.statusResponse(operation, surface: .signStash)
        }
        group.get("operation/sign/detail/:id/contentInResponse/:content") { request, context in
            let operation = try await self.owned(request, context)
            guard try Self.contentInResponse(context.parameters.get("content")) == true else {
                return self.statusResponse(operation, surface: .signStash)
            }
            return self.resultResponse(operation, surface: .signStash)
        }
        group.get("operation/sign/detail/:id/documents") { request, context in
            let operation = try await self.owned(request, context)
            guard operation.isFinished else { throw APIError.notFinished(operation) }
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
