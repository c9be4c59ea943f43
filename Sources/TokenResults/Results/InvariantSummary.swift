import Foundation

public struct InvariantSummary: Codable, Sendable, Hashable {
    /// Answers the shadow model judged.
    public var checked: Int
    public var violations: Int
    public var byKind: [String: Int]
    /// Answers it could not judge because a server setting is unknown (HTTP), or a refresh
    /// of a server that does not rotate (no successor to judge).
    public var unjudged: Int?
    /// Checks by invariant, passed or not: what a clean run verified (every refresh and access
    /// answer the shadow model can judge counts, hostile traffic or not).
    public var checkedByKind: [String: Int]?

    public init(checked: Int, violations: Int, byKind: [String: Int], unjudged: Int? = nil, checkedByKind: [String: Int]? = nil) {
        self.checked = checked
        self.violations = violations
        self.byKind = byKind
        self.unjudged = unjudged
        self.checkedByKind = checkedByKind
    }

    enum CodingKeys: String, CodingKey {
        case checked, violations, unjudged
        case byKind = "by_kind"
        case checkedByKind = "checked_by_kind"
    }
}
