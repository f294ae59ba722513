/// Small byte-pattern searches.
enum ByteSearch {
    static func find(_ pattern: [UInt8], in bytes: [UInt8], from: Int, to: Int? = nil) -> Int? {
        let limit = min(to ?? bytes.count, bytes.count)
        guard let first = pattern.first, from >= 0, limit - pattern.count >= from else { return nil }
        var i = from
        while i <= limit - pattern.count {
            if bytes[i] == first {
                var j = 1
                while j < pattern.count, bytes[i + j] == pattern[j] { j += 1 }
                if j == pattern.count { return i }
            }
            i += 1
        }
        return nil
    }

    static func findLast(_ pattern: [UInt8], in bytes: [UInt8], before: Int? = nil) -> Int? {
        guard !pattern.isEmpty else { return nil }
        var i = min(before ?? bytes.count, bytes.count) - pattern.count
        while i >= 0 {
            var j = 0
            while j < pattern.count, bytes[i + j] == pattern[j] { j += 1 }
            if j == pattern.count { return i }
            i -= 1
        }
        return nil
    }
}
