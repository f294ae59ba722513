import Foundation
import Testing

@testable import Gateway

struct OperationIDsTests {
    @Test func idsAreIncreasingNumbersThatNameTheirInstance() throws {
        let ids = OperationIDs(instance: 1023)
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        // A burst in one millisecond borrows the next ones: all distinct, increasing.
        let burst = (0..<5000).map { _ in ids.next(now: now) }
        let numbers = burst.compactMap { OperationIDs.number($0) }
        #expect(numbers.count == burst.count)
        #expect(zip(numbers, numbers.dropFirst()).allSatisfy { $0 < $1 })
        #expect(numbers.allSatisfy { $0 < 1 << 53 && OperationIDs.instance(of: String($0)) == 1023 })
        let expected: Int64 = (1023 << 43) + 1_796_000_000_000
        #expect(numbers.first == expected, "\(String(describing: numbers.first)) \(expected)")
        // The clock going back does not reuse an id.
        #expect(OperationIDs.number(ids.next(now: now.addingTimeInterval(-3600)))! > numbers.last!)
    }

    @Test func aRestartStartsAboveEveryIdItRecovered() {
        let first = OperationIDs(instance: 7)
        let future = Date(timeIntervalSince1970: 1_900_000_000)
        let used = (0..<3).map { _ in first.next(now: future) } + ["legacy-string-id", "12", "\(3 << 43 + 99)"]
        let floor = OperationIDs.highest(of: used, instance: 7)
        #expect(floor == OperationIDs.number(used[2]))
        // Restarted with its clock an hour behind: still above what it minted before.
        let restarted = OperationIDs(instance: 7, floor: floor)
        #expect(OperationIDs.number(restarted.next(now: future.addingTimeInterval(-3600)))! > floor)
    }

    @Test func onlyCanonicalNumbersAreIds() {
        for text in ["", "-1", "+5", "007", "1 ", "9007199254740992", "abc", "12345678901234567"] {
            #expect(OperationIDs.number(text) == nil, "\(text)")
        }
        #expect(OperationIDs.number("0") == 0)
        #expect(OperationIDs.number("9007199254740991") == (1 << 53) - 1)
    }
}
