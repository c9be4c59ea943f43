import Foundation

public struct HostileSummary: Codable, Sendable, Hashable {
    /// Hostile requests sent, which the target must refuse: replays, expired and forged access
    /// tokens, post-logout refreshes (two-tab refreshes are benign and counted in ``byKind`` only).
    public var attempts: Int
    /// Of those, refused by the target.
    public var rejected: Int
    /// The same per kind (`replay`, `concurrent_refresh`, `expired_access`, `forged_access`,
    /// `post_logout_refresh`).
    public var byKind: [String: HostileCount]?

    package init(attempts: Int, rejected: Int, byKind: [String: HostileCount]? = nil) {
        self.attempts = attempts
        self.rejected = rejected
        self.byKind = byKind
    }

    enum CodingKeys: String, CodingKey {
        case attempts, rejected
        case byKind = "by_kind"
    }
}

public struct HostileCount: Codable, Sendable, Hashable {
    public var sent: Int
    public var refused: Int

    package init(sent: Int, refused: Int) {
        self.sent = sent
        self.refused = refused
    }
}
