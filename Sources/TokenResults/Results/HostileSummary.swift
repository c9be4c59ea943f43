import Foundation

public struct HostileSummary: Codable, Sendable, Hashable {
    /// Requests sent that the target must refuse: replays, expired and forged access tokens,
    /// post-logout refreshes (two-tab refreshes are benign and counted in ``byKind`` only).
    public var attempts: Int
    /// Of those, refused by the target.
    public var rejected: Int
    /// The same per kind (`replay`, `concurrent_refresh`, `expired_access`, `forged_access`,
    /// `post_logout_refresh`).
    public var byKind: [String: HostileCount]?
    /// Per kind, the refusals by status (`401`, `422`; in-process: the error code).
    public var refusedBy: HostileBreakdown?
    /// Per kind, the unjudged answers by status (`429`, `503`) or cause (`transport`, `tls`).
    public var unjudgedBy: HostileBreakdown?

    package init(attempts: Int, rejected: Int, byKind: [String: HostileCount]? = nil, refusedBy: HostileBreakdown? = nil,
                 unjudgedBy: HostileBreakdown? = nil) {
        self.attempts = attempts
        self.rejected = rejected
        self.byKind = byKind
        self.refusedBy = refusedBy
        self.unjudgedBy = unjudgedBy
    }

    enum CodingKeys: String, CodingKey {
        case attempts, rejected
        case byKind = "by_kind"
        case refusedBy = "refused_by"
        case unjudgedBy = "unjudged_by"
    }
}

/// One kind of hostile request: every one sent is refused, accepted or unjudged
/// (`sent = refused + accepted + unjudged`; the last two are absent in results written before
/// they were kept). The statuses are in ``HostileSummary/refusedBy`` and
/// ``HostileSummary/unjudgedBy``, so that `by_kind` stays a map of counts.
public struct HostileCount: Codable, Sendable, Hashable {
    public var sent: Int
    /// Refused by the target: any 4xx but 429, whatever the status (refused is refused).
    public var refused: Int
    /// Accepted (2xx).
    public var accepted: Int?
    /// Not judged: the target answered 429 or 5xx, or no answer came.
    public var unjudged: Int?

    package init(sent: Int, refused: Int, accepted: Int? = nil, unjudged: Int? = nil) {
        self.sent = sent
        self.refused = refused
        self.accepted = accepted
        self.unjudged = unjudged
    }

    /// Two counts added up (shards of one run).
    public static func + (a: HostileCount, b: HostileCount) -> HostileCount {
        func add(_ x: Int?, _ y: Int?) -> Int? { x == nil && y == nil ? nil : (x ?? 0) + (y ?? 0) }
        return HostileCount(sent: a.sent + b.sent, refused: a.refused + b.refused, accepted: add(a.accepted, b.accepted),
                            unjudged: add(a.unjudged, b.unjudged))
    }
}

/// Counts by kind, then by status or cause (`{"forged_access": {"422": 307}}`).
public typealias HostileBreakdown = [String: [String: Int]]

extension Dictionary where Key == String, Value == [String: Int] {
    /// Two breakdowns added up, key by key.
    package func adding(_ other: HostileBreakdown) -> HostileBreakdown {
        merging(other) { a, b in a.merging(b, uniquingKeysWith: +) }
    }
}
