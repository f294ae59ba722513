import CLibXML2
#if canImport(Glibc)
    import Glibc
#endif

/// An element (or other node) of an `XMLDocument`; it keeps its document alive.
public struct XMLNode {
    let pointer: xmlNodePtr
    public let document: XMLDocument

    init(_ pointer: xmlNodePtr, in document: XMLDocument) {
        self.pointer = pointer
        self.document = document
    }

    /// The local name.
    public var localName: String { string(pointer.pointee.name) ?? "" }

    /// The namespace prefix as written, nil for none.
    public var prefix: String? { pointer.pointee.ns.flatMap { string($0.pointee.prefix) } }

    /// The namespace name, nil for none.
    public var namespaceURI: String? { pointer.pointee.ns.flatMap { string($0.pointee.href) } }

    /// The name as written: `prefix:local` or `local`.
    public var qualifiedName: String { prefix.map { "\($0):\(localName)" } ?? localName }

    public var isElement: Bool { pointer.pointee.type == XML_ELEMENT_NODE }

    /// The value of the attribute without namespace named `name`.
    public func attribute(_ name: String) -> String? {
        guard let value = xmlGetNoNsProp(pointer, name) else { return nil }
        defer { free(value) }
        return string(value)
    }

    /// The concatenated text of the node and its descendants.
    public var textContent: String {
        guard let value = xmlNodeGetContent(pointer) else { return "" }
        defer { free(value) }
        return string(value) ?? ""
    }

    /// The child elements, in order.
    public var childElements: [XMLNode] {
        var children: [XMLNode] = []
        var child = xmlFirstElementChild(pointer)
        while let current = child {
            children.append(XMLNode(current, in: document))
            child = xmlNextElementSibling(current)
        }
        return children
    }

    /// The first child element with this namespace and local name.
    public func child(_ namespace: String, _ localName: String) -> XMLNode? {
        childElements.first { $0.namespaceURI == namespace && $0.localName == localName }
    }

    /// Whether `self` is `ancestor` or lies inside it.
    public func isInside(_ ancestor: XMLNode) -> Bool { XMLNode.node(pointer, isInside: ancestor.pointer) }

    static func node(_ node: xmlNodePtr, isInside ancestor: xmlNodePtr) -> Bool {
        var current: xmlNodePtr? = node
        while let candidate = current {
            if candidate == ancestor { return true }
            current = nodeParent(candidate)
        }
        return false
    }
}

// The leading fields of `xmlNode` (`_private`, `type`, `name`, `children`, `last`, `parent`) sit
// at the same offsets in `xmlAttr`, `xmlDoc` and, for `type`, `xmlNs`: these read only them,
// never a whole `xmlNode` from a smaller struct.
private let typeOffset = MemoryLayout<xmlNode>.offset(of: \xmlNode.type) ?? 8
private let parentOffset = MemoryLayout<xmlNode>.offset(of: \xmlNode.parent) ?? 40

func nodeType(_ node: xmlNodePtr) -> xmlElementType {
    UnsafeRawPointer(node).load(fromByteOffset: typeOffset, as: xmlElementType.self)
}

func nodeParent(_ node: xmlNodePtr) -> xmlNodePtr? {
    UnsafeRawPointer(node).load(fromByteOffset: parentOffset, as: xmlNodePtr?.self)
}

func string(_ text: UnsafePointer<xmlChar>?) -> String? {
    text.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
}
