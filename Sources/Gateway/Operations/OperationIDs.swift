import Common
import Foundation

/// Mints operation ids: whole numbers below 2^53 (exact in every JSON parser, as Sign'Stash's
/// clients read them), each naming the gateway instance that owns it (docs/api.md):
///
///     id = instance × 2^43 + counter        instance 0…1023, counter < 2^43
///
/// The counter follows the clock in milliseconds since 1970 (2^43 ms lasts until 2248) and never
/// repeats: each id is above the one before and above every id of the table recovered at start,
/// so ids stay unique across restarts without a write of their own. A burst above 1,000 per
/// second borrows milliseconds ahead of the clock.
final class OperationIDs: Sendable {
    static let counterBits = 43
    static let instances = 0...1023

    let instance: Int
    private let last: Locked<Int64>

    /// `floor`: every id this instance already used is at most this.
    init(instance: Int, floor: Int64 = 0) {
        precondition(Self.instances.contains(instance), "an instance number is 0...1023")
        self.instance = instance
        self.last = Locked(max(floor, Int64(instance) << Self.counterBits))
    }

    func next(now: Date = Date()) -> String {
        let base = Int64(instance) << Self.counterBits
        let clock = base + min(Int64(now.timeIntervalSince1970 * 1000), (1 << Self.counterBits) - 1)
        return String(
            last.withLock { last in
                last = max(last + 1, clock)
                return last
            })
    }

    /// The instance an id names, if it is one of these numbers.
    static func instance(of id: some StringProtocol) -> Int? {
        guard let number = number(id) else { return nil }
        return Int(number >> counterBits)
    }

    /// The id as a number when it is one (canonical decimal, below 2^53); older builds minted
    /// other strings, which stay strings.
    static func number(_ id: some StringProtocol) -> Int64? {
        guard !id.isEmpty, id.utf8.count <= 16, id.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            id.utf8.first != UInt8(ascii: "0") || id.utf8.count == 1,
            let number = Int64(id), number < (1 << 53)
        else { return nil }
        return number
    }

    /// The highest id among `ids` that this scheme minted for `instance`.
    static func highest(of ids: some Sequence<String>, instance: Int) -> Int64 {
        ids.compactMap(number).filter { Int($0 >> counterBits) == instance }.max() ?? 0
    }
}
