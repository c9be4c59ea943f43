import Foundation
import TokenAuth
import TokenResults

/// Ties the monotonic clock to the wall clock once, so that instants given in Unix seconds
/// (`--start-at`) and instants measured on the monotonic clock convert both ways.
package struct WallClockAnchor {
    package let unix = Date().timeIntervalSince1970
    package let mono = monotonicNanoseconds()

    /// The monotonic instant (ns) of a Unix time (s); now for past instants.
    package func monotonic(unix t: Double) -> UInt64 {
        let delta = t - unix
        return delta <= 0 ? mono : mono &+ UInt64(delta * 1e9)
    }

    /// The Unix time (s) of a monotonic instant (ns).
    package func unix(monotonic t: UInt64) -> Double {
        t >= mono ? unix + Double(t - mono) / 1e9 : unix - Double(mono - t) / 1e9
    }
}

/// The once-a-second collection of the workers' interval statistics: the progress line, the
/// timeline of `result.json` and the intervals of `latency.hlog` (one per operation and
/// in-process phase per measured second).
package struct IntervalCollector: Sendable {
    package let workers: [WorkerRecorder]
    package let phases: PhaseRecorder?
    package let start: UInt64
    package let measureStart: UInt64
    package let end: UInt64
    package let schedule: LoadSchedule?
    package let openModel: Bool
    /// The timeline's entries held in memory (after the spooled ones, if any).
    private var timelineInMemory: [TimelineEntry] = []
    /// Where the timeline's entries go instead, one JSON line each, for a long run.
    private let timelineSpool: LineSpool?
    /// The encoder of spooled entries (sorted keys: the same entry is the same line).
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()
    /// The highest resident size and jemalloc `stats.allocated` sampled, bytes.
    private(set) var peakResidentBytes: Int?
    private(set) var peakAllocatedBytes: Int?
    private(set) var log: HistogramLog
    /// The start of the interval being collected, monotonic ns.
    private var intervalStart: UInt64
    private var second = 0
    private var errors = 0
    /// Violations counted up to the previous interval.
    private var violationsBefore = 0
    /// The workers' statistics of the second being collected.
    private var accumulator = WorkerRecorder.Interval()
    /// The in-process phases' histograms of that second, by `AuthPhase.allCases` index.
    private var phaseAccumulator = AuthPhase.allCases.map { _ in LatencyHistogram.latency() }
    /// The in-process store's counters, and their values at the previous second.
    package let storeStatistics: StoreStatistics?
    private var storeBefore: StoreStatistics.Snapshot?

    package init(workers: [WorkerRecorder], phases: PhaseRecorder?, start: UInt64, measureStart: UInt64, end: UInt64,
         measureStartUnix: Double, schedule: LoadSchedule?, openModel: Bool, spool: Bool = false, storeStatistics: StoreStatistics? = nil) {
        self.workers = workers
        self.storeStatistics = storeStatistics
        self.phases = phases
        self.start = start
        self.measureStart = measureStart
        self.end = end
        self.schedule = schedule
        self.openModel = openModel
        self.intervalStart = start
        log = HistogramLog(startTime: measureStartUnix)
        // A spool that cannot be made leaves that record in memory: the run goes on.
        log.spool = spool ? try? LineSpool(name: "hlog") : nil
        timelineSpool = spool ? try? LineSpool(name: "timeline") : nil
    }

    /// The whole timeline in order of seconds: the spooled entries and any kept in memory (an
    /// entry that could not be encoded). Reads the spool back: call it once, after the run.
    package func timeline() -> [TimelineEntry] {
        guard let timelineSpool else { return timelineInMemory }
        let decoder = JSONDecoder()
        var entries: [TimelineEntry] = []
        entries.reserveCapacity(timelineSpool.count + timelineInMemory.count)
        for line in timelineSpool.contents().utf8.split(separator: UInt8(ascii: "\n")) {
            // Our own lines, just written: one that does not decode is dropped, not fatal.
            if let entry = try? decoder.decode(TimelineEntry.self, from: Data(line)) { entries.append(entry) }
        }
        // A second kept in memory would otherwise come after every spooled one.
        return timelineInMemory.isEmpty ? entries : (entries + timelineInMemory).sorted { $0.second < $1.second }
    }

    /// Collects once a second until the end (the last interval is left to a final
    /// ``collect(at:final:progress:)`` after the workers finish) or until the run is stopped.
    package mutating func tick(abort: RunAbort, progress: @Sendable (ProgressSnapshot) -> Void) async {
        var next = start &+ 1_000_000_000
        while next < end {
            // Sleep in short slices, so that a stopped run ends within 100 ms.
            while !abort.isSet {
                let now = monotonicNanoseconds()
                if next <= now { break }
                try? await Task.sleep(nanoseconds: min(next - now, 100_000_000))
            }
            if abort.isSet { return }
            collect(at: next, final: false, progress: progress)
            next = next &+ 1_000_000_000
        }
    }

    /// Takes every worker's statistics for the interval ending at `until` (monotonic ns):
    /// a timeline entry and log intervals if it overlaps the measured window, and a progress
    /// snapshot. The final one is labelled as ending at the run's end, or at `until` if the
    /// run stopped early.
    package mutating func collect(at until: UInt64, final: Bool, progress: @Sendable (ProgressSnapshot) -> Void) {
        let labelEnd = final ? min(until, end) : until
        // The accumulator lives across seconds: reset, not reallocated (see drainInterval).
        accumulator.reset()
        for w in workers { w.drainInterval(into: &accumulator) }
        let interval = accumulator.histogram, perOperation = accumulator.perOperation
        let errorsByKind = accumulator.errorsByKind, counts = accumulator.counts
        let intervalErrors = accumulator.errors
        for i in phaseAccumulator.indices where phaseAccumulator[i].totalCount > 0 { phaseAccumulator[i].reset() }
        phases?.drainInterval(into: &phaseAccumulator)
        errors += intervalErrors
        let p99 = interval.totalCount == 0 ? 0 : Double(interval.valueAtPercentile(99)) / 1000
        let memory = ProcessMemory.sample()
        let violations = workers.reduce(0) { $0 + $1.violationsLive }
        defer { violationsBefore = violations }
        if let memory {
            peakResidentBytes = max(peakResidentBytes ?? 0, memory.residentBytes)
            if let allocated = memory.allocatedBytes { peakAllocatedBytes = max(peakAllocatedBytes ?? 0, allocated) }
        }
        defer { intervalStart = labelEnd }
        if labelEnd > measureStart || (final && counts.contains { $0 > 0 }) {
            second += 1
            var entry = TimelineEntry(
                second: second,
                operations: Dictionary(uniqueKeysWithValues: Operation.allCases.map { ($0.rawValue, counts[$0.index]) }),
                errors: intervalErrors, p99Us: p99.rounded(toPlaces: 1))
            var byOperation: [String: IntervalSummary] = [:]
            for op in Operation.allCases where counts[op.index] > 0 {
                byOperation[op.rawValue] = IntervalSummary(perOperation[op.index], errorsByKind: errorsByKind[op.index])
            }
            entry.byOperation = byOperation
            entry.memory = memory
            entry.process = ProcessSample.now()
            if phases != nil {
                entry.store = storeSecond(seconds: labelEnd > max(intervalStart, measureStart) ? Double(labelEnd - max(intervalStart, measureStart)) / 1e9 : 0)
            }
            if violations > violationsBefore { entry.violations = violations - violationsBefore }
            if let schedule {
                let level = schedule.level(at: Double(labelEnd &- start) / 1e9)
                if openModel { entry.targetRate = level.rounded(toPlaces: 1) } else { entry.targetUsers = Int(level) }
            }
            if let timelineSpool, let json = try? encoder.encode(entry) {
                timelineSpool.append(String(decoding: json, as: UTF8.self) + "\n")
            } else {
                timelineInMemory.append(entry)
            }
            let from = max(intervalStart, measureStart)
            let startS = Double(from &- measureStart) / 1e9
            let lengthS = labelEnd > from ? Double(labelEnd - from) / 1e9 : 0
            var lines: [HistogramLogInterval] = []
            for op in Operation.allCases where perOperation[op.index].totalCount > 0 {
                lines.append(HistogramLogInterval(tag: op.rawValue, startS: startS, lengthS: lengthS, histogram: perOperation[op.index]))
            }
            for (i, phase) in AuthPhase.allCases.enumerated() where phaseAccumulator[i].totalCount > 0 {
                lines.append(HistogramLogInterval(tag: phase.rawValue, startS: startS, lengthS: lengthS, histogram: phaseAccumulator[i]))
            }
            if let spool = log.spool { for line in lines { spool.append(HistogramLog.line(line)) } } else { log.intervals += lines }
        }
        if labelEnd <= measureStart { storeBefore = storeStatistics?.snapshot }
        progress(ProgressSnapshot(
            elapsed: Double(labelEnd &- start) / 1e9, total: Double(end &- start) / 1e9, warmingUp: labelEnd <= measureStart,
            operationsPerSecond: counts.reduce(0, +), p99Us: p99, interval: interval, errors: errors, violations: violations))
    }

    /// The store's second from the phases drained for it and the store's counters: calls,
    /// mean calls in flight over `seconds`, and the counters' growth since the previous second.
    private mutating func storeSecond(seconds: Double) -> StoreSecond? {
        var calls = 0
        var busy = 0.0 // ns
        for (i, phase) in AuthPhase.allCases.enumerated() where phase.isStoreCall && phaseAccumulator[i].totalCount > 0 {
            calls += Int(phaseAccumulator[i].totalCount)
            busy += phaseAccumulator[i].mean * Double(phaseAccumulator[i].totalCount)
        }
        var second = StoreSecond(calls: calls, inFlight: seconds > 0 ? (busy / 1e9 / seconds).rounded(toPlaces: 2) : 0)
        if let now = storeStatistics?.snapshot {
            let before = storeBefore ?? StoreStatistics.Snapshot()
            second.poolWaits = now.poolWaits - before.poolWaits
            second.poolWaitUs = now.poolWaitUs - before.poolWaitUs
            second.retries = now.retries - before.retries
            second.poolSize = storeStatistics?.poolSize
            storeBefore = now
        }
        return second
    }
}

extension AuthPhase {
    /// A call into the refresh-token store (`store_*`).
    package var isStoreCall: Bool {
        switch self {
        case .storeLookup, .storeRotate, .storeCreate, .storeRevoke, .storeRevokeAll: true
        case .passwordHash, .sign, .verify: false
        }
    }
}
