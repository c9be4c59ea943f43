import Foundation
import Synchronization
import TokenAuth

/// A snapshot for the progress line, once a second.
public struct ProgressSnapshot: Sendable {
    /// Seconds since the start (warm-up included).
    public var elapsed: Double
    /// Total seconds (warm-up + duration).
    public var total: Double
    /// Whether the warm-up is still running.
    public var warmingUp: Bool
    /// Operations completed in the last second.
    public var operationsPerSecond: Int
    /// p99 of the last second, µs.
    public var p99Us: Double
    /// Errors so far (measured).
    public var errors: Int
    /// Invariant violations so far.
    public var violations: Int
}

/// Runs a load: splits the virtual users over worker tasks, ticks once a second for progress
/// and the timeline, merges the workers' HDR histograms at the end.
public struct LoadDriver<Target: LoadTarget>: Sendable {
    public let configuration: LoadConfiguration
    public let target: Target
    public let phases: PhaseRecorder?
    public let slos: [SLO]
    /// Each virtual user's username and password.
    public let credentials: Credentials
    /// In-process runs: the store's name (`memory`, `sqlite`, …) and its counters, if it keeps
    /// any; they make the `store` section of the result.
    public var store: (backend: String, statistics: StoreStatistics?)?

    /// - Parameters:
    ///   - configuration: validated settings.
    ///   - target: what to load.
    ///   - phases: the in-process phase recorder the target's service reports to, if any.
    ///   - slos: objectives to check at the end.
    ///   - credentials: each virtual user's username and password (default `user{n}` / `pw-{n}`).
    public init(configuration: LoadConfiguration, target: Target, phases: PhaseRecorder? = nil, slos: [SLO] = [],
                credentials: Credentials = Credentials()) {
        self.configuration = configuration
        self.credentials = credentials
        self.target = target
        self.phases = phases
        self.slos = slos
    }

    /// Runs to the end and returns the result.
    /// - Parameter progress: called about once a second from the driver's own task.
    public func run(progress: @escaping @Sendable (ProgressSnapshot) -> Void = { _ in }) async -> RunResult {
        let c = configuration
        let workerCount = max(1, min(c.workers, c.users))
        let start = monotonicNanoseconds() &+ 10_000_000
        let measureStart = start &+ ns(c.warmup)
        let end = measureStart &+ ns(c.duration)
        phases?.window(from: measureStart, until: end)
        let statistics = store?.statistics
        let countersAtStart = SnapshotBox()
        var numbers = [[Int32]](repeating: [], count: workerCount)
        for n in 0..<c.users { numbers[n % workerCount].append(Int32(n)) }
        let workers = (0..<workerCount).map {
            Worker(index: $0, target: target, configuration: c, credentials: credentials, userNumbers: numbers[$0],
                   start: start, measureStart: measureStart, end: end)
        }
        let environment = RunEnvironment.current(target: target.name)

        let timeline = await withTaskGroup(of: [TimelineEntry].self) { group in
            for worker in workers {
                group.addTask {
                    await PhaseRecorder.$stripe.withValue(worker.index) { await worker.run() }
                    return []
                }
            }
            group.addTask {
                await Self.tick(workers: workers, start: start, measureStart: measureStart, end: end, progress: progress)
            }
            if let statistics {
                group.addTask {
                    // The counters at the start of the measured window (after the warm-up).
                    let now = monotonicNanoseconds()
                    if measureStart > now { try? await Task.sleep(nanoseconds: measureStart - now) }
                    countersAtStart.value.withLock { $0 = statistics.snapshot }
                    return []
                }
            }
            var timeline: [TimelineEntry] = []
            for await part in group { timeline += part }
            return timeline
        }
        var result = summarize(workers: workers, timeline: timeline, environment: environment)
        if let store {
            let counters = statistics.map { $0.snapshot.subtracting(countersAtStart.value.withLock { $0 } ?? StoreStatistics.Snapshot()) }
            result.store = StoreSummary(backend: store.backend, operations: StoreSummary.operations(fromPhases: result.phases),
                                        counters: counters)
        }
        return result
    }

    /// The once-a-second loop: progress and timeline entries (interval histograms).
    static func tick(workers: [Worker<Target>], start: UInt64, measureStart: UInt64, end: UInt64,
                     progress: @Sendable (ProgressSnapshot) -> Void) async -> [TimelineEntry] {
        var timeline: [TimelineEntry] = []
        var next = start &+ 1_000_000_000
        var second = 0
        var errors = 0
        while true {
            let now = monotonicNanoseconds()
            if next > now { try? await Task.sleep(nanoseconds: next - now) }
            var interval = LatencyHistogram.interval()
            var counts = [Int](repeating: 0, count: Operation.allCases.count)
            var intervalErrors = 0
            for w in workers {
                let part = w.recorder.takeInterval()
                interval.add(part.histogram)
                for i in counts.indices { counts[i] += part.counts[i] }
                intervalErrors += part.errors
            }
            errors += intervalErrors
            let p99 = interval.totalCount == 0 ? 0 : Double(interval.valueAtPercentile(99)) / 1000
            if next > measureStart {
                second += 1
                timeline.append(TimelineEntry(
                    second: second,
                    operations: Dictionary(uniqueKeysWithValues: Operation.allCases.map { ($0.rawValue, counts[$0.index]) }),
                    errors: intervalErrors, p99Us: p99.rounded(toPlaces: 1)))
            }
            let violations = workers.reduce(0) { $0 + $1.recorder.violationsLive }
            progress(ProgressSnapshot(
                elapsed: Double(next - start) / 1e9, total: Double(end - start) / 1e9, warmingUp: next <= measureStart,
                operationsPerSecond: counts.reduce(0, +), p99Us: p99, errors: errors, violations: violations))
            if next >= end { break }
            next = min(next &+ 1_000_000_000, end)
        }
        return timeline
    }

    func summarize(workers: [Worker<Target>], timeline: [TimelineEntry], environment: RunEnvironment) -> RunResult {
        let seconds = configuration.duration
        var operations: [String: OperationSummary] = [:]
        for op in Operation.allCases {
            var h = LatencyHistogram.latency()
            var errorsByKind: [String: Int] = [:]
            for w in workers {
                h.add(w.recorder.operations[op.index])
                errorsByKind.merge(w.recorder.errors[op.index], uniquingKeysWith: +)
            }
            let count = Int(h.totalCount)
            operations[op.rawValue] = OperationSummary(
                count: count, errors: errorsByKind.values.reduce(0, +), errorsByKind: errorsByKind,
                throughputPerS: (Double(count) / seconds).rounded(toPlaces: 1), latencyUs: LatencySummary(h))
        }
        var phaseSummaries: [String: OperationSummary] = [:]
        if let phases {
            for (phase, h) in phases.merged() where h.totalCount > 0 {
                phaseSummaries[phase.rawValue] = OperationSummary(
                    count: Int(h.totalCount), errors: 0, errorsByKind: [:],
                    throughputPerS: (Double(h.totalCount) / seconds).rounded(toPlaces: 1), latencyUs: LatencySummary(h))
            }
        }
        var lag = LatencyHistogram.latency()
        var checked = 0
        var byKind: [String: Int] = [:]
        var attempts = 0, rejected = 0
        for w in workers {
            lag.add(w.recorder.lag)
            checked += w.recorder.invariantsChecked
            for (k, v) in w.recorder.violations { byKind[k.rawValue, default: 0] += v }
            attempts += w.recorder.hostileAttempts
            rejected += w.recorder.hostileRejected
        }
        let violations = byKind.values.reduce(0, +)
        var result = RunResult(
            config: configuration, environment: environment, measuredSeconds: seconds,
            operations: operations, phases: phaseSummaries, schedulingLagUs: LatencySummary(lag),
            invariants: InvariantSummary(checked: checked, violations: violations, byKind: byKind),
            hostile: HostileSummary(attempts: attempts, rejected: rejected),
            timeline: timeline, slo: [], verdict: "pass")
        result.slo = slos.map { $0.evaluate(result) }
        if violations > 0 {
            result.verdict = "invariant_violation"
        } else if result.slo.contains(where: { !$0.passed }) {
            result.verdict = "slo_breach"
        }
        return result
    }
}

/// The store counters at the start of the measured window, set by a child task.
final class SnapshotBox: Sendable {
    let value = Mutex<StoreStatistics.Snapshot?>(nil)
}
