import Crypto
import Foundation
import XML

extension SignatureCheck {
    /// Throws `SIGNATURE_REJECTED` unless `signed` is `original` with one more XAdES signature
    /// by this identity (Signet's, `signet-…-signature`) that verifies: its `SignedInfo` is
    /// signed by the configured key under its canonicalization, its document reference digests
    /// the signed document as a verifier sees it, which is the original (the signed bytes are
    /// the original with the signature's inserted, or the original's own digest matches), its
    /// `SignedProperties` digest holds, and they name the configured certificate, which `KeyInfo`
    /// carries first.
    public func checkXAdES(signed: [UInt8], original: [UInt8]) throws(SigningError) {
        let document: XMLDocument
        do {
            document = try XMLDocument.parse(signed)
        } catch {
            throw .signatureRejected("the signed XML does not parse: \(error.message)")
        }
        let candidates = document.elements(XAdESNames.ds, "Signature").filter {
            guard let id = $0.attribute("Id") else { return false }
            return id.hasPrefix("signet-") && id.hasSuffix("-signature")
        }
        // Usually the signed bytes are the original with the signature's bytes inserted: then
        // the original needs no parse (its digest is the signed document's without the
        // signature). Otherwise (an empty-element tag was opened) the original is parsed and its
        // digest compared too.
        var signature = candidates.first { Self.isSpliced($0, into: original, signed: signed) }
        var originalDocument: XMLDocument?
        if signature == nil {
            do {
                originalDocument = try XMLDocument.parse(original)
            } catch {
                throw .signatureRejected("the original XML does not parse: \(error.message)")
            }
            let earlier = Set(
                originalDocument?.elements(XAdESNames.ds, "Signature").compactMap { $0.attribute("Id") } ?? [])
            let added = candidates.filter { !earlier.contains($0.attribute("Id") ?? "") }
            guard added.count == 1 else {
                throw .signatureRejected("the result holds \(added.count) new Signet signatures, not one")
            }
            signature = added.first
        }
        guard let signature, let id = signature.attribute("Id") else {
            throw .signatureRejected("the result holds no new Signet signature")
        }
        let prefix = String(id.dropLast("-signature".count))
        let ds = XAdESNames.ds
        guard let signedInfo = signature.child(ds, "SignedInfo"),
            let method = signedInfo.child(ds, "CanonicalizationMethod")?.attribute("Algorithm")
                .flatMap(Canonicalization.init(algorithm:)),
            case .exclusive = method,
            let algorithm = signedInfo.child(ds, "SignatureMethod")?.attribute("Algorithm")
                .flatMap(XAdESNames.signatureAlgorithm(_:)),
            key.accepts(algorithm),
            let value = signature.child(ds, "SignatureValue").flatMap({ Self.base64($0.textContent) })
        else { throw .signatureRejected("the XAdES signature lacks SignedInfo, its methods or its value") }
        let canonical: [UInt8]
        do {
            canonical = try document.canonicalBytes(NodeSelection(subtree: signedInfo), method)
        } catch {
            throw .signatureRejected("SignedInfo does not canonicalize: \(error.message)")
        }
        guard key.isValidXML(value, digest: SHA256.hash(data: canonical), algorithm: algorithm) else {
            throw .signatureRejected("the XAdES signature value does not verify with the configured certificate's key")
        }
        let references = signedInfo.childElements.filter { $0.localName == "Reference" && $0.namespaceURI == ds }
        guard references.count == 2 else { throw .signatureRejected("SignedInfo has \(references.count) references") }
        try checkDocumentReference(
            references[0], signature: signature, document: document, original: originalDocument)
        try checkPropertiesReference(references[1], signedProperties: "\(prefix)-signed-properties", in: signature)
        guard let first = signature.child(ds, "KeyInfo")?.child(ds, "X509Data")?.child(ds, "X509Certificate"),
            Self.base64(first.textContent) == certificate.der
        else { throw .signatureRejected("KeyInfo does not carry the configured certificate first") }
    }

    /// Whether `signed` is `original` with exactly the bytes of `signature` inserted.
    static func isSpliced(_ signature: XMLNode, into original: [UInt8], signed: [UInt8]) -> Bool {
        guard let index = signature.document.position(of: signature),
            let span = XMLMarkup.span(in: signed, elementIndex: index),
            signed.count - span.count == original.count
        else { return false }
        return signed[..<span.lowerBound].elementsEqual(original[..<span.lowerBound])
            && signed[span.upperBound...].elementsEqual(original[span.lowerBound...])
    }

    /// `original`: the parsed original, when the signed bytes are not the original with the
    /// signature inserted, so its digest is compared too.
    private func checkDocumentReference(
        _ reference: XMLNode, signature: XMLNode, document: XMLDocument, original: XMLDocument?
    ) throws(SigningError) {
        let ds = XAdESNames.ds
        let transforms = reference.child(ds, "Transforms")?.childElements.compactMap { $0.attribute("Algorithm") } ?? []
        guard reference.attribute("URI") == "", transforms.first == XAdESNames.envelopedSignature,
            let last = transforms.last, Canonicalization(algorithm: last) != nil,
            transforms.count == 2
                || (transforms.count == 3 && [XAdESNames.xpath, XAdESNames.xpathFilter2].contains(transforms[1]))
        else { throw .signatureRejected("the document reference is not Signet's enveloped reference") }
        let options = XAdESOptions(transform: transforms.count == 3 ? .xpath : .enveloped)
        guard let expected = reference.child(ds, "DigestValue").flatMap({ Self.base64($0.textContent) }),
            reference.child(ds, "DigestMethod")?.attribute("Algorithm") == XAdESNames.sha256
        else { throw .signatureRejected("the document reference has no SHA-256 digest") }
        do {
            guard try XAdESSigner.digestOfDocument(document, options: options, excluding: signature) == expected else {
                throw SigningError.signatureRejected("the document reference's digest does not match the signed XML")
            }
            if let original, try XAdESSigner.digestOfDocument(original, options: options, excluding: nil) != expected {
                throw SigningError.signatureRejected("the signed XML does not hold the original document")
            }
        } catch let error as SigningError {
            throw error
        } catch {
            throw .signatureRejected("the document does not canonicalize")
        }
    }

    private func checkPropertiesReference(_ reference: XMLNode, signedProperties id: String, in signature: XMLNode)
        throws(SigningError)
    {
        let ds = XAdESNames.ds
        let xades = XAdESNames.xades
        guard reference.attribute("URI") == "#\(id)",
            let properties = signature.child(ds, "Object")?.child(xades, "QualifyingProperties")?
                .child(xades, "SignedProperties"),
            properties.attribute("Id") == id,
            let method = reference.child(ds, "Transforms")?.childElements.first?.attribute("Algorithm")
                .flatMap(Canonicalization.init(algorithm:)),
            let expected = reference.child(ds, "DigestValue").flatMap({ Self.base64($0.textContent) })
        else { throw .signatureRejected("the SignedProperties reference is not Signet's") }
        let canonical: [UInt8]
        do {
            canonical = try signature.document.canonicalBytes(NodeSelection(subtree: properties), method)
        } catch {
            throw .signatureRejected("SignedProperties do not canonicalize")
        }
        guard Array(SHA256.hash(data: canonical)) == expected else {
            throw .signatureRejected("the SignedProperties digest does not match")
        }
        guard
            let digest = properties.child(xades, "SignedSignatureProperties")?.child(xades, "SigningCertificateV2")?
                .child(xades, "Cert")?.child(xades, "CertDigest")?.child(ds, "DigestValue"),
            Self.base64(digest.textContent) == certificateHash
        else { throw .signatureRejected("SigningCertificateV2 names another certificate than the configured one") }
    }

    private static func base64(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text, options: .ignoreUnknownCharacters).map { [UInt8]($0) }
    }
}
