import TokenAuth
import TokenResults

/// `--sweep-concurrency 1,2,4,…`: the same closed-model run at each concurrency level (number
/// of virtual users), one after the other against the same target and store, recording store
/// operation p99 and throughput per level: the store's contention curve.
public struct ConcurrencySweep<Target: LoadTarget>: Sendable {
    public let configuration: LoadConfiguration
    public let levels: [Int]
    public let target: Target
    public let phases: PhaseRecorder?
    public let store: (backend: String, statistics: StoreStatistics?)?
    public let slos: [SLO]

    /// - Parameters:
    ///   - configuration: the run's settings; `users` is replaced by each level (the target must
    ///     know at least `levels.max()` users).
    ///   - levels: concurrency levels, ≥ 1 each, run in the order given.
    public init(configuration: LoadConfiguration, levels: [Int], target: Target, phases: PhaseRecorder?,
                store: (backend: String, statistics: StoreStatistics?)?, slos: [SLO] = []) {
        self.configuration = configuration
        self.levels = levels
        self.target = target
        self.phases = phases
        self.store = store
        self.slos = slos
    }

    /// Runs every level. - Returns: the result of the last level, with `store.contention`
    /// holding every level's point.
    public func run(progress: @escaping @Sendable (_ level: Int, ProgressSnapshot) -> Void = { _, _ in }) async -> RunResult {
        var points: [ContentionPoint] = []
        var last: RunResult?
        var verdicts: Set<Verdict> = []
        for level in levels {
            var c = configuration
            c.users = level
            c.workers = min(c.workers, level)
            phases?.reset()
            var driver = LoadDriver(configuration: c, target: target, phases: phases, slos: slos)
            driver.store = store ?? (backend: "unknown", statistics: nil)
            let result = await driver.run(progress: { progress(level, $0) })
            let total = result.operations.values.reduce(0) { $0 + $1.count }
            points.append(ContentionPoint(
                concurrency: level,
                throughputPerS: (Double(total) / result.measuredSeconds).rounded(toPlaces: 1),
                operations: result.store?.operations ?? [:], counters: result.store?.counters,
                errors: result.operations.values.reduce(0) { $0 + $1.errors }))
            verdicts.insert(result.verdict)
            last = result
        }
        var result = last!
        if result.store == nil { result.store = StoreSummary(backend: store?.backend ?? "unknown", operations: [:], counters: nil) }
        result.store?.contention = points
        // The verdict covers every level: a violation or a breach at any level fails the sweep.
        result.verdict = Verdict.combined(verdicts)
        return result
    }
}
