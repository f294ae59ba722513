import Foundation
import TestSupport
import Testing

@testable import PDF

/// Unit tests of the lexer, parser, serializer and filters.
@Suite(.timeLimit(.minutes(5)))
struct SyntaxTests {
    func parse(_ text: String) throws -> PDFObject? {
        var parser = PDFParser(Array(text.utf8))
        return try parser.parseObject()
    }

    func roundTrip(_ text: String) throws -> String {
        let object = try #require(try parse(text))
        return String(decoding: PDFSerializer.bytes(object), as: UTF8.self)
    }

    @Test func literalStrings() throws {
        #expect(try parse("(a\\(b\\)c)")?.stringBytes == Array("a(b)c".utf8))
        #expect(try parse("(x (nested) y)")?.stringBytes == Array("x (nested) y".utf8))
        #expect(try parse("(\\101\\0621\\n\\\\)")?.stringBytes == Array("A21\n\\".utf8))
        #expect(try parse("(line\\\ncontinued)")?.stringBytes == Array("linecontinued".utf8))
        #expect(try parse("(cr\r\nlf)")?.stringBytes == Array("cr\nlf".utf8))
        #expect(errorCode { _ = try parse("(unterminated") } == "PDF_MALFORMED")
    }

    @Test func hexStringsAndNames() throws {
        #expect(try parse("<48 65 6c6C 6>")?.stringBytes == [0x48, 0x65, 0x6C, 0x6C, 0x60])
        #expect(try parse("/A#20B")?.name == "A B")
        #expect(try roundTrip("/A#20B#2F") == "/A#20B#2F")
        #expect(errorCode { _ = try parse("<4G>") } == "PDF_MALFORMED")
    }

    @Test func numbers() throws {
        #expect(try parse("-.5")?.number == -0.5)
        #expect(try parse("3.")?.number == 3)
        #expect(try parse("+17")?.int == 17)
        #expect(try parse("--5")?.int == 5)
        #expect(try parse("99999999999999999999999")?.number != nil)  // overflow degrades to real
        #expect(PDFSerializer.formatReal(0.0000001) == "0.0000001")
        #expect(PDFSerializer.formatReal(612) == "612")
        #expect(PDFSerializer.formatReal(233.868) == "233.868")
    }

    @Test func referencesAndContainers() throws {
        let object = try #require(try parse("<< /A [1 0 R 2 3] /B << /C null /D true >> % comment\n /E 4 0 R >>"))
        let dict = try #require(object.dict)
        #expect(dict["A"]?.array?.count == 3)
        #expect(dict["A"]?.array?.first?.ref == PDFRef(num: 1, gen: 0))
        #expect(dict["B"]?.dict?["C"] == nil, "null values are absent keys")
        #expect(dict["E"]?.ref == PDFRef(num: 4, gen: 0))
        #expect(dict.keys == ["A", "B", "E"])
        #expect(try roundTrip("<</A [1 0 R 2 3]/B (x)>>") == "<</A [1 0 R 2 3]/B (x)>>")
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(errorCode { _ = try parse(deep) } == "PDF_TOO_COMPLEX")
        let deepDict = String(repeating: "<</A ", count: 1000)
        #expect(errorCode { _ = try parse(deepDict) } == "PDF_TOO_COMPLEX")
    }

    @Test func flateAndPredictors() throws {
        let data = Array("hello hello hello hello".utf8)
        #expect(try Flate.inflate(Flate.deflate(data), limit: 100) == data)
        #expect(errorCode { _ = try Flate.inflate([0x78, 0x9C, 0xFF, 0xFF], limit: 100) } == "PDF_MALFORMED")
        #expect(errorCode { _ = try Flate.inflate(Flate.deflate(data), limit: data.count - 1) } == "PDF_TOO_COMPLEX")
        // PNG Up over two rows of 3 bytes.
        let predicted: [UInt8] = [2, 1, 2, 3, 2, 1, 1, 1]
        let parms = PDFDict([("Predictor", .int(12)), ("Columns", .int(3))])
        #expect(try Flate.unpredict(predicted, parms: parms) == [1, 2, 3, 2, 3, 4])
        #expect(errorCode { _ = try Flate.unpredict([9, 0, 0, 0], parms: parms) } == "PDF_MALFORMED")
    }

    /// TestSupport's zlib encoder (used by SamplePDF and HostilePDF) against zlib itself.
    @Test func testSupportZlibInflates() throws {
        let data = Array("stored blocks".utf8) + [UInt8](repeating: 7, count: 70_000)
        #expect(try Flate.inflate(Zlib.stored(data), limit: 1 << 20) == data)
        let bomb = Zlib.prefix(Array("head".utf8), thenZeros: 1_000_003)
        #expect(bomb.count < 1_200)
        let inflated = try Flate.inflate(bomb, limit: 1 << 20)
        #expect(inflated.count == 1_000_007 && inflated.prefix(4) == Array("head".utf8)[...])
        #expect(inflated.dropFirst(4).allSatisfy { $0 == 0 })
    }

    @Test func asciiFilters() throws {
        #expect(try ASCIIFilters.ascii85(Array("9jqo^~>".utf8)) == Array("Man ".utf8))
        #expect(
            try ASCIIFilters.ascii85(Array("<~9jqo^BlbD-BleB1DJ+*+F(f,q~>".utf8)) == Array("Man is distinguished".utf8))
        #expect(try ASCIIFilters.ascii85(Array("z~>".utf8)) == [0, 0, 0, 0])
        #expect(try ASCIIFilters.asciiHex(Array("48 65 7>".utf8)) == [0x48, 0x65, 0x70])
    }

    @Test func textStringsAndDates() {
        #expect(PDFSerializer.date(Date(timeIntervalSince1970: 0)) == "D:19700101000000+00'00'")
        #expect(PDFSerializer.textString("abc").stringBytes == Array("abc".utf8))
        #expect(
            PDFSerializer.textString("Zürich").stringBytes == [
                0xFE, 0xFF, 0, 0x5A, 0, 0xFC, 0, 0x72, 0, 0x69, 0, 0x63, 0, 0x68,
            ])
        #expect(PDFFormFields.text([0xFE, 0xFF, 0, 0x41, 0x00, 0xE9]) == "Aé")
    }
}
