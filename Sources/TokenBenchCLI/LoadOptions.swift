import Foundation
import ArgumentParser
import TokenAuth
import TokenAuthOpenSSL
import TokenLoad
import TokenResults
import TokenReport
import TokenHTTPClient
import TokenProbe

/// The options of a load run, shared by every command that runs one.
struct LoadOptions: ParsableArguments {
    @Option(help: "Virtual users (closed model; default 100), or the user pool of the open model.")
    var users: Int?
    @Option(help: ArgumentHelp("Open model: R arrivals per second in all, each a resource call (a login when the user has no session); refreshes, logins and logouts come on top, as the token lifetime and session length make them due. Or rates per operation, each its own arrival stream: 'refresh=2000,access=8000' (logins and logouts on top). Omit for the closed model.", valueName: "rate"))
    var rate: String?
    @Option(help: ArgumentHelp("Ramping stages, as k6's: DURATION:TARGET,… where every target is a number of users (closed model, e.g. '30s:100,2m:1000,30s:0') or every one a rate (open model, '30s:100/s,2m:1000/s'). The run lasts as long as the stages; --warmup is their first part.", valueName: "stages"))
    var stages: String?
    @Option(help: "Measured duration (e.g. 30s, 2m; default 10s).")
    var duration: String?
    @Option(help: "Warm-up before measuring (e.g. 5s).")
    var warmup: String = "0s"
    @Option(name: .customLong("max-error-rate"), help: "Inconclusive (exit 3) when an operation's error rate is above this, unless an error_rate SLO judges it (e.g. 1%, 0.05).")
    var maxErrorRate: String = "1%"
    @Option(name: .customLong("max-lag"), help: "Inconclusive (exit 3) when the driver's own scheduling lag p99 is above this (default 100ms, or one think time if longer in the closed model).")
    var maxLag: String?
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
    @Option(help: ArgumentHelp("A fault over a window of the measured time, repeatable: store-latency=5ms@10s..20s, store-outage@10s..15s, store-errors=10%@10s..20s (injected into the in-process core's store by a fault-injecting wrapper, every store), or external@10s..15s (you stop the real store of an HTTP server in that window; docs/faults-and-soak.md). The result reports per window the errors, false \"valid\" answers and the recovery time, and audits every live family after the run.", valueName: "fault"))
    var fault: [String] = []
    @Option(help: "Worker tasks (default: one per core).")
    var workers: Int?
    @Option(name: .customLong("target-pid"), help: ArgumentHelp("The server's process on this machine: its CPU time over the measured window is reported per operation (Linux /proc).", valueName: "pid"))
    var targetPID: Int32?
    @Option(name: .customLong("store-pid"), help: ArgumentHelp("The store's process on this machine, counted with its descendants (PostgreSQL's postmaster and its backends): its CPU time per operation.", valueName: "pid"))
    var storePID: Int32?
    @Option(name: .customLong("driver-cpus"), help: ArgumentHelp("Pin TokenBench's threads to these cores, e.g. 1 or 2-3 (taskset's list): on one machine, the driver's own cores; the result records each side's.", valueName: "list"))
    var driverCPUs: String?
    @Option(name: .customLong("target-cpus"), help: ArgumentHelp("Pin the --target-pid server's threads to these cores.", valueName: "list"))
    var targetCPUs: String?
    @Option(name: .customLong("store-cpus"), help: ArgumentHelp("Pin the --store-pid store (with its descendants) to these cores.", valueName: "list"))
    var storeCPUs: String?
    @Option(name: .customLong("target-metrics"), help: ArgumentHelp("A server's Prometheus endpoint, repeatable (one per server of the target): its process_cpu_seconds_total over the measured window is the target's CPU per operation, for servers not on this machine (tokenbench serve exports it at /metrics).", valueName: "url"))
    var targetMetrics: [String] = []
    @Option(help: "Target: in-process (the core, no HTTP), noop (driver overhead only), simulated:CONCURRENCYxSERVICE_TIME (a target of known capacity, concurrency / service time, for checking the tool itself, e.g. simulated:8x10ms), or an HTTP server's URL (see --profile).")
    var target: String = "in-process"

    /// `--driver-cpus`, `--target-cpus`, `--store-cpus`, checked: which process goes on
    /// which cores.
    /// - Throws: `ValidationError` for a list that is not this machine's cores, or a target or
    ///   store pinned without its pid.
    func pinning() throws -> [(flag: String, pid: String, cpus: [Int], descendants: Bool)] {
        var pins: [(flag: String, pid: String, cpus: [Int], descendants: Bool)] = []
        for (flag, text, pid, descendants) in [("--driver-cpus", driverCPUs, "self", false), ("--target-cpus", targetCPUs, targetPID.map(String.init), false),
                                               ("--store-cpus", storeCPUs, storePID.map(String.init), true)] {
            guard let text else { continue }
            guard let cpus = CPUAffinity.parse(text) else {
                throw ValidationError("\(flag): expected a list of this machine's cores such as 1 or 0-1,3 (it has 0-\(CPUAffinity.configured - 1); got '\(text)')")
            }
            guard let pid else {
                throw ValidationError("\(flag): needs \(flag == "--target-cpus" ? "--target-pid" : "--store-pid") (the process to pin)")
            }
            pins.append((flag, pid, cpus, descendants))
        }
        return pins
    }

    /// Pins the processes `--driver-cpus`, `--target-cpus` and `--store-cpus` name.
    /// - Throws: `ValidationError` when the system refuses (another user's process).
    func pinProcesses() throws {
        for pin in try pinning() {
            if case .failure(let failure) = CPUAffinity.pin(pin.pid, cpus: pin.cpus, descendants: pin.descendants) {
                throw ValidationError("\(pin.flag): could not pin \(pin.pid == "self" ? "tokenbench" : "process \(pin.pid)"): \(failure.reason)")
            }
        }
    }

    /// The settings, checked.
    /// - Throws: `ValidationError` naming the flag and the accepted form.
    func configuration() throws -> LoadConfiguration {
        var c = LoadConfiguration()
        c.users = users ?? 100
        if let rate {
            do throws(ConfigurationError) { try c.setRates(rate) } catch {
                throw ValidationError("\(error.setting): expected \(error.accepted) (got '\(rate)')")
            }
        }
        c.model = rate == nil ? .closed : .open
        c.warmup = try Flags.seconds(warmup, "--warmup")
        if let stages {
            let parsed: (stages: [LoadStage], rates: Bool)
            do throws(ConfigurationError) { parsed = try LoadStage.parse(stages) } catch {
                throw ValidationError("\(error.setting): expected \(error.accepted) (got '\(stages)')")
            }
            if duration != nil { throw ValidationError("--duration: not with --stages (the run lasts as long as its stages)") }
            if rate != nil { throw ValidationError("--rate: not with --stages (give rates as stage targets, e.g. 30s:100/s)") }
            c.stages = parsed.stages
            if parsed.rates {
                c.model = .open
            } else {
                let most = Int(parsed.stages.map(\.target).max() ?? 0)
                if let users, users != most {
                    throw ValidationError("--users: not with user stages (they give the number of users: at most \(most))")
                }
                c.users = most
            }
            guard c.warmup < c.totalSeconds else {
                throw ValidationError("--warmup: expected a duration shorter than the stages (\(Units.figure(c.totalSeconds)) s; the warm-up is their first part)")
            }
            c.duration = c.totalSeconds - c.warmup
        } else {
            c.duration = try Flags.seconds(duration ?? "10s", "--duration")
        }
        c.maxErrorRate = try Flags.ratio(maxErrorRate, "--max-error-rate")
        if let maxLag { c.maxLag = try Flags.seconds(maxLag, "--max-lag") }
        let http = target.hasPrefix("http://") || target.hasPrefix("https://")
        try core.apply(to: &c, http: http)
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
        if !fault.isEmpty {
            c.faults = try fault.map { text in
                do throws(ConfigurationError) { return try Fault(parsing: text) } catch {
                    throw ValidationError("\(error.setting): expected \(error.accepted)")
                }
            }
        }
        if let workers { c.workers = workers }
        for (flag, pid) in [("--target-pid", targetPID), ("--store-pid", storePID)] {
            if let pid, !ProcessCPU.exists(pid) {
                throw ValidationError("\(flag): expected the id of a running process on this machine (no process \(pid) in /proc)")
            }
        }
        c.targetPID = targetPID
        c.storePID = storePID
        _ = try pinning()
        if !targetMetrics.isEmpty {
            if targetPID != nil { throw ValidationError("--target-metrics: not with --target-pid (both give the target's CPU: choose one)") }
            guard target.hasPrefix("http://") || target.hasPrefix("https://") else {
                throw ValidationError("--target-metrics: applies to an HTTP target (--target http://…); the in-process target's CPU is tokenbench's own")
            }
            let source = TargetMetricsSource(urls: targetMetrics)
            do throws(HTTPTargetError) { try source.validate() } catch { throw ValidationError("\(error.flag): expected \(error.accepted)") }
            c.targetMetrics = source
        }
        if target.hasPrefix("simulated:"), SimulatedTarget(spec: target) == nil {
            throw ValidationError("--target: expected simulated:CONCURRENCYxSERVICE_TIME such as simulated:8x10ms (got '\(target)')")
        }
        guard ["in-process", "noop"].contains(target) || target.hasPrefix("simulated:") || target.hasPrefix("http://") || target.hasPrefix("https://") else {
            throw ValidationError("--target: expected in-process, noop, simulated:8x10ms or a URL such as http://127.0.0.1:8080 (got '\(target)')")
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
        try Self.parseSLOs(slo)
    }

    /// Parses `--slo` values.
    /// - Throws: `ValidationError` naming the accepted form.
    static func parseSLOs(_ slo: [String]) throws -> [SLO] {
        try slo.map { text in
            do throws(SettingError) { return try SLO(parsing: text) } catch {
                throw ValidationError("--slo: expected \(error.accepted) (got '\(text)')")
            }
        }
    }
}

/// The core's settings, shared by `run` (applied in-process, and describing an HTTP target's
/// server) and `serve`.
struct CoreOptions: ParsableArguments {
    @Option(name: .customLong("access-ttl"), help: "Access-token lifetime (default 5s; short TTLs compress token lifecycles). HTTP target: used only when the server's answers have no expires_in and its tokens are not JWTs.")
    var accessTTL: String?
    @Option(name: .customLong("refresh-ttl"), help: "Refresh-token family lifetime (default 1h). HTTP target: the server's, if known.")
    var refreshTTL: String?
    @Option(help: "Grace window for a retried refresh (default 10s; 0 disables). HTTP target: the server's; unknown unless given.")
    var grace: String?
    @Option(help: "Clock-skew leeway for exp/nbf/iat (default 30s, at most 60s). HTTP target: the server's; unknown unless given.")
    var leeway: String?
    @Option(name: .customLong("session-check"), help: "Also check in the store that the session is live on every resource call (true or false).")
    var sessionCheck: Bool = true
    @Option(help: "Access-token algorithm: HS256, ES256, EdDSA, RS256.")
    var alg: String = "HS256"
    @Option(name: .customLong("password-hash"), help: "Password hashing: argon2id or bcrypt.")
    var passwordHash: String = "argon2id"
    @Option(name: .customLong("password-hash-cost"), help: "bcrypt cost (4…31) or argon2id memory in KiB (t=2, p=1). Default: bcrypt 4, argon2id 64.")
    var passwordHashCost: Int?
    @Option(help: "Crypto library of the core (HMAC, SHA-256, JWS signatures): boringssl (swift-crypto, the default) or openssl (the system's OpenSSL 3 libcrypto). In-process target and serve only.")
    var crypto: CryptoChoice?

    /// The backend `--crypto` names (swift-crypto when not given).
    var cryptoBackend: any CryptoBackend { (crypto ?? .boringssl).backend }

    /// Writes these settings into `c` (checked later by `LoadConfiguration.validate()`).
    /// - Parameter http: the target is an HTTP server: lifetimes, grace window and leeway then
    ///   describe that server, and one not given stays unknown instead of taking our default.
    /// - Throws: `ValidationError` for an unreadable duration or algorithm.
    func apply(to c: inout LoadConfiguration, http: Bool = false) throws {
        func value(_ text: String?, _ flag: String, _ ours: String) throws -> Double? {
            guard let text = text ?? (http ? nil : ours) else { return nil }
            return try Flags.seconds(text, flag)
        }
        c.accessTTL = try value(accessTTL, "--access-ttl", "5s")
        c.refreshTTL = try value(refreshTTL, "--refresh-ttl", "1h")
        c.grace = try value(grace, "--grace", "10s")
        c.leeway = try value(leeway, "--leeway", "30s")
        c.sessionCheck = sessionCheck
        guard let algorithm = AccessTokenAlgorithm(name: alg) else {
            throw ValidationError("--alg: expected one of HS256, ES256, EdDSA, RS256 (got '\(alg)')")
        }
        c.algorithm = algorithm
        c.passwordHash = passwordHash.lowercased()
        c.passwordHashCost = passwordHashCost ?? (c.passwordHash == "bcrypt" ? 4 : 64)
    }
}

/// `--crypto`: the libraries that can compute the core's primitives. Both are always built in
/// (OpenSSL through Debian's `libssl-dev`); an unknown value is one line and exit 64.
enum CryptoChoice: String, ExpressibleByArgument, CaseIterable {
    case boringssl, openssl

    var backend: any CryptoBackend {
        switch self {
        case .boringssl: SwiftCryptoBackend()
        case .openssl: OpenSSLBackend()
        }
    }

    init?(argument: String) {
        self.init(rawValue: argument.lowercased())
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

    /// A ratio flag: `1%`, `0.5 %` or `0.01`, in 0 ... 1.
    /// - Throws: `ValidationError` naming the flag.
    static func ratio(_ text: String, _ flag: String) throws -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        let value = t.hasSuffix("%") ? Double(t.dropLast().trimmingCharacters(in: .whitespaces)).map { $0 / 100 } : Double(t)
        guard let value, value.isFinite, value >= 0, value <= 1 else {
            throw ValidationError("\(flag): expected a ratio 0 ... 1 or a percentage such as 1% (got '\(text)')")
        }
        return value
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
