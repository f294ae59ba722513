/// Signet's contract in OpenAPI 3.1: the `/v1` API and Sign'Stash's compatible paths, as
/// docs/api.md describes them. Served at `GET /openapi.yaml`; checked against the router by
/// OpenAPIDocumentTests and against the running gateway by schemathesis, and used to generate a
/// Python client, in OpenAPIContractEndToEndTests.
enum OpenAPIDocument {
    static let yaml = #"""
        openapi: 3.1.0
        info:
          title: Signet
          version: "1"
          summary: On-premise asynchronous document signing (PAdES, CAdES, XAdES), Sign'Stash compatible.
          description: |
            Signet's client API (`/v1`) and the Sign'Stash Proxy's compatible paths
            (`/signstash/einvoice-integration-client-ws/api/v0`), as docs/api.md describes them.
            Operation ids are JSON numbers below 2^53 naming the gateway instance that owns them; an
            operation of another client answers exactly like an unknown one. Errors on `/v1` carry
            Signet's codes; on the compatible paths Sign'Stash's `errorCode`, with Signet's code in
            `signetErrorCode`.
          license:
            name: Proprietary
            identifier: LicenseRef-Signet
        servers:
          - url: /
        security:
          - basic: []
          - bearer: []
        tags:
          - name: operations
            description: Signet's asynchronous API.
          - name: signstash
            description: The Sign'Stash Proxy's paths, for existing clients.
          - name: auth
          - name: service
        paths:
          /oauth/token:
            post:
              tags: [auth]
              operationId: token
              summary: An access token (OAuth2 client_credentials).
              security:
                - basic: []
                - {}
              requestBody:
                $ref: "#/components/requestBodies/TokenForm"
              responses:
                "200": { $ref: "#/components/responses/Token" }
                "400": { $ref: "#/components/responses/OAuthError" }
                "401": { $ref: "#/components/responses/OAuthUnauthorized" }
                "413": { $ref: "#/components/responses/Error" }
          /oauth2/authorization-server/oauth/token:
            post:
              tags: [auth, signstash]
              operationId: signStashToken
              summary: The same as /oauth/token, at Sign'Stash's path.
              security:
                - basic: []
                - {}
              requestBody:
                $ref: "#/components/requestBodies/TokenForm"
              responses:
                "200": { $ref: "#/components/responses/Token" }
                "400": { $ref: "#/components/responses/OAuthError" }
                "401": { $ref: "#/components/responses/OAuthUnauthorized" }
                "413": { $ref: "#/components/responses/Error" }
          /v1/operations:
            post:
              tags: [operations]
              operationId: startOperation
              summary: Start an operation; answers 202 once it is on disk.
              parameters:
                - name: Prefer
                  in: header
                  description: "`wait=N`: wait up to N seconds (capped by --max-wait) and answer 200 if it finished."
                  schema: { type: string }
                - name: Idempotency-Key
                  in: header
                  schema: { type: string }
              requestBody:
                required: true
                content:
                  application/json:
                    schema: { $ref: "#/components/schemas/SignRequest" }
                  multipart/form-data:
                    schema: { $ref: "#/components/schemas/MultipartSignRequest" }
                    encoding:
                      signRequest: { contentType: application/json }
                      files: { contentType: application/octet-stream }
              responses:
                "200":
                  description: The operation finished within the wait asked for.
                  headers:
                    Location: { $ref: "#/components/headers/Location" }
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/Operation" }
                "202":
                  description: Accepted and on disk.
                  headers:
                    Location: { $ref: "#/components/headers/Location" }
                    Retry-After: { $ref: "#/components/headers/RetryAfter" }
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/Operation" }
                  links:
                    status: { operationId: getOperation, parameters: { id: "$response.body#/id" } }
                    result: { operationId: getOperationResult, parameters: { id: "$response.body#/id" } }
                    delete: { operationId: deleteOperation, parameters: { id: "$response.body#/id" } }
                    signStashStatus: { operationId: signStashStatus, parameters: { id: "$response.body#/id" } }
                    signStashDetail:
                      operationId: signStashDetail
                      parameters: { id: "$response.body#/id", contentInResponse: "true" }
                    signStashDocuments: { operationId: signStashDocuments, parameters: { id: "$response.body#/id" } }
                    firstDocument: { operationId: getSignedDocument, parameters: { id: "$response.body#/id", n: "0" } }
                    operationOfFirstDocument:
                      operationId: signStashOperationID
                      parameters: { externalReference: "$request.body#/documents/0/documentRequest/externalReference" }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                "408": { $ref: "#/components/responses/Error" }
                "409": { $ref: "#/components/responses/Error" }
                "413": { $ref: "#/components/responses/Error" }
                "415": { $ref: "#/components/responses/Error" }
                "429": { $ref: "#/components/responses/RetryLater" }
                "503": { $ref: "#/components/responses/RetryLater" }
                "507": { $ref: "#/components/responses/RetryLater" }
            get:
              tags: [operations]
              operationId: findOperations
              summary: The client's operations with any of the external references, oldest first.
              parameters:
                - name: externalReference
                  in: query
                  required: true
                  style: form
                  explode: true
                  schema:
                    type: array
                    minItems: 1
                    items: { type: string, minLength: 1 }
                - name: contentInResponse
                  in: query
                  description: "`true`: only the finished operations, each with the signed documents' content."
                  schema: { type: boolean }
              responses:
                "200":
                  description: The operations (possibly none).
                  content:
                    application/json:
                      schema:
                        type: array
                        items: { $ref: "#/components/schemas/Operation" }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Unauthorized" }
          /v1/operations/{id}:
            parameters:
              - $ref: "#/components/parameters/OperationID"
            get:
              tags: [operations]
              operationId: getOperation
              summary: Status, progress and per-document status (no content).
              responses:
                "200":
                  description: The operation.
                  headers:
                    Retry-After: { $ref: "#/components/headers/RetryAfter" }
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/Operation" }
                "307": { $ref: "#/components/responses/OtherInstance" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                "404": { $ref: "#/components/responses/Error" }
                "410": { $ref: "#/components/responses/Error" }
            delete:
              tags: [operations]
              operationId: deleteOperation
              summary: Cancel what is not signed yet and forget the operation.
              responses:
                "204": { description: Deleted. }
                "307": { $ref: "#/components/responses/OtherInstance" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                "404": { $ref: "#/components/responses/Error" }
                "410": { $ref: "#/components/responses/Error" }
          /v1/operations/{id}/result:
            parameters:
              - $ref: "#/components/parameters/OperationID"
            get:
              tags: [operations]
              operationId: getOperationResult
              summary: The finished operation with every signed document (JSON), or a zip with Accept application/zip.
              responses:
                "200":
                  description: The result.
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/Operation" }
                    application/zip:
                      schema: { type: string, contentMediaType: application/zip }
                "307": { $ref: "#/components/responses/OtherInstance" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                "404": { $ref: "#/components/responses/Error" }
                "409": { $ref: "#/components/responses/RetryLater" }
                "410": { $ref: "#/components/responses/Error" }
          /v1/operations/{id}/documents/{n}:
            parameters:
              - $ref: "#/components/parameters/OperationID"
              - name: n
                in: path
                required: true
                description: The document's index in documentList, from 0.
                schema: { type: integer, minimum: 0, maximum: 9007199254740991 }
            get:
              tags: [operations]
              operationId: getSignedDocument
              summary: One signed document as raw bytes (the signed file, or a CAdES .p7s).
              responses:
                "200":
                  description: The signed bytes.
                  headers:
                    Content-Disposition:
                      schema: { type: string }
                  content:
                    application/octet-stream:
                      schema: { type: string, contentMediaType: application/octet-stream }
                    application/pdf:
                      schema: { type: string, contentMediaType: application/pdf }
                    application/pkcs7-signature:
                      schema: { type: string, contentMediaType: application/pkcs7-signature }
                    "*/*":
                      schema: { type: string }
                "307": { $ref: "#/components/responses/OtherInstance" }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                "404": { $ref: "#/components/responses/Error" }
                "409": { $ref: "#/components/responses/Error" }
                "410": { $ref: "#/components/responses/Error" }
          /signstash/einvoice-integration-client-ws/api/v0/document/sign/base64/:
            post:
              tags: [signstash]
              operationId: signStashSignBase64
              summary: Synchronous signing (waits up to --sync-timeout).
              requestBody:
                required: true
                content:
                  application/json:
                    schema: { $ref: "#/components/schemas/SignRequest" }
              responses:
                "200":
                  description: The finished operation; signedContent only with returnSignedContent true.
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/Operation" }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                "408": { $ref: "#/components/responses/Error" }
                "409": { $ref: "#/components/responses/Error" }
                "413": { $ref: "#/components/responses/Error" }
                "415": { $ref: "#/components/responses/Error" }
                "429": { $ref: "#/components/responses/RetryLater" }
                "503": { $ref: "#/components/responses/RetryLater" }
                "504": { $ref: "#/components/responses/Error" }
                "507": { $ref: "#/components/responses/RetryLater" }
          /signstash/einvoice-integration-client-ws/api/v0/document/sign/:
            post:
              tags: [signstash]
              operationId: signStashSignMultipart
              summary: Synchronous signing of files sent as multipart/form-data.
              requestBody:
                required: true
                content:
                  multipart/form-data:
                    schema: { $ref: "#/components/schemas/MultipartSignRequest" }
                    encoding:
                      signRequest: { contentType: application/json }
                      files: { contentType: application/octet-stream }
              responses:
                "200":
                  description: The finished operation; signedContent only with returnSignedContent true.
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/Operation" }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                "408": { $ref: "#/components/responses/Error" }
                "409": { $ref: "#/components/responses/Error" }
                "413": { $ref: "#/components/responses/Error" }
                "415": { $ref: "#/components/responses/Error" }
                "429": { $ref: "#/components/responses/RetryLater" }
                "503": { $ref: "#/components/responses/RetryLater" }
                "504": { $ref: "#/components/responses/Error" }
                "507": { $ref: "#/components/responses/RetryLater" }
          /signstash/einvoice-integration-client-ws/api/v0/operation/status/{id}:
            parameters:
              - $ref: "#/components/parameters/OperationID"
            get:
              tags: [signstash]
              operationId: signStashStatus
              summary: The operation without content.
              responses:
                "200":
                  description: The operation.
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/Operation" }
                "307": { $ref: "#/components/responses/OtherInstance" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                "404": { $ref: "#/components/responses/Error" }
                "410": { $ref: "#/components/responses/Error" }
          /signstash/einvoice-integration-client-ws/api/v0/operation/sign/detail/{id}/contentInResponse/{contentInResponse}:
            parameters:
              - $ref: "#/components/parameters/OperationID"
              - name: contentInResponse
                in: path
                required: true
                schema: { type: boolean }
            get:
              tags: [signstash]
              operationId: signStashDetail
              summary: The operation, with the signed documents' content when true.
              responses:
                "200":
                  description: The operation.
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/Operation" }
                "307": { $ref: "#/components/responses/OtherInstance" }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                "404": { $ref: "#/components/responses/Error" }
                "410": { $ref: "#/components/responses/Error" }
          /signstash/einvoice-integration-client-ws/api/v0/operation/sign/detail/{id}/documents:
            parameters:
              - $ref: "#/components/parameters/OperationID"
            get:
              tags: [signstash]
              operationId: signStashDocuments
              summary: A zip of the signed documents, entries `<document externalReference>.<name>`.
              responses:
                "200":
                  description: The zip.
                  content:
                    application/zip:
                      schema: { type: string, contentMediaType: application/zip }
                "307": { $ref: "#/components/responses/OtherInstance" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                "404": { $ref: "#/components/responses/Error" }
                "409": { $ref: "#/components/responses/RetryLater" }
                "410": { $ref: "#/components/responses/Error" }
          /signstash/einvoice-integration-client-ws/api/v0/operation/id/withDocumentExternalReference/{externalReference}:
            parameters:
              - name: externalReference
                in: path
                required: true
                schema: { type: string, minLength: 1 }
            get:
              tags: [signstash]
              operationId: signStashOperationID
              summary: The id of the client's latest operation holding a document with this external reference.
              responses:
                "200":
                  description: The id, a bare JSON number.
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/OperationID" }
                "400": { $ref: "#/components/responses/Error" }
                "401": { $ref: "#/components/responses/Unauthorized" }
                "404": { $ref: "#/components/responses/Error" }
          /v1/instance:
            get:
              tags: [service]
              operationId: instance
              summary: The instance number this gateway's ids carry, and the URL it advertises.
              security: [{}]
              responses:
                "200":
                  description: This instance.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [instance, url]
                        properties:
                          instance: { type: integer, minimum: 0, maximum: 1023 }
                          url: { type: string }
          /health/live:
            get:
              tags: [service]
              operationId: live
              security: [{}]
              responses:
                "200":
                  description: The process serves.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [status]
                        properties:
                          status: { const: UP }
          /health/ready:
            get:
              tags: [service]
              operationId: ready
              summary: UP when at least one signer is connected (and the remote service answers).
              security: [{}]
              responses:
                "200":
                  description: Ready.
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/Readiness" }
                "503":
                  description: Not ready.
                  content:
                    application/json:
                      schema: { $ref: "#/components/schemas/Readiness" }
          /metrics:
            get:
              tags: [service]
              operationId: metrics
              summary: Prometheus text format.
              security: [{}]
              responses:
                "200":
                  description: The metrics.
                  content:
                    text/plain:
                      schema: { type: string }
          /swagger-ui.html:
            get:
              tags: [service]
              operationId: swaggerUI
              summary: This document in Swagger UI.
              security: [{}]
              responses:
                "200":
                  description: An HTML page.
                  content:
                    text/html:
                      schema: { type: string }
          /openapi.yaml:
            get:
              tags: [service]
              operationId: openAPI
              summary: This document.
              security: [{}]
              responses:
                "200":
                  description: OpenAPI 3.1, YAML.
                  content:
                    application/yaml:
                      schema: { type: string }
        components:
          securitySchemes:
            basic:
              type: http
              scheme: basic
              description: The client service id and secret from client-services-config.json.
            bearer:
              type: http
              scheme: bearer
              description: A token from POST /oauth/token.
          headers:
            Location:
              description: The operation's absolute URL on the gateway that owns it.
              schema: { type: string }
            RetryAfter:
              description: Seconds to wait before asking again.
              schema: { type: string }
          parameters:
            OperationID:
              name: id
              in: path
              required: true
              description: An operation id (a number; ids minted by builds before numeric ids are strings).
              schema: { type: integer, format: int64, minimum: 0, maximum: 9007199254740991 }
          requestBodies:
            TokenForm:
              description: |
                `grant_type` may also be given in the query (Sign'Stash clients do); credentials as HTTP
                Basic or as `client_id` and `client_secret`.
              required: true
              content:
                application/x-www-form-urlencoded:
                  schema:
                    type: object
                    required: [grant_type]
                    properties:
                      grant_type: { type: string, enum: [client_credentials] }
                      client_id: { type: string }
                      client_secret: { type: string }
          responses:
            Token:
              description: A bearer token.
              content:
                application/json:
                  schema:
                    type: object
                    required: [access_token, token_type, expires_in, scope, jti]
                    properties:
                      access_token: { type: string }
                      token_type: { const: bearer }
                      expires_in: { type: integer }
                      scope: { type: string }
                      jti: { type: string }
            OAuthError:
              description: RFC 6749 error.
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/OAuthError" }
            OAuthUnauthorized:
              description: Unknown client or wrong secret.
              headers:
                WWW-Authenticate:
                  schema: { type: string }
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/OAuthError" }
            Error:
              description: An error with a stable code.
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Error" }
            Unauthorized:
              description: Missing or wrong credentials.
              headers:
                WWW-Authenticate:
                  schema: { type: string }
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Error" }
            RetryLater:
              description: Not now; ask again after Retry-After seconds.
              headers:
                Retry-After: { $ref: "#/components/headers/RetryAfter" }
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Error" }
            OtherInstance:
              description: The operation belongs to a peer gateway; the same call at Location.
              headers:
                Location: { $ref: "#/components/headers/Location" }
              content:
                application/json:
                  schema: { $ref: "#/components/schemas/Error" }
          schemas:
            OperationID:
              type: integer
              format: int64
              minimum: 0
              maximum: 9007199254740991
            Error:
              type: object
              required: [errorCode, errorCodeDescription, causeMessage]
              properties:
                errorCode:
                  type: string
                  description: Signet's code on /v1; Sign'Stash's (0.0.2, 0.0.4, 0.0.6, 0.0.7, 1.1.0, 429) on the compatible paths.
                errorCodeDescription: { type: string }
                causeMessage: { type: string }
                signetErrorCode:
                  type: string
                  description: Signet's precise code, on the compatible paths.
            OAuthError:
              type: object
              required: [error, error_description]
              properties:
                error: { type: string }
                error_description: { type: string }
            SignRequest:
              type: object
              required: [documents]
              properties:
                externalReference: { type: [string, "null"] }
                description: { type: [string, "null"] }
                returnSignedContent:
                  type: [boolean, "null"]
                  description: Synchronous paths only; whether the answer carries signedContent (default false).
                preservationInfo:
                  description: Sign'Stash's SaaS storage options; accepted and ignored.
                documents:
                  type: array
                  minItems: 1
                  items: { $ref: "#/components/schemas/DocumentEntry" }
            MultipartSignRequest:
              type: object
              required: [signRequest, files]
              properties:
                signRequest:
                  description: The request without base64Content, one document per file, in order.
                  $ref: "#/components/schemas/FileSignRequest"
                files:
                  description: One part per document, in the order of signRequest's documents; any bytes.
            FileSignRequest:
              type: object
              required: [documents]
              properties:
                externalReference: { type: [string, "null"] }
                description: { type: [string, "null"] }
                returnSignedContent: { type: [boolean, "null"] }
                preservationInfo: {}
                documents:
                  type: array
                  minItems: 1
                  items:
                    type: object
                    required: [documentRequest, signatureInfo]
                    properties:
                      documentRequest:
                        type: object
                        properties:
                          externalReference: { type: [string, "null"] }
                          name: { type: [string, "null"] }
                          contentType: { type: [string, "null"] }
                      signatureInfo: { $ref: "#/components/schemas/SignatureInfo" }
            DocumentEntry:
              type: object
              required: [documentRequest, signatureInfo]
              properties:
                documentRequest: { $ref: "#/components/schemas/DocumentRequest" }
                signatureInfo: { $ref: "#/components/schemas/SignatureInfo" }
            DocumentRequest:
              type: object
              required: [base64Content]
              properties:
                externalReference: { type: [string, "null"] }
                name: { type: [string, "null"] }
                contentType: { type: [string, "null"] }
                base64Content:
                  type: string
                  description: Strict base64 (standard alphabet, padded; line breaks tolerated between groups).
                  contentEncoding: base64
                  pattern: "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
            SignatureInfo:
              type: object
              required: [signatureType]
              properties:
                signatureType:
                  type: string
                  description: Case-insensitive.
                  enum: [PAdES, CAdES, XAdES]
                reason: { type: [string, "null"] }
                location: { type: [string, "null"] }
                applyTimestamp:
                  type: [boolean, "null"]
                  description: B-T with a time-stamp from --tsa-url.
                visibleSignatureInfo:
                  oneOf:
                    - type: "null"
                    - $ref: "#/components/schemas/VisibleSignatureInfo"
                advancedSignatureInfo:
                  oneOf:
                    - type: "null"
                    - $ref: "#/components/schemas/AdvancedSignatureInfo"
            AdvancedSignatureInfo:
              type: object
              description: |
                XAdES only (checked for XAdES documents: 400 INVALID_ADVANCED_SIGNATURE_INFO; ignored
                for PAdES and CAdES, as Sign'Stash does).
              properties:
                signatureLocation:
                  type: [string, "null"]
                  description: The element that receives the signature (default the document element).
                signatureTransform:
                  type: [string, "null"]
                  description: "ENVELOPED (default), XPATH or XPATH2_FILTER."
                canonicalTransform:
                  type: [string, "null"]
                  description: "EXCLUSIVE (default) or EXCLUSIVE_WITH_COMMENTS."
            VisibleSignatureInfo:
              type: object
              description: PAdES only; docs/api.md "Visible signatures" gives every rule.
              required: [locationType, locationValue]
              properties:
                locationType: { type: string, enum: [SIGN_FIELD, COORDINATE, PLACEHOLDER] }
                locationValue:
                  type: string
                  description: "SIGN_FIELD: a field name; COORDINATE: page=1,x=70,y=100; PLACEHOLDER: a word."
                  examples: ["page=1,x=70,y=100"]
                area:
                  type: [string, "null"]
                  description: "width=155,height=50 (points); absent: 200 x 50."
                  examples: ["width=155,height=50"]
                areaBackgroundColor:
                  type: [string, "null"]
                  description: "#RRGGBB, RRGGBB or transparent."
                  pattern: "^(#?[0-9A-Fa-f]{6}|[Tt][Rr][Aa][Nn][Ss][Pp][Aa][Rr][Ee][Nn][Tt])$"
                font:
                  type: [string, "null"]
                  description: "color=#000000,size=11,name=arial"
                  examples: ["color=#000000,size=11,name=arial"]
                templateType:
                  type: [string, "null"]
                  enum: [ONE_OFF, SERVICE_CUSTOMIZATION, null]
                oneOffTemplate:
                  type: [string, "null"]
                  description: The text, with $certificate.getCommonName() and the other expressions.
                imageType:
                  type: [string, "null"]
                  enum: [IMAGE_PNG, IMAGE_JPG, null]
                imageValue:
                  type: [string, "null"]
                  description: The PNG or JPEG in base64.
            Operation:
              type: object
              description: Sign'Stash's SignOperation plus Signet's host, port and progress.
              required:
                [id, type, status, issuerClientServiceAlias, folder, host, port, creationDate, executionTime, progress,
                 documentList]
              properties:
                id:
                  description: A number below 2^53 (a string for ids older builds minted).
                  oneOf:
                    - $ref: "#/components/schemas/OperationID"
                    - type: string
                type: { const: SIGN }
                externalReference: { type: string }
                description: { type: string }
                status:
                  type: string
                  enum: [PENDING_EXECUTION, EXECUTED, EXECUTION_ERROR, EXECUTION_FAILED]
                issuerClientServiceAlias: { type: string }
                folderExternalReference: { type: string }
                folder:
                  type: object
                  required: [folderId, folderContent]
                  properties:
                    folderId:
                      oneOf:
                        - $ref: "#/components/schemas/OperationID"
                        - type: string
                    externalReference: { type: string }
                    description: { type: string }
                    folderContent: { const: HASH }
                host: { type: string }
                port: { type: integer }
                creationDate: { type: string, format: date-time }
                executionTime: { type: integer, description: Milliseconds. }
                progress:
                  type: object
                  required: [total, signed, failed]
                  properties:
                    total: { type: integer, minimum: 0 }
                    signed: { type: integer, minimum: 0 }
                    failed: { type: integer, minimum: 0 }
                documentList:
                  type: array
                  items: { $ref: "#/components/schemas/Document" }
            Document:
              type: object
              required:
                [name, contentType, internalId, signatureType, receptionDate, signStatus, signError, documentAttributes]
              properties:
                externalReference: { type: string }
                name: { type: string }
                contentType: { type: string }
                internalId: { type: integer, minimum: 1 }
                signatureType: { type: string }
                contentLength: { type: integer, minimum: 0 }
                receptionDate: { type: string, format: date-time }
                signStatus: { type: string, enum: [RECEIVED, SIGNED, ERROR_SIGNING] }
                signError:
                  type: [string, "null"]
                  description: Signet's code on /v1; the nearest Sign'Stash value on the compatible paths.
                signErrorDetail: { type: string, description: "Signet's code (compatible paths)." }
                signErrorMessage: { type: string }
                attempts: { type: integer, minimum: 1 }
                documentAttributes:
                  type: array
                  items:
                    type: object
                    required: [attributeKey, attributeValue]
                    properties:
                      attributeKey: { type: string }
                      attributeValue: { type: string }
                signedContent:
                  type: string
                  contentEncoding: base64
                  description: The signed document (PAdES, XAdES) or the .p7s (CAdES); results only.
            Readiness:
              type: object
              required: [status, signers, queuedJobs, jobsInFlight, signerList]
              properties:
                status: { type: string, enum: [UP, DOWN] }
                signers: { type: integer }
                queuedJobs: { type: integer }
                jobsInFlight: { type: integer }
                signerList:
                  type: array
                  items: { type: object }
                signingIdentity: { type: object }
                remoteSigning: { type: object }

        """#
}
