import CLibXML2

/// The canonicalizations XML-DSig names, all done by libxml2 (`xmlC14NExecute`).
public enum Canonicalization: Sendable, Equatable {
    /// Exclusive XML Canonicalization 1.0.
    case exclusive(withComments: Bool)
    /// Canonical XML 1.0 (inclusive).
    case inclusive(withComments: Bool)

    /// The algorithm URI.
    public var algorithm: String {
        switch self {
        case .exclusive(false): "http://www.w3.org/2001/10/xml-exc-c14n#"
        case .exclusive(true): "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
        case .inclusive(false): "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
        case .inclusive(true): "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
        }
    }

    public init?(algorithm: String) {
        switch algorithm {
        case Self.exclusive(withComments: false).algorithm: self = .exclusive(withComments: false)
        case Self.exclusive(withComments: true).algorithm: self = .exclusive(withComments: true)
        case Self.inclusive(withComments: false).algorithm: self = .inclusive(withComments: false)
        case Self.inclusive(withComments: true).algorithm: self = .inclusive(withComments: true)
        default: return nil
        }
    }

    var mode: Int32 {
        switch self {
        case .exclusive: Int32(XML_C14N_EXCLUSIVE_1_0.rawValue)
        case .inclusive: Int32(XML_C14N_1_0.rawValue)
        }
    }

    public var withComments: Bool {
        switch self {
        case .exclusive(let comments), .inclusive(let comments): comments
        }
    }
}

/// Which nodes a canonicalization covers: a document subset as XML-DSig's references describe it.
public struct NodeSelection {
    /// Only this element's subtree (its attributes and namespace nodes included); nil: the
    /// whole document.
    public var subtree: XMLNode?
    /// Elements left out with everything inside them (the enveloped-signature transform, an
    /// XPath filter subtracting signatures).
    public var excluded: [XMLNode]
    /// Leaves out every `ds:Signature` element of the document with what is inside it (what the
    /// XPath `not(ancestor-or-self::ds:Signature)` and the XPath Filter 2.0 `subtract
    /// /descendant::ds:Signature` select).
    public var excludesAllSignatures: Bool

    public init(subtree: XMLNode? = nil, excluded: [XMLNode] = [], excludesAllSignatures: Bool = false) {
        self.subtree = subtree
        self.excluded = excluded
        self.excludesAllSignatures = excludesAllSignatures
    }
}

extension XMLDocument {
    /// The canonical form of the selected nodes, handed to `sink` in pieces as libxml2 writes it
    /// (a 20 MB document is hashed without its canonical form being held whole).
    public func canonicalize(
        _ selection: NodeSelection = NodeSelection(), _ method: Canonicalization,
        into sink: (UnsafeRawBufferPointer) -> Void
    ) throws(XMLError) {
        try withoutActuallyEscaping(sink) { (sink) throws(XMLError) in
            let output = Output(sink: sink)
            let visibility = Visibility(selection)
            let context = Unmanaged.passRetained(output)
            defer { context.release() }
            guard
                let buffer = xmlOutputBufferCreateIO(
                    { context, bytes, count in
                        guard let context, let bytes, count >= 0 else { return -1 }
                        Unmanaged<Output>.fromOpaque(context).takeUnretainedValue()
                            .sink(UnsafeRawBufferPointer(start: bytes, count: Int(count)))
                        return count
                    }, nil, context.toOpaque(), nil)
            else { throw .malformed("libxml2 could not make an output buffer") }
            let written = withExtendedLifetime(visibility) {
                xmlC14NExecute(
                    pointer,
                    visibility.isEverything
                        ? nil
                        : { user, node, parent in
                            guard let user else { return 1 }
                            return Unmanaged<Visibility>.fromOpaque(user).takeUnretainedValue()
                                .isVisible(node, parent: parent) ? 1 : 0
                        },
                    Unmanaged.passUnretained(visibility).toOpaque(), method.mode, nil, method.withComments ? 1 : 0,
                    buffer)
            }
            let closed = xmlOutputBufferClose(buffer)
            guard written >= 0, closed >= 0 else {
                // Canonical XML refuses relative namespace URIs (`xmlns="invoice"`), as libxml2 does.
                throw .malformed("the document cannot be canonicalized (a relative namespace URI?)")
            }
        }
    }

    /// The canonical form of the selected nodes as bytes.
    public func canonicalBytes(_ selection: NodeSelection = NodeSelection(), _ method: Canonicalization)
        throws(XMLError) -> [UInt8]
    {
        var bytes: [UInt8] = []
        try canonicalize(selection, method) { bytes.append(contentsOf: $0) }
        return bytes
    }
}

/// Collects libxml2's output for a Swift closure.
private final class Output {
    let sink: (UnsafeRawBufferPointer) -> Void
    init(sink: @escaping (UnsafeRawBufferPointer) -> Void) { self.sink = sink }
}

/// The node-set test `xmlC14NExecute` asks for every node: attributes and namespace nodes are
/// judged by their element (`parent`; a namespace node is an `xmlNs`, not an `xmlNode`).
private final class Visibility {
    static let signatureNamespace = "http://www.w3.org/2000/09/xmldsig#"
    let subtree: xmlNodePtr?
    let excluded: [xmlNodePtr]
    let excludesAllSignatures: Bool

    init(_ selection: NodeSelection) {
        subtree = selection.subtree?.pointer
        excluded = selection.excluded.map(\.pointer)
        excludesAllSignatures = selection.excludesAllSignatures
    }

    var isEverything: Bool { subtree == nil && excluded.isEmpty && !excludesAllSignatures }

    func isVisible(_ node: xmlNodePtr?, parent: xmlNodePtr?) -> Bool {
        guard let node else { return false }
        // libxml2 hands namespace nodes (`xmlNs`) and attributes (`xmlAttr`) through the same
        // pointer type; only the leading fields they share with `xmlNode` are read.
        let element: xmlNodePtr? = nodeType(node) == XML_NAMESPACE_DECL ? parent : node
        guard let element else { return subtree == nil }
        if let subtree, !XMLNode.node(element, isInside: subtree) { return false }
        for excludedNode in excluded where XMLNode.node(element, isInside: excludedNode) { return false }
        if excludesAllSignatures {
            var current: xmlNodePtr? = element
            while let candidate = current {
                if nodeType(candidate) == XML_ELEMENT_NODE, string(candidate.pointee.name) == "Signature",
                    let ns = candidate.pointee.ns, string(ns.pointee.href) == Self.signatureNamespace
                {
                    return false
                }
                current = nodeParent(candidate)
            }
        }
        return true
    }
}
