import Foundation

/// Java `SimpleDateFormat` letters for dates in UTC: `yyyy yy MM M dd d HH H mm m ss s`, `z`
/// (`UTC`), `Z` (`+0000`), `X` (`Z`), `'quoted text'`; anything else is copied.
enum DatePattern {
    static let standard = "yyyy-MM-dd HH:mm:ss z"

    static func format(_ date: Date, pattern: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let numbers: [Character: Int] = [
            "y": c.year ?? 0, "M": c.month ?? 0, "d": c.day ?? 0, "H": c.hour ?? 0, "m": c.minute ?? 0,
            "s": c.second ?? 0,
        ]
        let letters = Array(pattern)
        var out = ""
        var i = 0
        while i < letters.count {
            let letter = letters[i]
            var run = 1
            while i + run < letters.count, letters[i + run] == letter { run += 1 }
            switch letter {
            case "'":
                // 'text' is copied; '' is a quote.
                var end = i + 1
                while end < letters.count, letters[end] != "'" { end += 1 }
                out += end == i + 1 ? "'" : String(letters[(i + 1)..<min(end, letters.count)])
                i = min(end + 1, letters.count)
                continue
            case "y":
                let year = numbers["y"] ?? 0
                out += run == 2 ? pad(year % 100, 2) : pad(year, max(run, 1))
            case "M", "d", "H", "m", "s":
                out += pad(numbers[letter] ?? 0, run)
            case "z": out += "UTC"
            case "Z": out += "+0000"
            case "X": out += "Z"
            default: out += String(repeating: letter, count: run)
            }
            i += run
        }
        return out
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, min(width, 10) - digits.count)) + digits
    }
}
