import Foundation
import TokenAuth

/// `result.json`, schema `tokenbench.result/v1`. Latencies in µs, throughput per second,
/// durations in seconds.
public struct RunResult: Codable, Sendable {
    public static let schemaID = "tokenbench.result/v1"

    public var schema = RunResult.schemaID
    /// `run --scenario FILE`: the scenario's name (the file's base name); results are grouped
    /// and compared by it.
    public var scenario: String?
    public var config: LoadConfiguration
    public var environment: RunEnvironment
    /// Seconds actually measured (after warm-up).
    public var measuredSeconds: Double
    /// Per operation: `login`, `access`, `refresh`, `logout`.
    public var operations: [String: OperationSummary]
    /// In-process only: per phase (`password_hash`, `sign`, `verify`, `store_lookup`,
    /// `store_rotate`, `store_create`, `store_revoke`).
    public var phases: [String: OperationSummary]
    /// How late operations started against their due time: the driver's own saturation.
    public var schedulingLagUs: LatencySummary
    public var invariants: InvariantSummary
    public var hostile: HostileSummary
    /// One entry per measured second.
    public var timeline: [TimelineEntry]
    /// SLO checks given with `--slo`.
    public var slo: [SLOResult]
    /// `pass`, `invariant_violation`, `inconclusive`, `slo_breach` or `unreachable` (DESIGN.md,
    /// "Verdicts"; exit codes 0, 1, 3, 2, 69).
    public var verdict: String
    /// In-process runs: the store backend, its per-operation latencies and contention
    /// counters, and the contention curve of `--sweep-concurrency`.
    public var store: StoreSummary?
    /// HTTP runs: connections opened and failed, TCP connect and TLS handshake times, waits
    /// for a pooled connection.
    public var connections: ConnectionSummary?
    /// Why the run could not judge the target (verdict `inconclusive`): an operation its
    /// sessions imply never happened, an error rate over the budget, a saturated driver.
    public var inconclusive: [String]?
    /// What the run could not judge for want of a server setting (HTTP).
    public var notes: [String]?
    /// The run stopped at once: the profile names an endpoint the server does not serve.
    public var aborted: RunAbortSummary?
    /// Open model: arrivals due in the measured window and served within it, per second (the
    /// achieved rate against the intended `config.rate`; refreshes and logouts due between
    /// arrivals are extra operations, not arrivals).
    public var achievedRatePerS: Double?
    /// Why the run is inconclusive, by class, in the order of ``inconclusive`` (`capacity`
    /// and `merge` read it; absent from results written before it was kept).
    public var inconclusiveKinds: [InconclusiveKind] {
        get { storedInconclusiveKinds ?? [] }
        set { storedInconclusiveKinds = newValue.isEmpty ? nil : newValue }
    }
    var storedInconclusiveKinds: [InconclusiveKind]?
    /// The whole HDR histograms of the run, so that results merge exactly (`tokenbench merge`).
    public var histograms: EncodedHistograms?
    /// `--shard I/N`: which slice of the run this process drove.
    public var shard: ShardSummary?
    /// What the run added to the process's memory, and per virtual user.
    public var memory: MemorySummary?
    /// Whether memory, descriptors and sockets stayed flat over the measured seconds (a soak).
    public var stability: StabilitySummary?
    /// `--fault`: what each fault window did, and the audit of the families after the run.
    public var faults: FaultReport?
    /// When the measured window started, Unix seconds (ms precision): where the timeline's
    /// second 1 and `latency.hlog`'s intervals begin on the wall clock.
    public var measureStartUnixS: Double?
    /// The intervals of `latency.hlog` (not encoded: written next to `result.json`).
    public var intervalLog: HistogramLog?

    enum CodingKeys: String, CodingKey {
        case schema, scenario, config, environment, operations, phases, invariants, hostile, timeline, slo, verdict, store
        case connections, inconclusive, notes, aborted, histograms, shard, memory, stability, faults
        case measureStartUnixS = "measure_start_unix_s"
        case storedInconclusiveKinds = "inconclusive_kinds"
        case achievedRatePerS = "achieved_rate_per_s"
        case measuredSeconds = "measured_s"
        case schedulingLagUs = "scheduling_lag_us"
    }
}

/// The `histograms` section of `result.json`: HdrHistogram's compressed V2 encoding, base64
/// (``HdrHistogramCodec``), of the whole measured window's latencies in **ns** (1 ns … 1 h,
/// 3 significant digits). Operations and phases without samples are absent.
public struct EncodedHistograms: Codable, Sendable, Hashable {
    /// By operation (`login`, `access`, `refresh`, `logout`).
    public var operations: [String: String]
    /// By in-process phase (`password_hash`, `sign`, …, `store_rotate`).
    public var phases: [String: String]
    /// The driver's scheduling lag.
    public var schedulingLag: String?

    public init(operations: [String: String] = [:], phases: [String: String] = [:], schedulingLag: String? = nil) {
        self.operations = operations
        self.phases = phases
        self.schedulingLag = schedulingLag
    }

    enum CodingKeys: String, CodingKey {
        case operations, phases
        case schedulingLag = "scheduling_lag"
    }
}

/// The `shard` section of `result.json`: the slice of the run one `--shard I/N` process drove.
public struct ShardSummary: Codable, Sendable, Hashable {
    public var index: Int
    public var count: Int
    /// The first user number of the slice, and how many users it has.
    public var firstUser: Int
    public var users: Int
    /// Open model: this shard's share of the arrival rate, per second (`rate × users / total`).
    public var ratePerS: Double?
    /// `--start-at`, Unix seconds, when given.
    public var startAtUnixS: Double?

    enum CodingKeys: String, CodingKey {
        case index, count, users
        case firstUser = "first_user"
        case ratePerS = "rate_per_s"
        case startAtUnixS = "start_at_unix_s"
    }
}

/// The `store` section of `result.json`.
public struct StoreSummary: Codable, Sendable {
    /// `memory`, `sqlite`, `postgres` or `redis`.
    public var backend: String
    /// Per store operation (`lookup`, `rotate`, `create`, `revoke`, `revoke_all`), measured
    /// around the store call inside the service: latency µs, calls per second.
    public var operations: [String: OperationSummary]
    /// Contention counters during the measured window (retries, busy, serialization failures,
    /// pool waits, reconnects, unavailable); absent for the memory store.
    public var counters: StoreStatistics.Snapshot?
    /// `--sweep-concurrency`: one point per concurrency level, in the order run.
    public var contention: [ContentionPoint]?

    public init(backend: String, operations: [String: OperationSummary], counters: StoreStatistics.Snapshot?,
                contention: [ContentionPoint]? = nil) {
        self.backend = backend
        self.operations = operations
        self.counters = counters
        self.contention = contention
    }

    /// The store operations among the in-process phases, renamed (`store_rotate` → `rotate`).
    static func operations(fromPhases phases: [String: OperationSummary]) -> [String: OperationSummary] {
        var out: [String: OperationSummary] = [:]
        for (name, summary) in phases where name.hasPrefix("store_") {
            out[String(name.dropFirst("store_".count))] = summary
        }
        return out
    }
}

/// One level of a concurrency sweep: the contention curve's point.
public struct ContentionPoint: Codable, Sendable, Hashable {
    /// Virtual users (closed model) at this level.
    public var concurrency: Int
    /// All driver operations per second at this level.
    public var throughputPerS: Double
    /// Per store operation: throughput and latency at this level.
    public var operations: [String: OperationSummary]
    /// Contention counters at this level.
    public var counters: StoreStatistics.Snapshot?
    /// Errors of all operations at this level.
    public var errors: Int

    enum CodingKeys: String, CodingKey {
        case concurrency, operations, counters, errors
        case throughputPerS = "throughput_per_s"
    }
}

/// The classes of reasons that make a run inconclusive.
public enum InconclusiveKind: String, Sendable, Hashable, Codable {
    /// An operation or hostile case the settings imply never happened.
    case notExercised = "not_exercised"
    /// An operation's error rate was over `--max-error-rate`.
    case errorBudget = "error_budget"
    /// The driver's scheduling lag p99 was over `--max-lag`.
    case driverSaturated = "driver_saturated"
}

public struct LatencySummary: Codable, Sendable, Hashable {
    public var p50: Double, p90: Double, p99: Double, p999: Double, max: Double, mean: Double

    init(_ h: LatencyHistogram) {
        func us(_ v: UInt64) -> Double { (Double(v) / 1000).rounded(toPlaces: 3) }
        if h.totalCount == 0 {
            p50 = 0; p90 = 0; p99 = 0; p999 = 0; max = 0; mean = 0
        } else {
            p50 = us(h.valueAtPercentile(50))
            p90 = us(h.valueAtPercentile(90))
            p99 = us(h.valueAtPercentile(99))
            p999 = us(h.valueAtPercentile(99.9))
            max = us(h.max)
            mean = (h.mean / 1000).rounded(toPlaces: 3)
        }
    }
}

public struct OperationSummary: Codable, Sendable, Hashable {
    public var count: Int
    public var errors: Int
    /// Errors by kind: the server's error code when it sent one (`invalid_grant`,
    /// `token_not_valid`, `invalid_client`), else the driver's class (`store_unavailable`,
    /// `transport`, `tls`, `bad_response`, …).
    public var errorsByKind: [String: Int]
    public var throughputPerS: Double
    public var latencyUs: LatencySummary
    /// HTTP: every answer by status (`2xx` for successes, `no_answer` when none came).
    public var responsesByStatus: [String: Int]?
    /// HTTP: the errors by status.
    public var errorsByStatus: [String: Int]?
    /// The percentile spectrum of the HDR histogram (``PercentilePoint/spectrum``: p0 … p99.99
    /// and the max), µs; absent in results written before it existed.
    public var percentilesUs: [PercentilePoint]?

    init(count: Int, errors: Int, errorsByKind: [String: Int], throughputPerS: Double, latencyUs: LatencySummary,
         percentilesUs: [PercentilePoint]? = nil) {
        self.count = count
        self.errors = errors
        self.errorsByKind = errorsByKind
        self.throughputPerS = throughputPerS
        self.latencyUs = latencyUs
        self.percentilesUs = percentilesUs
    }

    /// The summary of a histogram of `count` samples over `seconds`, with its spectrum.
    init(_ h: LatencyHistogram, errorsByKind: [String: Int], seconds: Double) {
        let count = Int(h.totalCount)
        self.init(count: count, errors: errorsByKind.values.reduce(0, +), errorsByKind: errorsByKind,
                  throughputPerS: (Double(count) / seconds).rounded(toPlaces: 1), latencyUs: LatencySummary(h),
                  percentilesUs: count == 0 ? nil : PercentilePoint.spectrum(h))
    }

    enum CodingKeys: String, CodingKey {
        case count, errors
        case errorsByKind = "errors_by_kind"
        case throughputPerS = "throughput_per_s"
        case latencyUs = "latency_us"
        case responsesByStatus = "responses_by_status"
        case errorsByStatus = "errors_by_status"
        case percentilesUs = "percentiles_us"
    }
}

/// One point of a latency spectrum: the value at a percentile, µs.
public struct PercentilePoint: Codable, Sendable, Hashable {
    /// Percentile, 0 … 100 (100: the maximum).
    public var p: Double
    /// Latency at that percentile, µs.
    public var us: Double

    public init(p: Double, us: Double) {
        self.p = p
        self.us = us
    }

    /// The percentiles a spectrum holds: denser towards the tail, as HdrHistogram's percentile
    /// distribution output, so that a plot on a 1/(1 − p) axis is evenly filled up to p99.99.
    public static let levels: [Double] = [
        0, 10, 20, 30, 40, 50, 55, 60, 65, 70, 75, 77.5, 80, 82.5, 85, 87.5, 90, 91.25, 92.5, 93.75, 95, 96, 97, 97.5,
        98, 98.5, 99, 99.25, 99.5, 99.6, 99.7, 99.75, 99.8, 99.85, 99.9, 99.925, 99.95, 99.97, 99.98, 99.99, 100,
    ]

    /// The spectrum of a histogram of nanoseconds: one point per ``levels`` entry (100 is the
    /// maximum), µs rounded to 0.001.
    static func spectrum(_ h: LatencyHistogram) -> [PercentilePoint] {
        guard h.totalCount > 0 else { return [] }
        return levels.map { p in
            let ns = p >= 100 ? h.max : p <= 0 ? h.min : h.valueAtPercentile(p)
            return PercentilePoint(p: p, us: (Double(ns) / 1000).rounded(toPlaces: 3))
        }
    }
}

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

public struct HostileSummary: Codable, Sendable, Hashable {
    /// Hostile requests sent, which the target must refuse: replays, expired and forged access
    /// tokens, post-logout refreshes (two-tab refreshes are benign and counted in ``byKind`` only).
    public var attempts: Int
    /// Of those, refused by the target.
    public var rejected: Int
    /// The same per kind (`replay`, `concurrent_refresh`, `expired_access`, `forged_access`,
    /// `post_logout_refresh`).
    public var byKind: [String: HostileCount]?

    enum CodingKeys: String, CodingKey {
        case attempts, rejected
        case byKind = "by_kind"
    }
}

public struct HostileCount: Codable, Sendable, Hashable {
    public var sent: Int
    public var refused: Int
}

/// Connection set-up of an HTTP run, over the whole run (warm-up included), latencies in µs.
public struct ConnectionSummary: Codable, Sendable, Hashable {
    public var opened: Int
    /// Connection attempts that failed (refused, timed out, TLS handshake failed).
    public var failed: Int
    /// TCP connect (k6's `http_req_connecting`).
    public var connectUs: LatencySummary
    /// TLS handshake after the TCP connect (k6's `http_req_tls_handshaking`); HTTPS only.
    public var tlsHandshakeUs: LatencySummary?
    /// Waits for a free pooled connection (k6's `http_req_blocked`), when requests had to wait.
    public var poolWaitUs: LatencySummary?
    public var poolWaits: Int

    enum CodingKeys: String, CodingKey {
        case opened, failed
        case connectUs = "connect_us"
        case tlsHandshakeUs = "tls_handshake_us"
        case poolWaitUs = "pool_wait_us"
        case poolWaits = "pool_waits"
    }
}

/// Why a run stopped at once (verdict `unreachable`, exit 69).
public struct RunAbortSummary: Codable, Sendable, Hashable {
    /// `refresh POST http://127.0.0.1:8000/api/token/refreshh/`.
    public var endpoint: String?
    public var status: Int?
    public var code: String?
    public var message: String

    init(_ detail: FailureDetail) {
        endpoint = detail.endpoint
        status = detail.status
        code = detail.code
        message = "\(detail.endpoint ?? "an endpoint") answered \(detail.summary): the profile names a path, method or body format the server does not serve"
    }
}

public struct TimelineEntry: Codable, Sendable, Hashable {
    /// Second since the start of measurement (1 = the first second).
    public var second: Int
    /// Completed operations by name.
    public var operations: [String: Int]
    public var errors: Int
    /// p99 latency of the operations completed in this second, µs.
    public var p99Us: Double
    /// `--stages`: the intended number of users (closed model) or arrival rate (open model).
    public var targetUsers: Int?
    public var targetRate: Double?
    /// Per operation that completed in this second: its count, errors by kind and p50 / p99 /
    /// max latency, µs (2 significant digits).
    public var byOperation: [String: IntervalSummary]?
    /// The process's memory at the end of this second (resident size; jemalloc's statistics
    /// when running on jemalloc).
    public var memory: MemorySample?
    /// The process's descriptors, sockets and threads at the end of this second.
    public var process: ProcessSample?
    /// Invariant violations counted in this second (absent when none).
    public var violations: Int?

    public init(second: Int, operations: [String: Int], errors: Int, p99Us: Double) {
        self.second = second
        self.operations = operations
        self.errors = errors
        self.p99Us = p99Us
    }

    enum CodingKeys: String, CodingKey {
        case second, operations, errors
        case p99Us = "p99_us"
        case targetUsers = "target_users"
        case targetRate = "target_rate"
        case byOperation = "by_operation"
        case memory, process, violations
    }
}

/// One operation's second in the timeline.
public struct IntervalSummary: Codable, Sendable, Hashable {
    public var count: Int
    public var errors: Int
    /// Errors by kind, as ``OperationSummary/errorsByKind``; absent when none.
    public var errorsByKind: [String: Int]?
    public var p50Us: Double
    public var p99Us: Double
    public var maxUs: Double

    init(_ h: LatencyHistogram, errorsByKind: [String: Int]) {
        count = Int(h.totalCount)
        let errors = errorsByKind.values.reduce(0, +)
        self.errors = errors
        self.errorsByKind = errors == 0 ? nil : errorsByKind
        func us(_ v: UInt64) -> Double { (Double(v) / 1000).rounded(toPlaces: 1) }
        p50Us = count == 0 ? 0 : us(h.valueAtPercentile(50))
        p99Us = count == 0 ? 0 : us(h.valueAtPercentile(99))
        maxUs = count == 0 ? 0 : us(h.max)
    }

    /// The summary of decoded (merged) buckets of nanoseconds, as ``init(_:errorsByKind:)``
    /// gives for their histogram.
    init(_ d: HdrHistogramCodec.Decoded, errorsByKind: [String: Int]) {
        count = Int(d.totalCount)
        let errors = errorsByKind.values.reduce(0, +)
        self.errors = errors
        self.errorsByKind = errors == 0 ? nil : errorsByKind
        func us(_ v: UInt64) -> Double { (Double(v) / 1000).rounded(toPlaces: 1) }
        p50Us = count == 0 ? 0 : us(d.valueAtPercentile(50))
        p99Us = count == 0 ? 0 : us(d.valueAtPercentile(99))
        maxUs = count == 0 ? 0 : us(d.maxValue)
    }

    enum CodingKeys: String, CodingKey {
        case count, errors
        case errorsByKind = "errors_by_kind"
        case p50Us = "p50_us"
        case p99Us = "p99_us"
        case maxUs = "max_us"
    }
}

public struct RunEnvironment: Codable, Sendable, Hashable {
    public var cores: Int
    public var os: String
    public var swiftVersion: String
    public var gitCommit: String
    public var startedAt: String
    public var target: String
    /// The crypto library of an in-process core (`--crypto`); `nil` for other targets.
    public var crypto: CryptoEnvironment?
    /// The allocator this process ran on (glibc's malloc, or jemalloc in `tokenbench-jemalloc`).
    public var allocator: AllocatorEnvironment?

    enum CodingKeys: String, CodingKey {
        case cores, os, target, crypto, allocator
        case swiftVersion = "swift_version"
        case gitCommit = "git_commit"
        case startedAt = "started_at"
    }

    /// Reads this machine: cores, OS, compiler, `git rev-parse HEAD` of the working directory.
    public static func current(target: String) -> RunEnvironment {
        #if compiler(>=6.4)
        let swift = "6.4+"
        #elseif compiler(>=6.3)
        let swift = "6.3"
        #elseif compiler(>=6.2)
        let swift = "6.2"
        #else
        let swift = "<6.2"
        #endif
        return RunEnvironment(
            cores: ProcessInfo.processInfo.activeProcessorCount,
            os: ProcessInfo.processInfo.operatingSystemVersionString,
            swiftVersion: swift,
            gitCommit: gitCommit() ?? "unknown",
            startedAt: ISO8601DateFormatter().string(from: Date()),
            target: target, allocator: ProcessMemory.allocator)
    }

    static func gitCommit() -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "rev-parse", "HEAD"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return out.isEmpty ? nil : out
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let f = Foundation.pow(10.0, Double(places))
        return (self * f).rounded() / f
    }
}

/// The JSON of every file TokenBench writes (`result.json`, `capacity.json`, compare's
/// document): pretty, key-sorted, slashes unescaped, so that files diff cleanly.
func prettyJSON<Value: Encodable>(_ value: Value) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(value)
}

extension RunResult {
    /// Pretty, key-sorted JSON.
    public func jsonData() throws -> Data { try prettyJSON(self) }
}
