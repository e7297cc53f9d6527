/// An inclusive range of message versions as the specs write it: "0+", "3-5", "7", "none".
///
/// The generator intersects ranges to prune conditions that cannot matter: a field present in
/// every version its struct can have needs no `if version >= …` at all.
public struct VersionRange: Equatable, Sendable, CustomStringConvertible {
    public var lowest: Int
    public var highest: Int

    /// The highest version we treat "N+" as reaching.
    public static let ceiling = Int(Int16.max)
    public static let none = VersionRange(lowest: 1, highest: 0)
    public static let all = VersionRange(lowest: 0, highest: ceiling)

    public init(lowest: Int, highest: Int) {
        self.lowest = lowest
        self.highest = highest
    }

    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "none" {
            self = .none
        } else if t.hasSuffix("+"), let low = Int(t.dropLast()) {
            self.init(lowest: low, highest: Self.ceiling)
        } else if let dash = t.firstIndex(of: "-"), let low = Int(t[..<dash]),
            let high = Int(t[t.index(after: dash)...])
        {
            self.init(lowest: low, highest: high)
        } else if let single = Int(t) {
            self.init(lowest: single, highest: single)
        } else {
            throw GeneratorError.badSpec("cannot parse version range '\(text)'")
        }
    }

    public var isEmpty: Bool { lowest > highest }

    public func contains(_ version: Int) -> Bool { version >= lowest && version <= highest }

    public func intersection(_ other: VersionRange) -> VersionRange {
        let r = VersionRange(lowest: max(lowest, other.lowest), highest: min(highest, other.highest))
        return r.isEmpty ? .none : r
    }

    /// The smallest range holding both (used where one struct serves several fields).
    public func hull(_ other: VersionRange) -> VersionRange {
        if isEmpty { return other }
        if other.isEmpty { return self }
        return VersionRange(lowest: min(lowest, other.lowest), highest: max(highest, other.highest))
    }

    public func covers(_ other: VersionRange) -> Bool {
        other.isEmpty || (lowest <= other.lowest && highest >= other.highest)
    }

    /// A Swift condition on `version` that is true exactly for the versions of `self` that lie in
    /// `context`; "true"/"false" when the answer does not depend on the version.
    public func condition(within context: VersionRange, variable: String = "version") -> String {
        let r = intersection(context)
        if r.isEmpty { return "false" }
        if r == context { return "true" }
        var parts: [String] = []
        if r.lowest > context.lowest { parts.append("\(variable) >= \(r.lowest)") }
        if r.highest < context.highest { parts.append("\(variable) <= \(r.highest)") }
        return parts.joined(separator: " && ")
    }

    public var description: String {
        if isEmpty { return "none" }
        if highest == Self.ceiling { return "\(lowest)+" }
        if lowest == highest { return "\(lowest)" }
        return "\(lowest)-\(highest)"
    }
}

public enum GeneratorError: Error, CustomStringConvertible {
    case badSpec(String)
    case io(String)

    public var description: String {
        switch self {
        case .badSpec(let s): return "bad spec: \(s)"
        case .io(let s): return s
        }
    }
}
