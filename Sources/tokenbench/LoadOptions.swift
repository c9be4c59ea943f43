import ArgumentParser
import TokenAuth
import TokenLoad

/// The options of a load run, shared by every command that runs one.
struct LoadOptions: ParsableArguments {
    @Option(help: "Virtual users (closed model), or the user pool of the open model.")
    var users: Int = 100
    @Option(help: "Open model: arrival rate, operations per second (e.g. 5000). Omit for the closed model.")
    var rate: Double?
    @Option(help: "Measured duration (e.g. 30s, 2m).")
    var duration: String = "10s"
    @Option(help: "Warm-up before measuring (e.g. 5s).")
    var warmup: String = "0s"
    @OptionGroup var core: CoreOptions
    @Option(name: .customLong("refresh-lead"), help: "Refresh this long before the access token expires.")
    var refreshLead: String = "1s"
    @Option(name: .customLong("refresh-jitter"), help: "Random extra lead, up to this long.")
    var refreshJitter: String = "500ms"
    @Option(name: .customLong("think-time"), help: "Closed model: mean pause between a user's operations.")
    var thinkTime: String = "1s"
    @Option(name: .customLong("session-length"), help: "Mean session length before logout or abandonment.")
    var sessionLength: String = "60s"
    @Option(name: .customLong("logout-ratio"), help: "Share of sessions ending in a logout (the rest are abandoned).")
    var logoutRatio: Double = 0.8
    @Option(help: "Seed for every random decision (same seed, same sequence of actions).")
    var seed: UInt64 = 1
    @Option(name: .customLong("replay-ratio"), help: "Share of refreshes preceded by a replay of a spent token (a thief).")
    var replayRatio: Double = 0
    @Option(name: .customLong("concurrent-refresh-ratio"), help: "Share of refreshes sent twice at once (two tabs).")
    var concurrentRefreshRatio: Double = 0
    @Option(name: .customLong("expired-access-ratio"), help: "Share of resource calls with an expired access token.")
    var expiredAccessRatio: Double = 0
    @Option(name: .customLong("forged-access-ratio"), help: "Share of resource calls with a forged access token.")
    var forgedAccessRatio: Double = 0
    @Option(help: "Worker tasks (default: one per core).")
    var workers: Int?
    @Option(help: "Target: in-process (the core, no HTTP), noop (driver overhead only), or an HTTP server's URL (see --profile).")
    var target: String = "in-process"

    /// The settings, checked.
    /// - Throws: `ValidationError` naming the flag and the accepted form.
    func configuration() throws -> LoadConfiguration {
        var c = LoadConfiguration()
        c.users = users
        c.rate = rate
        c.model = rate == nil ? .closed : .open
        c.duration = try Flags.seconds(duration, "--duration")
        c.warmup = try Flags.seconds(warmup, "--warmup")
        try core.apply(to: &c)
        c.refreshLead = try Flags.seconds(refreshLead, "--refresh-lead")
        c.refreshJitter = try Flags.seconds(refreshJitter, "--refresh-jitter")
        c.thinkTime = try Flags.seconds(thinkTime, "--think-time")
        c.sessionLength = try Flags.seconds(sessionLength, "--session-length")
        c.logoutRatio = logoutRatio
        c.seed = seed
        c.replayRatio = replayRatio
        c.concurrentRefreshRatio = concurrentRefreshRatio
        c.expiredAccessRatio = expiredAccessRatio
        c.forgedAccessRatio = forgedAccessRatio
        if let workers { c.workers = workers }
        guard ["in-process", "noop"].contains(target) || target.hasPrefix("http://") || target.hasPrefix("https://") else {
            throw ValidationError("--target: expected in-process, noop or a URL such as http://127.0.0.1:8080 (got '\(target)')")
        }
        c.target = target
        try Flags.validate(c)
        return c
    }
}

/// Where results go and what fails a run.
struct OutputOptions: ParsableArguments {
    @Option(help: "Write result.json into this directory (created if needed).")
    var out: String?
    @Option(help: "Fail the run (exit 2) unless this holds, e.g. 'refresh.p99<20ms', 'refresh.error_rate<1%'. Repeatable.")
    var slo: [String] = []
    @Flag(help: "No progress lines.")
    var quiet = false

    func slos() throws -> [SLO] {
        try slo.map { text in
            do throws(ConfigurationError) { return try SLO(parsing: text) } catch {
                throw ValidationError("--slo: expected \(error.accepted) (got '\(text)')")
            }
        }
    }
}

/// The core's settings, shared by `run` (applied in-process, and describing an HTTP target's
/// server) and `serve`.
struct CoreOptions: ParsableArguments {
    @Option(name: .customLong("access-ttl"), help: "Access-token lifetime (short TTLs compress token lifecycles).")
    var accessTTL: String = "5s"
    @Option(name: .customLong("refresh-ttl"), help: "Refresh-token family lifetime.")
    var refreshTTL: String = "1h"
    @Option(help: "Grace window for a retried refresh (0 disables).")
    var grace: String = "10s"
    @Option(help: "Clock-skew leeway for exp/nbf/iat (at most 60s).")
    var leeway: String = "30s"
    @Option(name: .customLong("session-check"), help: "Also check in the store that the session is live on every resource call (true or false).")
    var sessionCheck: Bool = true
    @Option(help: "Access-token algorithm: HS256, ES256, EdDSA, RS256.")
    var alg: String = "HS256"
    @Option(name: .customLong("password-hash"), help: "Password hashing: argon2id or bcrypt.")
    var passwordHash: String = "argon2id"
    @Option(name: .customLong("password-hash-cost"), help: "bcrypt cost (4…31) or argon2id memory in KiB (t=2, p=1). Default: bcrypt 4, argon2id 64.")
    var passwordHashCost: Int?

    /// Writes these settings into `c` (checked later by `LoadConfiguration.validate()`).
    /// - Throws: `ValidationError` for an unreadable duration or algorithm.
    func apply(to c: inout LoadConfiguration) throws {
        c.accessTTL = try Flags.seconds(accessTTL, "--access-ttl")
        c.refreshTTL = try Flags.seconds(refreshTTL, "--refresh-ttl")
        c.grace = try Flags.seconds(grace, "--grace")
        c.leeway = try Flags.seconds(leeway, "--leeway")
        c.sessionCheck = sessionCheck
        guard let algorithm = AccessTokenAlgorithm(name: alg) else {
            throw ValidationError("--alg: expected one of HS256, ES256, EdDSA, RS256 (got '\(alg)')")
        }
        c.algorithm = algorithm
        c.passwordHash = passwordHash.lowercased()
        c.passwordHashCost = passwordHashCost ?? (c.passwordHash == "bcrypt" ? 4 : 64)
    }
}

enum Flags {
    /// A duration flag in seconds.
    /// - Throws: `ValidationError` naming the flag.
    static func seconds(_ text: String, _ flag: String) throws -> Double {
        guard let v = DurationValue.seconds(text) else {
            throw ValidationError("\(flag): expected a duration such as 500ms, 30s, 2m (got '\(text)')")
        }
        return v
    }

    /// A comma-separated list of levels (concurrency), each in `range`.
    /// - Throws: `ValidationError` naming the flag.
    static func levels(_ text: String, _ flag: String, _ range: ClosedRange<Int>) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let levels = parts.compactMap { Int($0) }
        guard !parts.isEmpty, levels.count == parts.count, levels.allSatisfy(range.contains) else {
            throw ValidationError("\(flag): expected a comma-separated list of levels \(range.lowerBound) ... \(range.upperBound), e.g. 1,2,4,8 (got '\(text)')")
        }
        return levels
    }

    /// Checks `c`, turning the core's error into a one-line flag error.
    static func validate(_ c: LoadConfiguration) throws {
        do throws(ConfigurationError) {
            try c.validate()
        } catch {
            throw ValidationError("\(error.setting): expected \(error.accepted)")
        }
    }
}
