import Foundation

/// `result.json`, schema `tokenbench.result/v1`. Latencies in µs, throughput per second,
/// durations in seconds.
public struct RunResult: Codable, Sendable {
    public static let schemaID = "tokenbench.result/v1"

    public var schema = RunResult.schemaID
    /// `run --scenario FILE`: the scenario's name (the file's base name); results are grouped
    /// and compared by it.
    public var scenario: String?
    public var config: RunSettings
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
    /// What the run concludes (``Verdict``; written as `pass`, `invariant_violation`,
    /// `inconclusive`, `slo_breach` or `unreachable`).
    public var verdict: Verdict
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
    /// Open model: arrivals served in the measured window (their operation completed in it), per
    /// second: the achieved rate against the intended `config.rate` plus, with per-operation
    /// rates, `config.refresh-rate`. Refreshes, logins and logouts that fall due between
    /// arrivals are extra operations, not arrivals.
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
    /// CPU time per operation over the measured window: TokenBench's process, and the server
    /// and the store when their process ids were given (Linux `/proc`).
    public var cpu: CPUSummary?
    /// When the measured window started, Unix seconds (ms precision): where the timeline's
    /// second 1 and `latency.hlog`'s intervals begin on the wall clock.
    public var measureStartUnixS: Double?
    /// The intervals of `latency.hlog` (not encoded: written next to `result.json`).
    public var intervalLog: HistogramLog?

    package init(scenario: String? = nil, config: RunSettings, environment: RunEnvironment, measuredSeconds: Double, operations: [String: OperationSummary], phases: [String: OperationSummary], schedulingLagUs: LatencySummary, invariants: InvariantSummary, hostile: HostileSummary, timeline: [TimelineEntry], slo: [SLOResult], verdict: Verdict, store: StoreSummary? = nil, connections: ConnectionSummary? = nil, inconclusive: [String]? = nil, notes: [String]? = nil, aborted: RunAbortSummary? = nil, achievedRatePerS: Double? = nil, storedInconclusiveKinds: [InconclusiveKind]? = nil, histograms: EncodedHistograms? = nil, shard: ShardSummary? = nil, memory: MemorySummary? = nil, stability: StabilitySummary? = nil, faults: FaultReport? = nil, measureStartUnixS: Double? = nil, intervalLog: HistogramLog? = nil) {
        self.scenario = scenario
        self.config = config
        self.environment = environment
        self.measuredSeconds = measuredSeconds
        self.operations = operations
        self.phases = phases
        self.schedulingLagUs = schedulingLagUs
        self.invariants = invariants
        self.hostile = hostile
        self.timeline = timeline
        self.slo = slo
        self.verdict = verdict
        self.store = store
        self.connections = connections
        self.inconclusive = inconclusive
        self.notes = notes
        self.aborted = aborted
        self.achievedRatePerS = achievedRatePerS
        self.storedInconclusiveKinds = storedInconclusiveKinds
        self.histograms = histograms
        self.shard = shard
        self.memory = memory
        self.stability = stability
        self.faults = faults
        self.measureStartUnixS = measureStartUnixS
        self.intervalLog = intervalLog
    }

    enum CodingKeys: String, CodingKey {
        case schema, scenario, config, environment, operations, phases, invariants, hostile, timeline, slo, verdict, store
        case connections, inconclusive, notes, aborted, histograms, shard, memory, stability, faults, cpu
        case measureStartUnixS = "measure_start_unix_s"
        case storedInconclusiveKinds = "inconclusive_kinds"
        case achievedRatePerS = "achieved_rate_per_s"
        case measuredSeconds = "measured_s"
        case schedulingLagUs = "scheduling_lag_us"
    }
}

/// The JSON of every file TokenBench writes (`result.json`, `capacity.json`, compare's
/// document): pretty, key-sorted, slashes unescaped, so that files diff cleanly.
package func prettyJSON<Value: Encodable>(_ value: Value) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(value)
}

extension RunResult {
    /// Pretty, key-sorted JSON.
    public func jsonData() throws -> Data { try prettyJSON(self) }
}
