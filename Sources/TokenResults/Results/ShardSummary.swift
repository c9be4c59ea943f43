import Foundation

/// The `shard` section of `result.json`: the slice of the run one `--shard I/N` process drove.
public struct ShardSummary: Codable, Sendable, Hashable {
    public var index: Int
    public var count: Int
    /// The first user number of the slice, and how many users it has.
    public var firstUser: Int
    public var users: Int
    /// Open model: this shard's share of the arrival rate, every stream's (resource calls and, with
    /// per-operation rates, refreshes), per second (`rate × users / total`).
    public var ratePerS: Double?
    /// `--start-at`, Unix seconds, when given.
    public var startAtUnixS: Double?

    package init(index: Int, count: Int, firstUser: Int, users: Int, ratePerS: Double? = nil, startAtUnixS: Double? = nil) {
        self.index = index
        self.count = count
        self.firstUser = firstUser
        self.users = users
        self.ratePerS = ratePerS
        self.startAtUnixS = startAtUnixS
    }

    enum CodingKeys: String, CodingKey {
        case index, count, users
        case firstUser = "first_user"
        case ratePerS = "rate_per_s"
        case startAtUnixS = "start_at_unix_s"
    }
}
