/// Java `.properties` text as Kafka reads server.properties: `key=value`, `key: value` or
/// `key value`; `#` and `!` comment lines; a trailing backslash continues a line; `\t \n \r \f
/// \uXXXX` escapes; later keys override earlier ones.
public enum PropertiesFile {
    public static func parse(_ text: String) -> [(key: String, value: String)] {
        var entries: [(String, String)] = []
        var logical = ""
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            var line = Substring(rawLine)
            if logical.isEmpty {
                line = line.drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{0C}" })
                if line.isEmpty || line.first == "#" || line.first == "!" { continue }
            } else {
                line = line.drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{0C}" })
            }
            if endsWithContinuation(line) {
                logical += line.dropLast()
                continue
            }
            logical += line
            if let entry = split(logical) { entries.append(entry) }
            logical = ""
        }
        if !logical.isEmpty, let entry = split(logical) { entries.append(entry) }
        return entries
    }

    /// An odd number of trailing backslashes continues the line.
    static func endsWithContinuation(_ line: Substring) -> Bool {
        var count = 0
        for c in line.reversed() {
            if c == "\\" { count += 1 } else { break }
        }
        return count % 2 == 1
    }

    static func split(_ line: String) -> (String, String)? {
        var rest = Array(line)[...]
        let key = unescaped(&rest, stopAt: ["=", ":", " ", "\t"])
        // Separator: whitespace, then at most one = or :, then whitespace.
        rest = rest.drop(while: { $0 == " " || $0 == "\t" })
        if let c = rest.first, c == "=" || c == ":" { rest = rest.dropFirst() }
        rest = rest.drop(while: { $0 == " " || $0 == "\t" })
        let value = unescaped(&rest, stopAt: [])
        return key.isEmpty ? nil : (key, value)
    }

    /// Reads characters up to an unescaped one of `stopAt` (or the end), decoding escapes.
    static func unescaped(_ rest: inout ArraySlice<Character>, stopAt: Set<Character>) -> String {
        var out = ""
        while let c = rest.first {
            if c == "\\" {
                rest = rest.dropFirst()
                guard let next = rest.first else { break }
                out.append(unescape(next, rest: &rest))
                continue
            }
            if stopAt.contains(c) { break }
            out.append(c)
            rest = rest.dropFirst()
        }
        return out
    }

    /// Decodes the escape whose letter is `c` (the first of `rest`), consuming it.
    static func unescape(_ c: Character, rest: inout ArraySlice<Character>) -> Character {
        rest = rest.dropFirst()
        switch c {
        case "t": return "\t"
        case "n": return "\n"
        case "r": return "\r"
        case "f": return "\u{0C}"
        case "u":
            let hex = String(rest.prefix(4))
            if hex.count == 4, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) {
                rest = rest.dropFirst(4)
                return Character(scalar)
            }
            return "u"
        default: return c
        }
    }
}
