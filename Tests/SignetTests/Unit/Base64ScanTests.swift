import Testing

@testable import Gateway

/// The sixteen-bytes-at-a-time alphabet scan agrees with the per-byte table for every byte value
/// at every position of a run, across the 16-byte boundaries.
struct Base64ScanTests {
    static func reference(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count, JSONIntake.base64Classes[Int(bytes[index])] == 0 { index += 1 }
        return index
    }

    @Test func theVectorScanStopsWhereTheTableDoes() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 15, 16, 17, 31, 32, 33, 70] {
            let clean = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            for start in Set([0, min(1, length), min(5, length)]) {
                #expect(clean.withUnsafeBytes { JSONIntake.alphabetRunEnd($0, from: start) } == length)
                for position in start..<length {
                    for value in 0...255 {
                        var bytes = clean
                        bytes[position] = UInt8(value)
                        let expected = Self.reference(bytes, from: start)
                        let scanned = bytes.withUnsafeBytes { JSONIntake.alphabetRunEnd($0, from: start) }
                        if scanned != expected {
                            Issue.record("length \(length) start \(start) byte \(value) at \(position): \(scanned)")
                            return
                        }
                    }
                }
            }
        }
    }
}
