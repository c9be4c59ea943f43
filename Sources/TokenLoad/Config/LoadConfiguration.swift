import Foundation
import TokenAuth

/// Everything a load run is told. Durations are in seconds; ratios in 0 ... 1.
public struct LoadConfiguration: Sendable, Hashable, Codable {
    /// How the load is offered.
    public enum Model: String, Sendable, Hashable, Codable {
        /// Closed model: `users` virtual users; each waits for its answer, then thinks.
        case closed
        /// Open model: operations arrive at `rate` per second in total, spread over the users;
        /// each operation is due at its intended time whatever happened before, and its latency
        /// is measured from that intended time (no coordinated omission).
        case open
    }

    public var model: Model = .closed
    /// Virtual users (and synthetic accounts `user0 … user{N-1}`).
    public var users: Int = 100
    /// Open model: arrival rate, operations per second (all users together).
    public var rate: Double? = nil
    /// Measured duration, seconds.
    public var duration: Double = 10
    /// Warm-up before measurement, seconds (operations run but are not recorded).
    public var warmup: Double = 0
    /// Access-token lifetime the server is configured with (in-process: applied), seconds.
    public var accessTTL: Double = 5
    /// Refresh-token family lifetime (in-process: applied), seconds.
    public var refreshTTL: Double = 3600
    /// Grace window (in-process: applied), seconds.
    public var grace: Double = 10
    /// Leeway (in-process: applied), seconds.
    public var leeway: Double = 30
    /// Refresh this long before the access token expires, seconds.
    public var refreshLead: Double = 1
    /// Random extra lead, up to this many seconds, so users do not refresh in lock-step.
    public var refreshJitter: Double = 0.5
    /// Closed model: pause between a user's operations, seconds (closed model; derived from `rate` in the open model).
    public var thinkTime: Double = 1
    /// A session's length before the user logs out or abandons it, seconds.
    public var sessionLength: Double = 60
    /// Share of sessions that end with a logout (the rest are abandoned).
    public var logoutRatio: Double = 0.8
    /// In-process: every resource call also checks in the store that the session is live
    /// (`AuthConfiguration.checkSessionOnAccess`), so logout takes effect at once and the
    /// store's lookup is measured. Default on.
    public var sessionCheck: Bool = true
    /// Access-token algorithm (in-process).
    public var algorithm: AccessTokenAlgorithm = .hs256
    /// Password hashing (in-process): `argon2id` or `bcrypt`.
    public var passwordHash: String = "bcrypt"
    /// Cost: bcrypt cost, or argon2id memory in KiB (iterations 2, 1 lane).
    public var passwordHashCost: Int = 4
    /// Seed: the same seed gives the same sequence of decisions per user.
    public var seed: UInt64 = 1
    /// Share of refreshes preceded by a replay of an older, spent refresh token (a thief).
    public var replayRatio: Double = 0
    /// Share of refreshes sent twice at once ("two tabs").
    public var concurrentRefreshRatio: Double = 0
    /// Share of resource calls made with an expired access token.
    public var expiredAccessRatio: Double = 0
    /// Share of resource calls made with a forged access token (signature altered).
    public var forgedAccessRatio: Double = 0
    /// Worker threads (tasks); default: the number of cores.
    public var workers: Int = ProcessInfo.processInfo.activeProcessorCount
    /// The target: `in-process`, `noop`, or a URL.
    public var target: String = "in-process"

    public init() {}

    /// Keys are the `run` flags without their dashes, so a scenario file reads like a command line.
    enum CodingKeys: String, CodingKey {
        case model, users, rate, duration, warmup, grace, leeway, seed, workers, target
        case sessionCheck = "session-check"
        case accessTTL = "access-ttl"
        case refreshTTL = "refresh-ttl"
        case refreshLead = "refresh-lead"
        case refreshJitter = "refresh-jitter"
        case thinkTime = "think-time"
        case sessionLength = "session-length"
        case logoutRatio = "logout-ratio"
        case algorithm = "alg"
        case passwordHash = "password-hash"
        case passwordHashCost = "password-hash-cost"
        case replayRatio = "replay-ratio"
        case concurrentRefreshRatio = "concurrent-refresh-ratio"
        case expiredAccessRatio = "expired-access-ratio"
        case forgedAccessRatio = "forged-access-ratio"
    }

    /// Checks ranges and combinations.
    /// - Throws: ``ConfigurationError`` naming the flag and the accepted form.
    public func validate() throws(ConfigurationError) {
        func need(_ ok: Bool, _ flag: String, _ accepted: String) throws(ConfigurationError) {
            if !ok { throw ConfigurationError(setting: flag, accepted: accepted) }
        }
        try need(users >= 1 && users <= 10_000_000, "--users", "an integer 1 ... 10000000")
        if let rate { try need(rate.isFinite && rate > 0 && rate <= 10_000_000, "--rate", "a number > 0 (operations per second), e.g. 5000") }
        try need(model == .closed || rate != nil, "--rate", "required by the open model")
        try need(duration.isFinite && duration > 0 && duration <= 86_400, "--duration", "a duration > 0, e.g. 30s, 2m")
        try need(warmup.isFinite && warmup >= 0 && warmup <= 3600, "--warmup", "a duration ≥ 0, e.g. 5s")
        try need(accessTTL.isFinite && accessTTL >= 1 && accessTTL <= 86_400, "--access-ttl", "a duration of 1s ... 24h")
        try need(refreshTTL.isFinite && refreshTTL >= 1 && refreshTTL <= 400 * 86_400, "--refresh-ttl", "a duration of 1s ... 400 days (9600h)")
        try need(grace.isFinite && grace >= 0 && grace <= 300, "--grace", "a duration of 0 ... 300s")
        try need(leeway.isFinite && leeway >= 0 && leeway <= 60, "--leeway", "a duration of 0 ... 60s")
        try need(refreshLead.isFinite && refreshLead >= 0 && refreshLead < accessTTL, "--refresh-lead", "a duration ≥ 0 and below --access-ttl")
        try need(refreshJitter.isFinite && refreshJitter >= 0 && refreshJitter <= accessTTL, "--refresh-jitter", "a duration of 0 ... --access-ttl")
        try need(thinkTime.isFinite && thinkTime >= 0 && thinkTime <= 3600, "--think-time", "a duration of 0 ... 1h")
        try need(sessionLength.isFinite && sessionLength > 0 && sessionLength <= 7 * 86_400, "--session-length", "a duration of 0 ... 7 days (168h)")
        if let rate { try need(Double(users) / rate <= 3600, "--rate", "at least --users / 3600 per second (each user acts at least once an hour)") }
        for (flag, value) in [("--logout-ratio", logoutRatio), ("--replay-ratio", replayRatio),
                              ("--concurrent-refresh-ratio", concurrentRefreshRatio),
                              ("--expired-access-ratio", expiredAccessRatio), ("--forged-access-ratio", forgedAccessRatio)] {
            try need(value.isFinite && value >= 0 && value <= 1, flag, "a ratio 0 ... 1, e.g. 0.05")
        }
        try need(["argon2id", "bcrypt"].contains(passwordHash), "--password-hash", "argon2id or bcrypt")
        try need(concurrentRefreshRatio == 0 || grace > 0, "--concurrent-refresh-ratio",
                 "0 when --grace is 0 (without a grace window a concurrent refresh is reuse, and is revoked by design)")
        if target == "noop" {
            try need(replayRatio == 0 && concurrentRefreshRatio == 0 && expiredAccessRatio == 0 && forgedAccessRatio == 0,
                     "--target noop", "no hostile ratios (the no-op target accepts everything)")
        }
        try need(workers >= 1 && workers <= 256, "--workers", "an integer 1 ... 256")
        switch passwordHash {
        case "bcrypt": try need((4...31).contains(passwordHashCost), "--password-hash-cost", "4 ... 31 for bcrypt")
        default: try need(passwordHashCost >= 8 && passwordHashCost <= 4_194_304, "--password-hash-cost", "8 ... 4194304 (KiB) for argon2id")
        }
    }

    /// The think time each user keeps in the open model: users / rate, seconds.
    public var effectiveThinkTime: Double {
        if model == .open, let rate { return Double(users) / rate }
        return thinkTime
    }

    /// The password algorithm these settings name.
    public var passwordAlgorithm: PasswordHashing.Algorithm {
        passwordHash == "bcrypt" ? .bcrypt(cost: passwordHashCost)
            : .argon2id(memoryKiB: UInt32(passwordHashCost), iterations: 2, parallelism: 1)
    }
}

extension AccessTokenAlgorithm: Codable {}
