import Foundation
import Histogram

/// Why shard results cannot be merged, in one line (`tokenbench merge` exits 64 with it).
public struct MergeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Merges the results of the N shards of one run (`run --shard I/N`) into the result of the
/// whole run, exactly: HDR histograms are added bucket by bucket (never percentiles
/// averaged), counts, errors, hostile traffic and invariant checks summed, timelines and
/// `latency.hlog` intervals aligned on wall-clock seconds. SLOs are judged on the merge.
///
/// Inputs are added one at a time, so memory is that of one result plus the merged one (the
/// per-second intervals are kept as sparse bucket counts, not whole histograms).
public struct ResultMerger {
    package let slos: [SLO]
    private var reference: (config: RunSettings, scenario: String?, version: String, target: String, source: String)?
    private var first: RunResult?
    private var shards: [Int: String] = [:]
    private var shardCount = 0
    private var sources = 0
    private var withoutLog: String?

    private var operations: [String: Tally] = [:]
    private var phases: [String: LatencyHistogram] = [:]
    private var lag = LatencyHistogram.latency()
    private var invariants = InvariantSummary(checked: 0, violations: 0, byKind: [:], unjudged: 0)
    private var hostile = HostileSummary(attempts: 0, rejected: 0, byKind: [:])
    private var achieved: Double?
    private var measuredSeconds = 0.0
    private var measureStart = Double.infinity
    private var cores = 0
    private var startedAt: String?
    private var counters: StoreCounters?
    private var connections: ConnectionSummary?
    private var notes: [String] = []
    private var inconclusive: [(kind: InconclusiveKind, text: String, shard: Int)] = []
    private var aborted: RunAbortSummary?
    /// Timeline by shard: each shard's entries and measure start, aligned at the end.
    private var timelines: [(start: Double, entries: [TimelineEntry])] = []
    /// Log intervals by tag, then by absolute second (Unix, rounded).
    private var intervals: [Int: [String: Buckets]] = [:]
    private var logStart = Double.infinity

    /// A merged operation: its histogram and error tallies.
    package struct Tally {
        var histogram = LatencyHistogram.latency()
        var errorsByKind: [String: Int] = [:]
        var responses: [String: Int]?
        var errorsByStatus: [String: Int]?
    }

    /// Sparse bucket counts of one interval (values are buckets' lowest values).
    package struct Buckets {
        var counts: [UInt64: UInt64] = [:]
        var highest: UInt64 = 2
        var length = 0.0
    }

    public init(slos: [SLO] = []) {
        self.slos = slos
    }

    /// Adds one shard's result and its interval log.
    /// - Parameters:
    ///   - source: the file it came from, for messages.
    /// - Throws: ``MergeError`` when the result is not a shard, is a shard already added or of
    ///   another shard count, comes from another run (settings other than the shard, scenario,
    ///   version), lacks its histograms, or its log does not decode.
    public mutating func add(_ r: RunResult, log: HistogramLog?, source: String) throws(MergeError) {
        guard let shard = r.config.shard else {
            throw MergeError("\(source): not a shard's result (run with --shard I/N); merging whole runs would count their users twice")
        }
        guard let histograms = r.histograms else {
            throw MergeError("\(source): has no histograms (written by a TokenBench older than merge)")
        }
        var config = r.config
        config["shard"] = nil
        config["workers"] = .int(0)
        let version = r.environment.gitCommit
        if let reference {
            if config != reference.config {
                throw MergeError("\(source): another run's settings than \(reference.source) (\(Self.difference(config, reference.config)))")
            }
            if r.scenario != reference.scenario {
                throw MergeError("\(source): scenario \(r.scenario ?? "none"), \(reference.source) has \(reference.scenario ?? "none")")
            }
            if version != reference.version {
                throw MergeError("\(source): written by TokenBench \(version), \(reference.source) by \(reference.version): merge results of one version")
            }
            if shard.count != shardCount {
                throw MergeError("\(source): shard \(shard) of a \(shard.count)-shard run, \(reference.source) is of a \(shardCount)-shard run")
            }
        } else {
            reference = (config, r.scenario, version, r.environment.target, source)
            shardCount = shard.count
            first = r
        }
        if let earlier = shards[shard.index] {
            throw MergeError("\(source): shard \(shard) overlaps \(earlier) (the same shard twice)")
        }
        shards[shard.index] = source
        sources += 1

        // Histograms, exactly.
        for (name, summary) in r.operations {
            var t = operations[name] ?? Tally()
            if let encoded = histograms.operations[name] { try Self.add(encoded, to: &t.histogram, source: source, what: name) }
            else if summary.count > 0 { throw MergeError("\(source): \(name) has \(summary.count) samples but no histogram") }
            t.errorsByKind.merge(summary.errorsByKind, uniquingKeysWith: +)
            if let s = summary.responsesByStatus { t.responses = (t.responses ?? [:]).merging(s, uniquingKeysWith: +) }
            if let s = summary.errorsByStatus { t.errorsByStatus = (t.errorsByStatus ?? [:]).merging(s, uniquingKeysWith: +) }
            operations[name] = t
        }
        for (name, encoded) in histograms.phases {
            var h = phases[name] ?? .latency()
            try Self.add(encoded, to: &h, source: source, what: name)
            phases[name] = h
        }
        if let encoded = histograms.schedulingLag { try Self.add(encoded, to: &lag, source: source, what: "scheduling_lag") }

        // Counts.
        invariants.checked += r.invariants.checked
        invariants.violations += r.invariants.violations
        invariants.byKind.merge(r.invariants.byKind, uniquingKeysWith: +)
        invariants.unjudged = (invariants.unjudged ?? 0) + (r.invariants.unjudged ?? 0)
        if let checks = r.invariants.checkedByKind { invariants.checkedByKind = (invariants.checkedByKind ?? [:]).merging(checks, uniquingKeysWith: +) }
        hostile.attempts += r.hostile.attempts
        hostile.rejected += r.hostile.rejected
        if let b = r.hostile.refusedBy { hostile.refusedBy = (hostile.refusedBy ?? [:]).adding(b) }
        if let b = r.hostile.unjudgedBy { hostile.unjudgedBy = (hostile.unjudgedBy ?? [:]).adding(b) }
        for (kind, c) in r.hostile.byKind ?? [:] {
            let sum = hostile.byKind?[kind].map { $0 + c } ?? c
            hostile.byKind?[kind] = sum
        }
        if let a = r.achievedRatePerS { achieved = (achieved ?? 0) + a }
        measuredSeconds = max(measuredSeconds, r.measuredSeconds)
        let start = r.measureStartUnixS ?? 0
        measureStart = min(measureStart, start)
        cores += r.environment.cores
        if startedAt == nil || r.environment.startedAt < startedAt! { startedAt = r.environment.startedAt }
        if let c = r.store?.counters { counters = (counters ?? StoreCounters()) + c }
        if let c = r.connections { connections = Self.sum(connections, c) }
        for n in r.notes ?? [] where !notes.contains(n) { notes.append(n) }
        for (kind, text) in zip(r.inconclusiveKinds, r.inconclusive ?? []) { inconclusive.append((kind, text, shard.index)) }
        if aborted == nil, let a = r.aborted { aborted = a }
        timelines.append((start, r.timeline))

        // The interval log, by wall-clock second.
        guard let log else {
            withoutLog = withoutLog ?? source
            return
        }
        for interval in log.intervals {
            let decoded: HdrHistogramCodec.Decoded
            do throws(HdrHistogramCodec.DecodeError) { decoded = try HdrHistogramCodec.decode(interval.encoded) } catch {
                throw MergeError("\(source): latency.hlog: \(error)")
            }
            guard decoded.lowestDiscernibleValue == 1, decoded.significantDigits == .three else {
                throw MergeError("\(source): latency.hlog: a histogram of another precision (lowest \(decoded.lowestDiscernibleValue), \(decoded.significantDigits.rawValue) digits) than TokenBench's (1 ns, 3 digits)")
            }
            let absolute = log.baseTime + interval.startS
            logStart = min(logStart, log.startTime)
            let second = Int(absolute.rounded())
            var b = intervals[second, default: [:]][interval.tag ?? "", default: Buckets()]
            for bucket in decoded.buckets { b.counts[bucket.value, default: 0] += bucket.count }
            b.highest = max(b.highest, decoded.highestTrackableValue)
            b.length = max(b.length, interval.lengthS)
            intervals[second, default: [:]][interval.tag ?? ""] = b
        }
    }

    /// The merged result and log (`nil` when an input had no log).
    /// - Throws: ``MergeError`` when no input was added or shards are missing.
    public func finish() throws(MergeError) -> (result: RunResult, log: HistogramLog?) {
        guard var merged = first, let reference else { throw MergeError("nothing to merge") }
        let missing = (0..<shardCount).filter { shards[$0] == nil }
        guard missing.isEmpty else {
            let list = missing.prefix(8).map { "\($0)/\(shardCount)" }.joined(separator: ", ")
            throw MergeError("shards missing: \(list)\(missing.count > 8 ? " and \(missing.count - 8) more" : "") (\(sources) of \(shardCount) given)")
        }
        let seconds = measuredSeconds > 0 ? measuredSeconds : (reference.config.duration ?? 0)
        var config = first!.config
        config["shard"] = nil
        merged.config = config
        merged.shard = nil
        merged.measuredSeconds = seconds
        merged.environment.cores = cores
        merged.environment.startedAt = startedAt ?? merged.environment.startedAt
        merged.measureStartUnixS = measureStart.isFinite ? measureStart : nil

        var encoded = EncodedHistograms()
        var ops: [String: OperationSummary] = [:]
        for (name, t) in operations {
            var s = OperationSummary(t.histogram, errorsByKind: t.errorsByKind, seconds: seconds)
            s.responsesByStatus = t.responses
            s.errorsByStatus = t.errorsByStatus
            ops[name] = s
            if t.histogram.totalCount > 0 { encoded.operations[name] = HdrHistogramCodec.encode(t.histogram) }
        }
        merged.operations = ops
        var phaseSummaries: [String: OperationSummary] = [:]
        for (name, h) in phases where h.totalCount > 0 {
            phaseSummaries[name] = OperationSummary(h, errorsByKind: [:], seconds: seconds)
            encoded.phases[name] = HdrHistogramCodec.encode(h)
        }
        merged.phases = phaseSummaries
        if lag.totalCount > 0 { encoded.schedulingLag = HdrHistogramCodec.encode(lag) }
        merged.histograms = encoded
        merged.schedulingLagUs = LatencySummary(lag)
        merged.invariants = invariants
        merged.hostile = hostile
        merged.achievedRatePerS = achieved.map { ($0 * 10).rounded() / 10 }
        if var store = merged.store {
            store.operations = StoreSummary.operations(fromPhases: phaseSummaries)
            store.counters = counters
            store.contention = nil
            merged.store = store
        }
        merged.connections = connections
        merged.aborted = aborted

        // Timeline and log, on the wall clock.
        let (timeline, log) = mergedTimeline()
        merged.timeline = timeline
        var notes = self.notes
        if let withoutLog {
            notes.append("\(withoutLog) has no latency.hlog: the merged timeline has counts and errors, no per-second latencies")
        }
        notes.append("merged from \(shardCount) shards")
        merged.notes = notes

        // Verdict on the merge: the SLOs on the merged histograms; error budget and driver lag
        // judged again; a shard's saturated driver or error budget makes the merge
        // inconclusive too (a tool's failure on one machine is not the server's); an
        // operation never exercised stays a reason only if no shard exercised it.
        merged.slo = slos.map { $0.evaluate(merged) }
        var reasons: [(kind: InconclusiveKind, text: String)] = []
        var notExercised: [String: Int] = [:]
        for r in inconclusive {
            switch r.kind {
            case .notExercised: notExercised[r.text, default: 0] += 1
            case .errorBudget, .driverSaturated: reasons.append((r.kind, "shard \(r.shard)/\(shardCount): \(r.text)"))
            }
        }
        for r in inconclusive where r.kind == .notExercised && notExercised[r.text] == shardCount && !reasons.contains(where: { $0.text == r.text }) {
            reasons.append((.notExercised, r.text))
        }
        let judgedBySLO = Set(slos.filter { $0.metric == .errorRate }.map(\.operation))
        for (name, s) in ops.sorted(by: { $0.key < $1.key }) where s.count > 0 && !judgedBySLO.contains(name) {
            let rate = Double(s.errors) / Double(s.count)
            if rate > config.maxErrorRate {
                reasons.append((.errorBudget, "\(name): \(Units.figure(rate * 100)) % of \(s.count) answers (all shards) were errors, over the \(Units.figure(config.maxErrorRate * 100)) % budget (--max-error-rate)"))
            }
        }
        let bound = config.maxLagBound * 1e6
        if merged.schedulingLagUs.p99 > bound, !reasons.contains(where: { $0.kind == .driverSaturated }) {
            reasons.append((.driverSaturated, "the drivers were saturated: their merged scheduling lag p99 was \(Units.figure(merged.schedulingLagUs.p99 / 1000)) ms, over the \(Units.figure(bound / 1000)) ms bound (--max-lag)"))
        }
        merged.inconclusive = reasons.map(\.text)
        merged.inconclusiveKinds = reasons.map(\.kind)
        merged.verdict = aborted != nil ? .unreachable : merged.judgedVerdict
        return (merged, log)
    }

    /// The shards' timelines on one wall-clock axis (second 1 = the earliest shard's first
    /// measured second), with per-second latencies from the logs; and the merged log.
    package func mergedTimeline() -> ([TimelineEntry], HistogramLog?) {
        let origin = measureStart.isFinite ? measureStart : 0
        var bySecond: [Int: TimelineEntry] = [:]
        var errorKinds: [Int: [String: [String: Int]]] = [:]
        for (start, entries) in timelines {
            let offset = Int((start - origin).rounded())
            for e in entries {
                let s = e.second + offset
                var m = bySecond[s] ?? TimelineEntry(second: s, operations: [:], errors: 0, p99Us: 0)
                m.operations.merge(e.operations, uniquingKeysWith: +)
                m.errors += e.errors
                // Stages are the whole run's levels in every shard.
                m.targetRate = m.targetRate ?? e.targetRate
                m.targetUsers = m.targetUsers ?? e.targetUsers
                for (op, i) in e.byOperation ?? [:] {
                    errorKinds[s, default: [:]][op, default: [:]].merge(i.errorsByKind ?? [:], uniquingKeysWith: +)
                }
                bySecond[s] = m
            }
        }
        var log: HistogramLog?
        if withoutLog == nil, logStart.isFinite {
            var out = HistogramLog(startTime: logStart)
            let logOrigin = Int(logStart.rounded())
            let tagOrder = Operation.allCases.map(\.rawValue) + MeasuredPhase.allCases.map(\.rawValue)
            for second in intervals.keys.sorted() {
                let tags = intervals[second]!
                var all: [UInt64: UInt64] = [:]
                var allHighest: UInt64 = 2
                // The timeline second this log second falls in (log and timeline share the origin
                // up to the warm-up's rounding).
                let timelineSecond = second - Int(origin.rounded()) + 1
                var byOperation: [String: IntervalSummary] = [:]
                for tag in tags.keys.sorted(by: { (tagOrder.firstIndex(of: $0) ?? 99, $0) < (tagOrder.firstIndex(of: $1) ?? 99, $1) }) {
                    let b = tags[tag]!
                    let decoded = HdrHistogramCodec.Decoded(
                        lowestDiscernibleValue: 1, highestTrackableValue: b.highest, significantDigits: .three,
                        buckets: b.counts.sorted { $0.key < $1.key }.map { (value: $0.key, count: $0.value) })
                    out.intervals.append(HistogramLogInterval(
                        tag: tag.isEmpty ? nil : tag, startS: Double(second - logOrigin), lengthS: b.length,
                        maxMs: Double(decoded.maxValue) / 1e6, encoded: HdrHistogramCodec.encode(decoded)))
                    if Operation(rawValue: tag) != nil {
                        all.merge(b.counts, uniquingKeysWith: +)
                        allHighest = max(allHighest, b.highest)
                        byOperation[tag] = IntervalSummary(decoded, errorsByKind: errorKinds[timelineSecond]?[tag] ?? [:])
                    }
                }
                let allDecoded = HdrHistogramCodec.Decoded(
                    lowestDiscernibleValue: 1, highestTrackableValue: allHighest, significantDigits: .three,
                    buckets: all.sorted { $0.key < $1.key }.map { (value: $0.key, count: $0.value) })
                if var entry = bySecond[timelineSecond] {
                    entry.byOperation = byOperation
                    entry.p99Us = allDecoded.totalCount == 0 ? 0 : (Double(allDecoded.valueAtPercentile(99)) / 100).rounded() / 10
                    bySecond[timelineSecond] = entry
                }
            }
            log = out
        }
        return (bySecond.keys.sorted().map { bySecond[$0]! }, log)
    }

    package static func add(_ encoded: String, to h: inout LatencyHistogram, source: String, what: String) throws(MergeError) {
        do throws(HdrHistogramCodec.DecodeError) {
            try HdrHistogramCodec.decode(encoded).add(to: &h)
        } catch {
            throw MergeError("\(source): the histogram of \(what) does not decode: \(error)")
        }
    }

    /// The first setting in which two configurations differ, as `key: a ≠ b`.
    /// The first setting that differs, as `--KEY: A ≠ B` (values cut at 60 characters).
    package static func difference(_ a: RunSettings, _ b: RunSettings) -> String {
        guard let key = a.differences(from: b).first else { return "settings differ" }
        let va = a[key]?.jsonText ?? "unset", vb = b[key]?.jsonText ?? "unset"
        return "--\(key): \(va.prefix(60)) ≠ \(vb.prefix(60))"
    }

    /// Connection counts summed; their latency summaries (no histograms are kept for them)
    /// are the slowest shard's, percentile by percentile.
    package static func sum(_ a: ConnectionSummary?, _ b: ConnectionSummary) -> ConnectionSummary {
        guard var s = a else { return b }
        func worst(_ x: LatencySummary?, _ y: LatencySummary?) -> LatencySummary? {
            guard var x else { return y }
            guard let y else { return x }
            x.p50 = max(x.p50, y.p50); x.p90 = max(x.p90, y.p90); x.p99 = max(x.p99, y.p99)
            x.p999 = max(x.p999, y.p999); x.max = max(x.max, y.max); x.mean = max(x.mean, y.mean)
            return x
        }
        s.opened += b.opened
        s.failed += b.failed
        s.poolWaits += b.poolWaits
        s.connectUs = worst(s.connectUs, b.connectUs)!
        s.tlsHandshakeUs = worst(s.tlsHandshakeUs, b.tlsHandshakeUs)
        s.poolWaitUs = worst(s.poolWaitUs, b.poolWaitUs)
        return s
    }
}
