/// A dictionary that keeps its key order, so rewritten objects look like their originals.
struct PDFDict: Sendable {
    private(set) var keys: [String] = []
    private var values: [String: PDFObject] = [:]

    init() {}

    init(_ pairs: [(String, PDFObject)]) {
        for (k, v) in pairs { self[k] = v }
    }

    subscript(key: String) -> PDFObject? {
        get { values[key] }
        set {
            if let newValue {
                if values.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    var entries: [(String, PDFObject)] { keys.compactMap { k in values[k].map { (k, $0) } } }
    var count: Int { keys.count }
}
