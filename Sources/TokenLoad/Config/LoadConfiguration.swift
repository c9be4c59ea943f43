import Foundation
import TokenAuth
import TokenResults

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
    /// Open model: arrival rate, per second (all users together). Each arrival is a resource
    /// call, or a login when the user has no session; refreshes, logins and logouts follow from
    /// the token lifetime and the session length, as extra operations. With ``refreshRate``
    /// (`--rate refresh=N,access=M`) this is the rate of resource calls alone (`nil`: none).
    public var rate: Double? = nil
    /// Open model: refresh arrivals per second (all users together), or `nil` for refreshes when
    /// the access token is due (`--rate refresh=N`). User `n` of `N` takes refresh arrivals
    /// `n + 1.5N, n + 2.5N, …`, so each refreshes every `users / refreshRate` s, earlier than its
    /// token falls due (as a client with a long lead would); logins and logouts come as needed
    /// to keep sessions flowing, and a login never serves an arrival.
    public var refreshRate: Double? = nil
    /// Measured duration, seconds.
    public var duration: Double = 10
    /// Warm-up before measurement, seconds (operations run but are not recorded).
    public var warmup: Double = 0
    /// Ramping stages (`--stages`): the level of users (closed model) or of the arrival rate
    /// (open model) over the run, which then lasts as long as they do (warm-up included).
    public var stages: [LoadStage]? = nil
    /// Access-token lifetime, seconds. In-process: applied. HTTP: what the server's answers
    /// say (`expires_in`, else the JWT's `exp − iat`), else this value when given; `nil` until
    /// the preflight has found it.
    public var accessTTL: Double? = 5
    /// Refresh-token family lifetime, seconds. In-process: applied. HTTP: the server's, when
    /// given or read from a JWS refresh token; `nil`: unknown, so a refused current token is an
    /// error but cannot be judged a violation.
    public var refreshTTL: Double? = 3600
    /// Grace window, seconds. In-process: applied. HTTP: the server's when given; `nil`:
    /// unknown, so the cases that depend on it are not judged (RFC 9700 §4.14.2 leaves it to the server).
    public var grace: Double? = 10
    /// Clock-skew leeway, seconds. In-process: applied. HTTP: the server's when given; `nil`:
    /// unknown, so expired access tokens cannot be judged.
    public var leeway: Double? = 30
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
    /// The target: `in-process`, `noop`, `simulated:CONCURRENCYxSERVICE_TIME`, or a URL.
    public var target: String = "in-process"
    /// A run is inconclusive when an operation's error rate exceeds this (default 1 %).
    public var maxErrorRate: Double = 0.01
    /// A run is inconclusive when the driver's scheduling lag p99 exceeds this, seconds; `nil`:
    /// 100 ms, or one think time if longer in the closed model (users a whole think time late
    /// have lost their schedule).
    public var maxLag: Double? = nil
    /// HTTP targets: the whole target description (profile, paths, fields; no secret).
    public var http: HTTPTargetDescription? = nil
    /// `--shard I/N`: this process drives shard I of N. Every other setting keeps the whole
    /// run's value (`users`, `rate`, `stages` are totals); the shard runs its slice of users.
    public var shard: Shard? = nil
    /// `--fault`: faults over windows of the measured time (``Fault``); injected ones need the
    /// in-process target.
    public var faults: [Fault]? = nil
    /// `--target-pid`, `--store-pid`: processes on this machine whose CPU time over the
    /// measured window is reported per operation (the store's with its descendants: a
    /// PostgreSQL postmaster and its backends). Not part of the recorded settings: a pid says
    /// nothing about another run.
    public var targetPID: Int32? = nil
    public var storePID: Int32? = nil
    /// `--target-metrics`: the servers' Prometheus endpoints, whose `process_cpu_seconds_total`
    /// over the measured window is the target's CPU (servers on other machines, or several).
    /// Not recorded either.
    public var targetMetrics: TargetMetricsSource? = nil

    public init() {}

    /// One of N load generators of one run (`--shard I/N`). Shard I drives the users
    /// `⌊U·I/N⌋ ..< ⌊U·(I+1)/N⌋` of the run's `U` users, under the whole run's schedule: in
    /// the open model user n takes arrivals n, n + U, n + 2U, …, so the shards' arrivals are
    /// exactly the unsharded run's (rates and user counts sum to the totals), and each user's
    /// decisions come from the run's seed and its own number, as in an unsharded run.
    public struct Shard: Sendable, Hashable, Codable, CustomStringConvertible {
        /// 0-based.
        public var index: Int
        /// Shards in the run, ≥ 1.
        public var count: Int

        public init(index: Int, count: Int) {
            self.index = index
            self.count = count
        }

        /// `I/N`.
        public var description: String { "\(index)/\(count)" }

        /// Parses `I/N`, or `N` alone with `I` from `index` (`JOB_COMPLETION_INDEX`).
        /// - Throws: ``ConfigurationError`` for anything but 0 ≤ I < N ≤ 100000.
        public init(parsing text: String, index fallback: String? = nil) throws(ConfigurationError) {
            let accepted = "I/N with 0 ≤ I < N, e.g. 0/4 (or N alone, I from JOB_COMPLETION_INDEX)"
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            let indexText: Substring?
            let countText: Substring
            switch parts.count {
            case 2: (indexText, countText) = (parts[0], parts[1])
            case 1: (indexText, countText) = (fallback.map { Substring($0) }, parts[0])
            default: throw ConfigurationError(setting: "--shard", accepted: accepted + " (got '\(text)')")
            }
            guard let indexText else {
                throw ConfigurationError(setting: "--shard", accepted: accepted + " (got '\(text)', and JOB_COMPLETION_INDEX is not set)")
            }
            guard let n = Int(countText), let i = Int(indexText), n >= 1, n <= 100_000, i >= 0, i < n else {
                throw ConfigurationError(setting: "--shard", accepted: accepted + " (got '\(parts.count == 1 ? "\(indexText)/\(countText)" : text)')")
            }
            self.init(index: i, count: n)
        }

        /// The user numbers of this shard among `total`.
        public func users(of total: Int) -> Range<Int> {
            (total * index / count)..<(total * (index + 1) / count)
        }
    }

    /// The user numbers this process drives: all of them, or its shard's.
    public var userNumbers: Range<Int> { shard?.users(of: users) ?? 0..<users }

    /// Keys are the `run` flags without their dashes, so a scenario file reads like a command line.
    enum CodingKeys: String, CodingKey {
        case model, users, rate, duration, warmup, grace, leeway, seed, workers, target, stages, http, shard
        case refreshRate = "refresh-rate"
        case faults = "fault"
        case maxErrorRate = "max-error-rate"
        case maxLag = "max-lag"
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
        try need(model == .closed || rate != nil || refreshRate != nil || stages != nil, "--rate", "required by the open model")
        try need(duration.isFinite && duration > 0 && duration <= 86_400, "--duration", "a duration > 0, e.g. 30s, 2m")
        try need(warmup.isFinite && warmup >= 0 && warmup <= 3600, "--warmup", "a duration ≥ 0, e.g. 5s")
        let http = target.hasPrefix("http://") || target.hasPrefix("https://")
        if !http {
            try need(accessTTL != nil, "--access-ttl", "a duration for the in-process target")
            try need(refreshTTL != nil, "--refresh-ttl", "a duration for the in-process target")
            try need(grace != nil, "--grace", "a duration for the in-process target")
            try need(leeway != nil, "--leeway", "a duration for the in-process target")
        }
        if let accessTTL { try need(accessTTL.isFinite && accessTTL >= 1 && accessTTL <= 86_400, "--access-ttl", "a duration of 1s ... 24h") }
        if let refreshTTL { try need(refreshTTL.isFinite && refreshTTL >= 1 && refreshTTL <= 400 * 86_400, "--refresh-ttl", "a duration of 1s ... 400 days (9600h)") }
        if let grace { try need(grace.isFinite && grace >= 0 && grace <= 300, "--grace", "a duration of 0 ... 300s") }
        // The server's leeway (HTTP) is whatever it is; ours is at most 60 s (docs/design.md).
        if let leeway { try need(leeway.isFinite && leeway >= 0 && leeway <= (http ? 3600 : 60), "--leeway", http ? "a duration of 0 ... 1h" : "a duration of 0 ... 60s") }
        try need(refreshLead.isFinite && refreshLead >= 0 && refreshLead < (accessTTL ?? .infinity), "--refresh-lead", "a duration ≥ 0 and below the access-token lifetime (--access-ttl)")
        try need(refreshJitter.isFinite && refreshJitter >= 0 && refreshJitter <= (accessTTL ?? .infinity), "--refresh-jitter", "a duration of 0 ... the access-token lifetime (--access-ttl)")
        if let refreshRate {
            try need(model == .open, "--rate", "refresh=N with the open model")
            try need(refreshRate.isFinite && refreshRate > 0 && refreshRate <= 10_000_000, "--rate", "refresh=N with 0 < N ≤ 10000000 (refreshes per second), e.g. refresh=2000")
            try need(stages == nil, "--stages", "not with --rate refresh=N (per-operation rates are constant)")
            // Each user refreshes every users / rate seconds: before its access token expires.
            if let accessTTL {
                try need(Double(users) / refreshRate <= accessTTL - refreshLead, "--rate",
                         "refresh=N with N ≥ users ÷ (access-token lifetime − refresh lead) = \(Units.figure(Double(users) / max(0.001, accessTTL - refreshLead)))/s: each of the \(users) users refreshes every \(Units.figure(Double(users) / refreshRate)) s, later than its \(Units.figure(accessTTL)) s access token allows (raise the rate, or lower --users)")
            }
        }
        try need(maxErrorRate.isFinite && maxErrorRate >= 0 && maxErrorRate <= 1, "--max-error-rate", "a ratio 0 ... 1 or a percentage, e.g. 1%")
        if let maxLag { try need(maxLag.isFinite && maxLag > 0 && maxLag <= 3600, "--max-lag", "a duration > 0, e.g. 100ms") }
        if let stages {
            try need(!stages.isEmpty && stages.reduce(0, { $0 + $1.duration }) <= 86_400, "--stages", "stages lasting at most 24h in all")
            try need(warmup < stages.reduce(0, { $0 + $1.duration }), "--warmup", "shorter than the stages (the warm-up is their first part)")
            if model == .closed {
                try need(users == Int(stages.map(\.target).max() ?? 0), "--users", "the largest stage target (set from --stages)")
            }
        }
        for f in faults ?? [] {
            try need(f.until <= duration, "--fault", "a window within the measured time (\(f) ends after --duration \(DurationValue.text(duration)))")
            try need(!f.isInjected || !http, "--fault", "external@FROM..UNTIL for an HTTP target (\(f) is injected into the in-process core's store; stop the real store yourself: docs/faults-and-soak.md)")
        }
        try need(thinkTime.isFinite && thinkTime >= 0 && thinkTime <= 3600, "--think-time", "a duration of 0 ... 1h")
        try need(sessionLength.isFinite && sessionLength > 0 && sessionLength <= 7 * 86_400, "--session-length", "a duration of 0 ... 7 days (168h)")
        if let rate { try need(Double(users) / rate <= 3600, "--rate", "at least --users / 3600 per second (each user acts at least once an hour)") }
        for (flag, value) in [("--logout-ratio", logoutRatio), ("--replay-ratio", replayRatio),
                              ("--concurrent-refresh-ratio", concurrentRefreshRatio),
                              ("--expired-access-ratio", expiredAccessRatio), ("--forged-access-ratio", forgedAccessRatio)] {
            try need(value.isFinite && value >= 0 && value <= 1, flag, "a ratio 0 ... 1, e.g. 0.05")
        }
        try need(["argon2id", "bcrypt"].contains(passwordHash), "--password-hash", "argon2id or bcrypt")
        try need(expiredAccessRatio == 0 || leeway != nil, "--expired-access-ratio",
                 "--leeway as well: the server's clock-skew leeway (an expired access token cannot be judged without it)")
        if target == "noop" || target.hasPrefix("simulated:") {
            try need(replayRatio == 0 && concurrentRefreshRatio == 0 && expiredAccessRatio == 0 && forgedAccessRatio == 0,
                     "--target \(target)", "no hostile ratios (the \(target == "noop" ? "no-op" : "simulated") target accepts every token)")
        }
        try need(workers >= 1 && workers <= 256, "--workers", "an integer 1 ... 256")
        if let shard {
            try need(shard.count >= 1 && shard.index >= 0 && shard.index < shard.count, "--shard", "I/N with 0 ≤ I < N")
            try need(shard.count <= users, "--shard", "at most one shard per user (\(shard.count) shards, \(users) users)")
        }
        switch passwordHash {
        case "bcrypt": try need((4...31).contains(passwordHashCost), "--password-hash-cost", "4 ... 31 for bcrypt")
        default: try need(passwordHashCost >= 8 && passwordHashCost <= 4_194_304, "--password-hash-cost", "8 ... 4194304 (KiB) for argon2id")
        }
    }

    /// The think time each user keeps in the open model: users / rate, seconds (at the
    /// largest stage rate when ramping).
    public var effectiveThinkTime: Double {
        if model == .open, let rate = rate ?? stages?.map(\.target).max(), rate > 0 { return Double(users) / rate }
        return thinkTime
    }

    /// The run's length from its start to its end, warm-up included, seconds.
    public var totalSeconds: Double {
        if let stages { return stages.reduce(0) { $0 + $1.duration } }
        return warmup + duration
    }

    /// Sets the open model's rates from `--rate`: a number (arrivals per second, each a
    /// resource call or a login; `5000`), or per-operation rates (`refresh=2000,access=8000`,
    /// `refresh=500`), each an operation with its own arrival stream.
    /// - Throws: ``ConfigurationError`` for anything else: another operation, a repeated one,
    ///   a value that is not a number.
    public mutating func setRates(_ text: String) throws(ConfigurationError) {
        let accepted = "a number (arrivals per second, e.g. 5000) or per-operation rates, e.g. refresh=2000,access=8000"
        if !text.contains("=") {
            guard let r = Double(text.trimmingCharacters(in: .whitespaces)) else { throw ConfigurationError(setting: "--rate", accepted: accepted) }
            rate = r
            refreshRate = nil
            return
        }
        var access: Double?, refresh: Double?
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, let value = Double(pair[1].trimmingCharacters(in: .whitespaces)) else {
                throw ConfigurationError(setting: "--rate", accepted: accepted)
            }
            switch pair[0].trimmingCharacters(in: .whitespaces) {
            case "refresh" where refresh == nil: refresh = value
            case "access" where access == nil: access = value
            default:
                throw ConfigurationError(setting: "--rate", accepted: "refresh=N and access=N, each at most once (logins and logouts follow from the sessions), e.g. refresh=2000,access=8000")
            }
        }
        rate = access
        refreshRate = refresh
        if refresh == nil, access == nil { throw ConfigurationError(setting: "--rate", accepted: accepted) }
    }

    /// Open model: arrivals per second of every stream together (resource calls and, with
    /// per-operation rates, refreshes): what the achieved rate is measured against.
    public var intendedArrivalRate: Double? {
        guard model == .open else { return nil }
        if rate == nil, refreshRate == nil { return nil }
        return (rate ?? 0) + (refreshRate ?? 0)
    }

    /// The refresh arrivals over the run, when refreshes have their own rate.
    package var refreshSchedule: LoadSchedule? { refreshRate.map { LoadSchedule(constant: $0) } }

    /// The level over the run: users (closed) or arrivals per second (open).
    package var schedule: LoadSchedule {
        if let stages { return LoadSchedule(stages: stages) }
        return LoadSchedule(constant: model == .open ? (rate ?? 0) : Double(users))
    }

    /// The bound on the driver's scheduling lag p99 above which a run is inconclusive, seconds.
    public var effectiveMaxLag: Double {
        RunSettings.maxLagBound(maxLag: maxLag, closedModel: model == .closed, thinkTime: thinkTime)
    }

    /// The password algorithm these settings name.
    public var passwordAlgorithm: PasswordHashing.Algorithm {
        passwordHash == "bcrypt" ? .bcrypt(cost: passwordHashCost)
            : .argon2id(memoryKiB: UInt32(passwordHashCost), iterations: 2, parallelism: 1)
    }
}

extension AccessTokenAlgorithm: Codable {}
