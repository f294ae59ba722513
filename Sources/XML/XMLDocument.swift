import CLibXML2

/// A parsed XML document, owned by this object (freed with it). Only libxml2 reads XML here.
///
/// Parsing never touches the network or the file system and never expands an entity: a DOCTYPE
/// that declares an entity (general or parameter, internal or external) or names an external DTD
/// stops the parser at that declaration with `XML_DTD_FORBIDDEN`, before anything could be
/// expanded or fetched. An attribute default in the internal subset (`<!ATTLIST x a CDATA "v">`,
/// `#FIXED` too) is refused the same way: Canonical XML's data model includes it, xmlsec1 and
/// lxml leave it out, so what a signature covers would depend on the verifier. A DOCTYPE with
/// none of these (`<!DOCTYPE Invoice>`, element declarations) is accepted.
///
/// Not `Sendable`: one document belongs to one task, and its nodes are valid while it lives.
public final class XMLDocument {
    let pointer: xmlDocPtr

    /// libxml2's global state is initialised once per process, before the first parse.
    private static let initialized: Bool = {
        xmlInitParser()
        return true
    }()

    private init(_ pointer: xmlDocPtr) {
        self.pointer = pointer
    }

    deinit { xmlFreeDoc(pointer) }

    /// The options every parse uses: no network, no entity substitution, no DTD loading or
    /// attribute defaulting, no XInclude, errors kept in the context (not printed).
    /// `XML_PARSE_HUGE` lifts the 10 MB limit on one text node (invoices carry base64
    /// attachments); the entity amplification it would also relax cannot happen, as no entity
    /// may be declared.
    static let options = Int32(
        XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
            | XML_PARSE_HUGE.rawValue)

    /// Parses `bytes` (any encoding whose markup is ASCII: UTF-8, ISO-8859-x, Windows-125x,
    /// US-ASCII; others are `XML_UNSUPPORTED_ENCODING`).
    public static func parse(_ bytes: [UInt8]) throws(XMLError) -> XMLDocument {
        _ = initialized
        guard !bytes.isEmpty else { throw .empty("the document is empty") }
        try XMLEncoding.checkASCIICompatible(bytes)
        try XMLEncoding.checkDeclared(XMLEncoding.declared(in: bytes))
        guard bytes.count <= Int(Int32.max) else { throw .malformed("the document is larger than 2 GiB") }
        guard let context = xmlNewParserCtxt() else { throw .malformed("libxml2 could not make a parser") }
        defer { xmlFreeParserCtxt(context) }
        refuseDeclarations(context)
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                xmlCtxtReadMemory(context, $0.baseAddress, Int32($0.count), nil, nil, options)
            }
        }
        if context.pointee._private == forbiddenMarker {
            if let parsed { xmlFreeDoc(parsed) }
            throw .dtdForbidden("the DOCTYPE declares entities or attribute defaults, or names an external DTD")
        }
        guard let parsed, context.pointee.wellFormed != 0 else {
            if let parsed { xmlFreeDoc(parsed) }
            throw lastError(of: context, bytes)
        }
        let document = XMLDocument(parsed)
        guard context.pointee.nsWellFormed != 0 else {
            throw .malformed("the document is not namespace-well-formed (an undeclared prefix?)")
        }
        try XMLEncoding.checkDeclared(document.declaredEncoding)
        // `XML_PARSE_HUGE` also lifts libxml2's nesting limit, and canonicalization recurses
        // once per level: the usual limit is put back here.
        guard document.depth() <= maxDepth else {
            throw .malformed("elements nest deeper than \(maxDepth) levels")
        }
        return document
    }

    /// libxml2's own nesting limit without `XML_PARSE_HUGE` (what xmlsec1 and lxml accept).
    public static let maxDepth = 256

    /// The encoding the prolog declares, as written; nil when none is declared (UTF-8).
    public var declaredEncoding: String? {
        pointer.pointee.encoding.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }

    /// The document element.
    public var root: XMLNode? {
        xmlDocGetRootElement(pointer).map { XMLNode($0, in: self) }
    }

    /// The value `_private` takes when a forbidden declaration stopped the parser.
    nonisolated(unsafe) private static let forbiddenMarker = UnsafeMutableRawPointer(bitPattern: 0x5167_6E65)

    /// Replaces the SAX callbacks that would record a DTD's declarations: any entity declaration,
    /// or an internal or external subset naming an external DTD, marks the context and stops
    /// the parser.
    private static func refuseDeclarations(_ context: xmlParserCtxtPtr) {
        guard let sax = context.pointee.sax else { return }
        sax.pointee.entityDecl = { user, _, _, _, _, _ in XMLDocument.forbid(user) }
        sax.pointee.unparsedEntityDecl = { user, _, _, _, _ in XMLDocument.forbid(user) }
        // Called after every DOCTYPE, with the external identifiers it named (none: nothing to load).
        sax.pointee.externalSubset = { user, _, externalID, systemID in
            if externalID != nil || systemID != nil { XMLDocument.forbid(user) }
        }
        sax.pointee.attributeDecl = { user, element, name, type, defaultType, defaultValue, values in
            guard defaultValue == nil else {
                xmlFreeEnumeration(values)
                return XMLDocument.forbid(user)
            }
            xmlSAX2AttributeDecl(user, element, name, type, defaultType, defaultValue, values)
        }
        sax.pointee.internalSubset = { user, name, externalID, systemID in
            guard externalID == nil, systemID == nil else { return XMLDocument.forbid(user) }
            xmlSAX2InternalSubset(user, name, externalID, systemID)
        }
    }

    private static func forbid(_ user: UnsafeMutableRawPointer?) {
        guard let context = user?.assumingMemoryBound(to: xmlParserCtxt.self) else { return }
        context.pointee._private = forbiddenMarker
        xmlStopParser(context)
    }

    /// The parser's last error as a Signet error: an encoding libxml2 cannot decode is
    /// `XML_UNSUPPORTED_ENCODING`, anything else `XML_MALFORMED` with libxml2's message and line.
    private static func lastError(of context: xmlParserCtxtPtr, _ bytes: [UInt8]) -> XMLError {
        guard let error = xmlCtxtGetLastError(context) else { return .malformed("the document is not well-formed XML") }
        let message = error.pointee.message.map { trimmed(String(cString: $0)) } ?? "not well-formed"
        if error.pointee.code == Int32(XML_ERR_UNSUPPORTED_ENCODING.rawValue) {
            return .unsupportedEncoding("libxml2 cannot decode the document: \(message)")
        }
        // libxml2 gives "document empty" also for bytes that are not XML at all ("%PDF-").
        if error.pointee.code == Int32(XML_ERR_DOCUMENT_EMPTY.rawValue), XMLMarkup.holdsOnlyProlog(bytes) {
            return .empty("the document holds no element")
        }
        return .malformed("line \(error.pointee.line): \(message)")
    }
}

/// `text` without leading and trailing white space (libxml2's messages end with a newline).
func trimmed(_ text: String) -> String {
    var scalars = Substring(text)
    while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
    while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
    return String(scalars)
}
