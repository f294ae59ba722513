// Shared by the fuzzer (scripts/fuzz.sh compiles this file into Fuzz/FuzzEntry.swift's module)
// and FuzzRegressionTests, so a fixture replays with the request that found it.
#if canImport(PDF)
    import PDF
#endif

/// The visible-signature request the fuzzer derives from an input's last bytes. With the high
/// bit of the last byte clear, the last byte modulo 4 picks invisible, coordinates, placeholder
/// or field (the original harness). With it set, the four bytes before it pick hostile numbers
/// for a placement: NaN, infinities, negatives, zero, huge values, pages beyond the document.
enum FuzzRequest {
    static let numbers: [Double] = [
        .nan, .infinity, -.infinity, 0, -0.0, -1, 1e308, -1e308, 14_400, 14_400.01, 1e6, .leastNonzeroMagnitude,
        72, 200, 9.3e18, 0.5,
    ]
    static let pages = [Int.min, -1, 0, 1, 2, 3, Int.max, 1000]

    static func visible(_ bytes: [UInt8]) -> VisibleSignature? {
        let selector = bytes.last ?? 0
        guard selector & 0x80 != 0 else {
            switch selector % 4 {
            case 1: return .coordinates(page: 1, x: 10, y: 10, width: 50, height: 20)
            case 2: return .placeholder(word: "SIGNHERE", width: 50, height: 20)
            case 3: return .field(name: "Approval")
            default: return nil
            }
        }
        let picks = bytes.dropLast().suffix(4).map(Int.init) + [0, 0, 0, 0]
        func number(_ i: Int) -> Double { numbers[picks[i] % numbers.count] }
        switch selector % 2 {
        case 0:
            return .coordinates(
                page: pages[(picks[0] >> 4) % pages.count], x: number(0), y: number(1), width: number(2),
                height: number(3))
        default:
            return .placeholder(word: "SIGNHERE", width: number(2), height: number(3))
        }
    }
}
