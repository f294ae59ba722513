import Common
import Crypto
import Foundation
import XML

/// XAdES baseline B-B (B-T with a time-stamping authority) enveloped signatures for XML
/// (docs/signing.md "XAdES").
///
/// Prepare parses the document with libxml2 (no network, no entity, no external DTD), finds the
/// element that receives the signature and where its content ends in the original bytes,
/// digests the document as a verifier will see it (canonicalized, signatures left out as the
/// transform says, comments left out as `URI=""` does), and canonicalizes `SignedInfo`. Then the
/// shared pipeline signs the SHA-256 of that canonical `SignedInfo` (only the digest reaches the
/// backend) and verifies it; then the signature is spliced into the original bytes, which stay
/// as they were around it.
public struct XAdESSigner: Sendable {
    let pipeline: SigningPipeline

    public init(backend: any SigningBackend) {
        self.init(pipeline: SigningPipeline(backend: backend))
    }

    init(pipeline: SigningPipeline) {
        self.pipeline = pipeline
    }

    /// Signs `xml` for `client` and returns the signed document.
    public func sign(
        _ xml: [UInt8], parameters: SignatureParameters, client: String, contentType: String = "text/xml",
        at time: Date = Date(), timestamp: TimestampAuthority? = nil
    ) async throws -> [UInt8] {
        let options = try XAdESOptions(parameters.advancedSignature)
        let signatory = try await pipeline.signatory(for: client)
        let prepared = try Self.prepare(
            xml, options: options, signatory: signatory.identity, contentType: contentType, at: time)
        let digest = SHA256.hash(data: prepared.canonicalSignedInfo)
        let value = try await pipeline.rawSignature(of: digest, by: signatory, client: client)
        var token: [UInt8]?
        if let timestamp {
            token = try await timestamp.timestamp(of: try Self.canonicalSignatureValue(value, prepared.template))
        }
        return try Self.embed(prepared, value: value, timestampToken: token, into: xml)
    }

    /// A document ready to be signed: where the signature goes, its template, and the canonical
    /// `SignedInfo` whose SHA-256 is signed.
    struct Prepared: Sendable {
        let insertion: XMLMarkup.Insertion
        /// The name of the element receiving the signature, as written (for an empty-element tag).
        let elementName: String
        let template: XAdESTemplate
        let signedInfo: String
        let canonicalSignedInfo: [UInt8]
    }

    static func prepare(
        _ xml: [UInt8], options: XAdESOptions, signatory: SigningIdentity, contentType: String, at time: Date
    ) throws(SigningError) -> Prepared {
        do {
            let document = try XMLDocument.parse(xml)
            let target: (node: XMLNode, index: Int)
            if let location = options.location {
                guard let found = document.firstElement(named: location) else {
                    throw XMLError.locationNotFound("no element named \(location)")
                }
                target = found
            } else {
                guard let root = document.root else { throw XMLError.empty("the document holds no element") }
                target = (root, 0)
            }
            guard let insertion = XMLMarkup.insertion(in: xml, elementIndex: target.index) else {
                throw XMLError.malformed("the element \(target.node.qualifiedName) was not found in the bytes")
            }
            let template = XAdESTemplate(
                prefix: idPrefix(xml, time), options: options, algorithm: signatory.algorithm,
                chain: signatory.chain, signingTime: time, mimeType: mimeType(contentType))
            let documentDigest = try digestOfDocument(document, options: options, excluding: nil)
            let properties = try XMLDocument.parse(
                Array(try template.qualifyingProperties(unsigned: nil, declaringDS: true).utf8))
            guard let signedProperties = properties.root?.child(XAdESNames.xades, "SignedProperties") else {
                throw XMLError.malformed("the signed properties template has no SignedProperties")
            }
            let propertiesDigest = Array(
                SHA256.hash(
                    data: try properties.canonicalBytes(
                        NodeSelection(subtree: signedProperties), options.canonicalization)))
            let signedInfo = template.signedInfo(
                documentDigest: documentDigest, propertiesDigest: propertiesDigest, declaringDS: false)
            let standalone = try XMLDocument.parse(
                Array(
                    template.signedInfo(
                        documentDigest: documentDigest, propertiesDigest: propertiesDigest, declaringDS: true
                    ).utf8))
            let canonical = try standalone.canonicalBytes(NodeSelection(), options.canonicalization)
            return Prepared(
                insertion: insertion, elementName: target.node.qualifiedName, template: template,
                signedInfo: signedInfo, canonicalSignedInfo: canonical)
        } catch let error as XMLError {
            throw SigningError(code: error.code, message: error.message)
        } catch let error as SigningError {
            throw error
        } catch {
            throw SigningError(code: "XML_MALFORMED", message: "\(error)")
        }
    }

    /// SHA-256 of the document reference as a verifier computes it: the document without
    /// `excluding` (the signature itself, in a signed document) and, for `XPATH` and
    /// `XPATH2_FILTER`, without any `ds:Signature`; comments always left out (`URI=""`).
    static func digestOfDocument(_ document: XMLDocument, options: XAdESOptions, excluding signature: XMLNode?)
        throws(XMLError) -> [UInt8]
    {
        let selection = NodeSelection(
            excluded: signature.map { [$0] } ?? [], excludesAllSignatures: options.transform != .enveloped)
        var hasher = SHA256()
        try document.canonicalize(selection, .exclusive(withComments: false)) { hasher.update(bufferPointer: $0) }
        return Array(hasher.finalize())
    }

    /// The exclusive canonical form of `ds:SignatureValue`, what a B-T time-stamp covers.
    static func canonicalSignatureValue(_ value: [UInt8], _ template: XAdESTemplate) throws(SigningError) -> [UInt8] {
        do {
            let element = try XMLDocument.parse(Array(template.signatureValue(value, declaringDS: true).utf8))
            return try element.canonicalBytes(NodeSelection(), .exclusive(withComments: false))
        } catch {
            throw SigningError(code: error.code, message: error.message)
        }
    }

    /// Embed: the signature into the original bytes, as the last child of its element.
    static func embed(_ prepared: Prepared, value: [UInt8], timestampToken: [UInt8]?, into xml: [UInt8])
        throws -> [UInt8]
    {
        let signature = Array(
            try prepared.template.signature(
                signedInfo: prepared.signedInfo, value: value, timestampToken: timestampToken
            )
            .utf8)
        var signed: [UInt8] = []
        signed.reserveCapacity(xml.count + signature.count + prepared.elementName.utf8.count + 3)
        switch prepared.insertion {
        case .beforeEndTag(let offset):
            signed.append(contentsOf: xml[..<offset])
            signed.append(contentsOf: signature)
            signed.append(contentsOf: xml[offset...])
        case .emptyElement(let slash):
            // `<x .../>` becomes `<x ...>` + signature + `</x>`.
            signed.append(contentsOf: xml[..<slash])
            signed.append(UInt8(ascii: ">"))
            signed.append(contentsOf: signature)
            signed.append(contentsOf: Array("</\(prepared.elementName)>".utf8))
            signed.append(contentsOf: xml[(slash + 2)...])
        }
        return signed
    }

    /// `signet-` and 16 hex digits of SHA-256 over the document and the signing time.
    static func idPrefix(_ xml: [UInt8], _ time: Date) -> String {
        var hasher = SHA256()
        hasher.update(data: xml)
        hasher.update(data: Array(String(Int64(time.timeIntervalSince1970 * 1000)).utf8))
        return "signet-" + hasher.finalize().prefix(8).hexString
    }

    /// The job's content type when it is an XML media type, else `text/xml`.
    static func mimeType(_ contentType: String) -> String {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let known = type.lowercased()
        let plain = known.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/+.-".contains($0)) }
        return plain && (known == "application/xml" || known.hasSuffix("+xml")) ? known : "text/xml"
    }
}
