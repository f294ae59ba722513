import Hummingbird

/// The contract, published: `GET /openapi.yaml` (OpenAPI 3.1, `OpenAPIDocument`) and
/// `GET /swagger-ui.html`, a page that shows it with Swagger UI. Neither needs credentials.
struct OpenAPIController: Sendable {
    func addRoutes(to router: some RouterMethods<BasicRequestContext>) {
        router.get("/openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        router.get("/swagger-ui.html") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: Self.swaggerPage)))
        }
    }

    /// Swagger UI's scripts come from a CDN: where the network does not reach it, the page still
    /// links the document itself.
    static let swaggerPage = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Signet API</title>
        <link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css">
        </head>
        <body>
        <p>The contract: <a href="/openapi.yaml">/openapi.yaml</a> (OpenAPI 3.1).</p>
        <div id="swagger-ui"></div>
        <script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
        <script>
        if (window.SwaggerUIBundle) { SwaggerUIBundle({ url: "/openapi.yaml", dom_id: "#swagger-ui" }); }
        </script>
        </body>
        </html>

        """
}
