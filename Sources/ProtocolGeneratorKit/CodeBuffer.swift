/// Lines of generated Swift with indentation tracked, so emitters read like the code they write.
struct CodeBuffer {
    private(set) var lines: [String] = []
    private var depth = 0

    mutating func line(_ text: String = "") {
        lines.append(text.isEmpty ? "" : String(repeating: "    ", count: depth) + text)
    }

    /// `opener {` … `}` with the body indented.
    mutating func block(_ opener: String, closer: String = "}", _ body: (inout CodeBuffer) -> Void) {
        line(opener + " {")
        depth += 1
        body(&self)
        depth -= 1
        line(closer)
    }

    /// Continues the block just closed: `} else {` … `}`.
    mutating func continueBlock(_ opener: String, _ body: (inout CodeBuffer) -> Void) {
        let closer = String(repeating: "    ", count: depth) + "}"
        if lines.last == closer { lines.removeLast() }
        line("} " + opener + " {")
        depth += 1
        body(&self)
        depth -= 1
        line("}")
    }

    mutating func append(_ other: CodeBuffer) {
        for l in other.lines { line(l) }
    }

    var text: String { lines.joined(separator: "\n") + "\n" }

    /// Whether any line mentions `identifier` as a whole word (to avoid unused locals).
    func mentions(_ identifier: String) -> Bool {
        lines.contains { line in
            var rest = Substring(line)
            while let r = rest.range(of: identifier) {
                let before = r.lowerBound == line.startIndex ? nil : line[line.index(before: r.lowerBound)]
                let after = r.upperBound == line.endIndex ? nil : line[r.upperBound]
                let isWord = { (c: Character?) in c.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false }
                if !isWord(before) && !isWord(after) { return true }
                rest = line[r.upperBound...]
            }
            return false
        }
    }
}
