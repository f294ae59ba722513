/// Bounds on the work one document may cause. Exceeding any of them fails the preparation with
/// `PDF_TOO_COMPLEX`; the defaults are far above what real documents need (docs/pdf.md).
public struct PDFLimits: Sendable, Equatable {
    /// Nesting of arrays and dictionaries inside one object.
    public var maxObjectDepth = 64
    /// References followed in a row (`1 0 R` → `2 0 R` → …), indirect `/Length` included, and
    /// objects being loaded at once (a stream whose `/Length` lives in an object stream, …).
    public var maxReferenceDepth = 32
    /// Cross-reference sections along the `/Prev` chain.
    public var maxXRefSections = 512
    /// Object numbers (and `/Size`) stay below this.
    public var maxObjects = 8_388_608
    /// Decoded bytes of one stream.
    public var maxStreamBytes = 64 << 20
    /// Decoded bytes of all streams of the document together (xref, object and content streams).
    public var maxDecodedBytes = 256 << 20
    /// Depth of the page tree.
    public var maxPageTreeDepth = 64
    /// Nodes of the page tree (pages and intermediate nodes).
    public var maxPageTreeNodes = 200_000
    /// Depth of the form field tree.
    public var maxFieldDepth = 32
    /// Form fields walked.
    public var maxFields = 100_000

    public init() {}
}
