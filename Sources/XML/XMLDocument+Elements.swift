import CLibXML2

extension XMLDocument {
    /// The first element, in document order, whose name as written (`cac:Invoice`) or local name
    /// (`Invoice`) is `name`, with its position among all elements in document order (the
    /// document element is 0). That position is how the byte scanner finds the element's start
    /// tag in the original bytes (`XMLMarkup`).
    public func firstElement(named name: String) -> (node: XMLNode, index: Int)? {
        var index = 0
        var found: (XMLNode, Int)?
        walkElements { node in
            let element = XMLNode(node, in: self)
            if element.localName == name || element.qualifiedName == name {
                found = (element, index)
                return false
            }
            index += 1
            return true
        }
        return found
    }

    /// The position of `element` among all elements in document order (the document element is
    /// 0), as `XMLMarkup` counts start tags.
    public func position(of element: XMLNode) -> Int? {
        var index = 0
        var found: Int?
        walkElements { node in
            if node == element.pointer {
                found = index
                return false
            }
            index += 1
            return true
        }
        return found
    }

    /// The elements with this namespace and local name, in document order.
    public func elements(_ namespace: String, _ localName: String) -> [XMLNode] {
        var matches: [XMLNode] = []
        walkElements { node in
            let element = XMLNode(node, in: self)
            if element.localName == localName, element.namespaceURI == namespace { matches.append(element) }
            return true
        }
        return matches
    }

    /// The element whose attribute `Id` is `id`, if exactly one has it.
    public func element(withID id: String) -> XMLNode? {
        var matches: [XMLNode] = []
        walkElements { node in
            let element = XMLNode(node, in: self)
            if element.attribute("Id") == id { matches.append(element) }
            return matches.count < 2
        }
        return matches.count == 1 ? matches[0] : nil
    }

    /// The deepest element's depth (the document element is 1), counted without recursion.
    func depth() -> Int {
        var deepest = 0
        walkElements { node in
            var depth = 0
            var current: xmlNodePtr? = node
            while let here = current, nodeType(here) == XML_ELEMENT_NODE {
                depth += 1
                current = nodeParent(here)
            }
            deepest = max(deepest, depth)
            return deepest <= XMLDocument.maxDepth
        }
        return deepest
    }

    /// Visits every element in document order (pre-order, without recursion: depth is the
    /// input's to choose) until `visit` returns false.
    func walkElements(_ visit: (xmlNodePtr) -> Bool) {
        guard var node = xmlDocGetRootElement(pointer) else { return }
        while true {
            guard visit(node) else { return }
            if let child = xmlFirstElementChild(node) {
                node = child
                continue
            }
            var current: xmlNodePtr? = node
            while let here = current {
                if let next = xmlNextElementSibling(here) {
                    node = next
                    break
                }
                current = here.pointee.parent
                if current == nil || current?.pointee.type != XML_ELEMENT_NODE { return }
            }
        }
    }
}
