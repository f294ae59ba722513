import Foundation
import PDF

/// A visible signature's text with Velocity-style references to the signing certificate and the
/// signing time, as Sign'Stash templates write them: `$certificate.getCommonName()`, also
/// `${certificate.getCommonName()}`, `$!certificate.getCommonName()` and the property form
/// `$certificate.commonName`; `$date` and `$date.get('yyyy-MM-dd HH:mm')` (UTC). The names are
/// in `CertificateNames.values`. A reference whose value the certificate lacks becomes empty; an
/// unknown reference stays as written (as Velocity leaves it). Filled in by the signer, which
/// alone knows the certificate it signs with.
public struct SignatureTemplate: Sendable, Equatable {
    public let source: String

    public init(_ source: String) { self.source = source }

    /// The text for `certificate` at `date`, at most `SignatureAppearance.maxTextLength` characters.
    public func text(certificate: CertificateNames, date: Date) -> String {
        let scalars = Array(source.unicodeScalars)
        var out: [Unicode.Scalar] = []
        var index = 0
        while index < scalars.count, out.count < SignatureAppearance.maxTextLength {
            if scalars[index] == "$",
                let (value, next) = Reference.read(scalars, at: index, certificate: certificate, date: date)
            {
                out += value.unicodeScalars
                index = next
            } else {
                out.append(scalars[index])
                index += 1
            }
        }
        return String(String.UnicodeScalarView(out.prefix(SignatureAppearance.maxTextLength)))
    }

    /// One `$…` reference.
    enum Reference {
        static func read(_ s: [Unicode.Scalar], at start: Int, certificate: CertificateNames, date: Date)
            -> (String, Int)?
        {
            var i = start + 1
            if i < s.count, s[i] == "!" { i += 1 }
            let braced = i < s.count && s[i] == "{"
            if braced { i += 1 }
            guard let (root, afterRoot) = identifier(s, at: i) else { return nil }
            i = afterRoot
            var value: String
            switch root {
            case "certificate":
                guard i < s.count, s[i] == ".", let (member, afterMember) = identifier(s, at: i + 1) else {
                    return nil
                }
                i = afterMember
                var key = member
                if member.hasPrefix("get"), member.count > 3 {
                    guard let afterCall = call(s, at: i) else { return nil }
                    i = afterCall
                    key = String(member.dropFirst(3))
                }
                guard let known = certificate.value(named: key) else { return nil }
                value = known
            case "date":
                value = DatePattern.format(date, pattern: DatePattern.standard)
                if i + 4 < s.count, s[i] == ".", String(String.UnicodeScalarView(s[(i + 1)..<(i + 4)])) == "get",
                    let (pattern, afterCall) = quotedArgument(s, at: i + 4)
                {
                    value = DatePattern.format(date, pattern: pattern)
                    i = afterCall
                }
            default:
                return nil
            }
            if braced {
                guard i < s.count, s[i] == "}" else { return nil }
                i += 1
            }
            return (value, i)
        }

        static let digits: ClosedRange<Unicode.Scalar> = "0"..."9"

        /// A Velocity identifier: a letter, then letters, digits, `_` or `-`.
        static func identifier(_ s: [Unicode.Scalar], at start: Int) -> (String, Int)? {
            guard start < s.count, s[start].properties.isAlphabetic, s[start].isASCII else { return nil }
            var end = start + 1
            while end < s.count, s[end].isASCII,
                s[end].properties.isAlphabetic || Self.digits.contains(s[end]) || s[end] == "_" || s[end] == "-"
            {
                end += 1
            }
            return (String(String.UnicodeScalarView(s[start..<end])), end)
        }

        /// `()` after a method name.
        static func call(_ s: [Unicode.Scalar], at start: Int) -> Int? {
            guard start + 1 < s.count, s[start] == "(", s[start + 1] == ")" else { return nil }
            return start + 2
        }

        /// `('text')` or `("text")`, at most 64 characters of text.
        static func quotedArgument(_ s: [Unicode.Scalar], at start: Int) -> (String, Int)? {
            guard start + 1 < s.count, s[start] == "(", s[start + 1] == "'" || s[start + 1] == "\"" else { return nil }
            let quote = s[start + 1]
            var end = start + 2
            while end < s.count, s[end] != quote, end - start < 66 { end += 1 }
            guard end + 1 < s.count, s[end] == quote, s[end + 1] == ")" else { return nil }
            return (String(String.UnicodeScalarView(s[(start + 2)..<end])), end + 2)
        }
    }
}
