import Foundation
import TokenAuth
import TokenResults
import TokenHTTPClient

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
    /// The schedule of the fault-injecting store wrapper around the in-process target's store
    /// (``FaultInjectingStore``), started at the start of measurement; `nil` without
    /// injected faults.
    public var faultSchedule: FaultSchedule?
    /// Write `latency.hlog`'s intervals and the timeline to temporary files as the run goes
    /// instead of keeping them in memory (``LineSpool``); `tokenbench run` sets it, so that a
    /// soak measures the driver without the growth of its own records.
    public var spoolIntervals = false

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
    /// - Parameters:
    ///   - startAt: when the load starts, Unix seconds (`--start-at`: shards on several
    ///     machines start together); `nil` or a past instant: in 10 ms.
    ///   - progress: called about once a second from the driver's own task.
    public func run(startAt: Double? = nil, progress: @escaping @Sendable (ProgressSnapshot) -> Void = { _ in }) async -> RunResult {
        let c = configuration
        let users = c.userNumbers
        let workerCount = max(1, min(c.workers, users.count))
        let clock = WallClockAnchor()
        let start = max(monotonicNanoseconds() &+ 10_000_000, startAt.map { clock.monotonic(unix: $0) } ?? 0)
        let measureStart = start &+ ns(c.warmup)
        let end = start &+ ns(c.totalSeconds)
        let abort = RunAbort()
        phases?.window(from: measureStart, until: end)
        faultSchedule?.start(measureStart: measureStart)
        let statistics = store?.statistics
        let countersAtStart = SnapshotBox()
        let cpuAtStart = CPUBox()
        let metrics = c.targetMetrics.flatMap { try? TargetMetricsReader($0) }
        var numbers = [[Int32]](repeating: [], count: workerCount)
        for (i, n) in users.enumerated() { numbers[i % workerCount].append(Int32(n)) }
        let workers = (0..<workerCount).map {
            Worker(index: $0, target: target, configuration: c, credentials: credentials, userNumbers: numbers[$0],
                   start: start, measureStart: measureStart, end: end, abort: abort)
        }
        var environment = RunEnvironment.current(target: target.name)
        environment.crypto = target.crypto.map { CryptoEnvironment(backend: $0.name, library: $0.library) }
        environment.cpus = CPUAffinity.allowed("self").map {
            CPUPlacement(tokenbench: $0, target: c.targetPID.flatMap { CPUAffinity.allowed(String($0)) },
                         store: c.storePID.flatMap { CPUAffinity.allowed(String($0)) })
        }

        let collector = IntervalCollector(
            workers: workers.map(\.recorder), phases: phases, start: start, measureStart: measureStart, end: end,
            measureStartUnix: clock.unix(monotonic: measureStart), schedule: c.stages == nil ? nil : c.schedule,
            openModel: c.model == .open, spool: spoolIntervals, storeStatistics: statistics)
        let ticked = await withTaskGroup(of: IntervalCollector?.self) { group in
            for worker in workers {
                group.addTask {
                    await PhaseRecorder.$stripe.withValue(worker.index) { await worker.run() }
                    return nil
                }
            }
            group.addTask {
                var collector = collector
                await collector.tick(abort: abort, progress: progress)
                return collector
            }
            group.addTask {
                // The counters and CPU times at the start of the measured window (after the warm-up).
                let now = monotonicNanoseconds()
                if measureStart > now { try? await Task.sleep(nanoseconds: measureStart - now) }
                if let statistics { countersAtStart.value.withLock { $0 = statistics.snapshot } }
                let sample = await CPUSample.now(target: c.targetPID, store: c.storePID, metrics: metrics)
                cpuAtStart.value.withLock { $0 = sample }
                return nil
            }
            var ticked: IntervalCollector?
            for await part in group {
                if let part { ticked = part }
                // The tick ends early when the run is stopped: end the sleeping lanes too.
                if abort.isSet { group.cancelAll() }
            }
            return ticked
        }
        // The last interval, once every worker has finished: it takes what completed after
        // the end too, so that the intervals add up to the whole run's histograms.
        var intervals = ticked ?? collector
        intervals.collect(at: monotonicNanoseconds(), final: true, progress: progress)
        // A fault run: every family the shadow model holds alive must still be there.
        var audit: FamilyAudit?
        if !(c.faults ?? []).isEmpty, abort.reason == nil {
            audit = await withTaskGroup(of: FamilyAudit.self) { group in
                for w in workers { group.addTask { await w.audit() } }
                var total = FamilyAudit()
                for await part in group { total.add(part) }
                return total
            }
        }
        let timeline = intervals.timeline()
        var result = summarize(workers: workers, timeline: timeline, environment: environment)
        // Without the last, partial second: it is sampled after the workers finished (their
        // wind-down showed as +3 MB in one sample), not during the steady run.
        result.stability = StabilitySummary(timeline: timeline.count > 2 ? Array(timeline.dropLast()) : timeline)
        if let faults = c.faults, !faults.isEmpty {
            result.faults = FaultReport(windows: faults.map { FaultWindowReport($0, all: faults, timeline: timeline) },
                                        injections: faultSchedule?.injections, audit: audit)
            result.verdict = result.judgedVerdict
        }
        result.intervalLog = intervals.log
        if let baseline = ProcessMemory.baselineResidentBytes, let peak = intervals.peakResidentBytes {
            result.memory = MemorySummary(
                baselineResidentBytes: baseline, peakResidentBytes: peak,
                bytesPerUser: (Double(max(0, peak - baseline)) / Double(max(1, users.count))).rounded(),
                peakAllocatedBytes: intervals.peakAllocatedBytes)
        }
        result.measureStartUnixS = (intervals.log.startTime * 1000).rounded() / 1000
        if let first = cpuAtStart.value.withLock({ $0 }) {
            let operations = result.operations.values.reduce(0) { $0 + $1.count }
            let last = await CPUSample.now(target: c.targetPID, store: c.storePID, metrics: metrics)
            result.cpu = first.summary(until: last, operations: operations, target: c.targetPID, store: c.storePID, metrics: metrics?.name)
            if c.targetPID != nil, result.cpu?.target == nil {
                result.notes = (result.notes ?? []) + ["--target-pid \(c.targetPID!): the process ended during the run; its CPU is not reported"]
            }
            if metrics != nil, result.cpu?.target == nil {
                let why = [first.metricsFailure, last.metricsFailure].compactMap { $0?.description }.first
                    ?? "--target-metrics: \(TargetMetricsSource.metric) went down during the run (a server restarted)"
                result.notes = (result.notes ?? []) + [why + "; the servers' CPU is not reported"]
            }
            if c.storePID != nil, result.cpu?.store == nil {
                result.notes = (result.notes ?? []) + ["--store-pid \(c.storePID!): the process ended during the run; its CPU is not reported"]
            }
        }
        await metrics?.shutdown()
        if let reason = abort.reason {
            result.aborted = RunAbortSummary(reason)
            result.verdict = .unreachable
        }
        if let store {
            let counters = statistics.map { $0.snapshot.subtracting(countersAtStart.value.withLock { $0 } ?? StoreStatistics.Snapshot()) }
            result.store = StoreSummary(backend: store.backend, operations: StoreSummary.operations(fromPhases: result.phases),
                                        counters: counters?.record)
        }
        return result
    }

    package func summarize(workers: [Worker<Target>], timeline: [TimelineEntry], environment: RunEnvironment) -> RunResult {
        let c = configuration
        let seconds = c.duration
        let http = target.countsStatuses
        var operations: [String: OperationSummary] = [:]
        var encoded = EncodedHistograms()
        var attempted = [Int](repeating: 0, count: Operation.allCases.count)
        for op in Operation.allCases {
            var h = LatencyHistogram.latency()
            var errorsByKind: [String: Int] = [:]
            var responses: [Int: Int] = [:]
            var errorsByStatus: [Int: Int] = [:]
            for w in workers {
                h.add(w.recorder.operations[op.index])
                errorsByKind.merge(w.recorder.errors[op.index], uniquingKeysWith: +)
                responses.merge(w.recorder.responsesByStatus[op.index], uniquingKeysWith: +)
                errorsByStatus.merge(w.recorder.errorsByStatus[op.index], uniquingKeysWith: +)
                attempted[op.index] += w.recorder.attempted[op.index]
            }
            var summary = OperationSummary(h, errorsByKind: errorsByKind, seconds: seconds)
            if h.totalCount > 0 { encoded.operations[op.rawValue] = HdrHistogramCodec.encode(h) }
            if http {
                summary.responsesByStatus = Self.statusKeys(responses)
                summary.errorsByStatus = Self.statusKeys(errorsByStatus)
            }
            operations[op.rawValue] = summary
        }
        var phaseSummaries: [String: OperationSummary] = [:]
        if let phases {
            for (phase, h) in phases.merged() where h.totalCount > 0 {
                phaseSummaries[phase.rawValue] = OperationSummary(h, errorsByKind: [:], seconds: seconds)
                encoded.phases[phase.rawValue] = HdrHistogramCodec.encode(h)
            }
        }
        var lag = LatencyHistogram.latency()
        var checked = 0, unjudged = 0, arrivals = 0, rotated = 0, kept = 0
        var byKind: [String: Int] = [:]
        var checks = [Int](repeating: 0, count: InvariantKind.allCases.count)
        var sent = [Int](repeating: 0, count: HostileKind.allCases.count)
        var refused = sent
        var accepted = sent
        var refusedBy = [[String: Int]](repeating: [:], count: HostileKind.allCases.count)
        var unjudgedBy = refusedBy
        for w in workers {
            lag.add(w.recorder.lag)
            checked += w.recorder.invariantsChecked
            unjudged += w.recorder.invariantsUnjudged
            rotated += w.recorder.refreshesRotated
            kept += w.recorder.refreshesKept
            arrivals += w.recorder.arrivalsServed
            for (k, v) in w.recorder.violations { byKind[k.rawValue, default: 0] += v }
            for i in checks.indices { checks[i] += w.recorder.checksByKind[i] }
            for i in sent.indices {
                sent[i] += w.recorder.hostileSent[i]
                refused[i] += w.recorder.hostileRefused[i]
                accepted[i] += w.recorder.hostileAccepted[i]
                refusedBy[i].merge(w.recorder.hostileRefusedBy[i], uniquingKeysWith: +)
                unjudgedBy[i].merge(w.recorder.hostileUnjudgedBy[i], uniquingKeysWith: +)
            }
        }
        let violations = byKind.values.reduce(0, +)
        var hostileByKind: [String: HostileCount] = [:]
        var hostileRefusedBy: HostileBreakdown = [:], hostileUnjudgedBy: HostileBreakdown = [:]
        var mustRefuse = (sent: 0, refused: 0)
        for kind in HostileKind.allCases where sent[kind.index] > 0 {
            let i = kind.index
            hostileByKind[kind.rawValue] = HostileCount(sent: sent[i], refused: refused[i], accepted: accepted[i],
                                                        unjudged: sent[i] - refused[i] - accepted[i])
            if !refusedBy[i].isEmpty { hostileRefusedBy[kind.rawValue] = refusedBy[i] }
            if !unjudgedBy[i].isEmpty { hostileUnjudgedBy[kind.rawValue] = unjudgedBy[i] }
            // Two-tab refreshes are benign: they are counted by kind, not among those to refuse.
            if kind != .concurrentRefresh {
                mustRefuse.sent += sent[kind.index]
                mustRefuse.refused += refused[kind.index]
            }
        }
        if lag.totalCount > 0 { encoded.schedulingLag = HdrHistogramCodec.encode(lag) }
        var result = RunResult(
            config: c.record, environment: environment, measuredSeconds: seconds,
            operations: operations, phases: phaseSummaries, schedulingLagUs: LatencySummary(lag),
            invariants: InvariantSummary(checked: checked, violations: violations, byKind: byKind, unjudged: unjudged,
                                         checkedByKind: Dictionary(uniqueKeysWithValues: InvariantKind.allCases.compactMap {
                                             checks[$0.index] > 0 ? ($0.rawValue, checks[$0.index]) : nil })),
            hostile: HostileSummary(attempts: mustRefuse.sent, rejected: mustRefuse.refused, byKind: hostileByKind,
                                    refusedBy: hostileRefusedBy.isEmpty ? nil : hostileRefusedBy,
                                    unjudgedBy: hostileUnjudgedBy.isEmpty ? nil : hostileUnjudgedBy),
            timeline: timeline, slo: [], verdict: .pass)
        result.histograms = encoded
        if let shard = c.shard {
            let users = c.userNumbers
            result.shard = ShardSummary(index: shard.index, count: shard.count, firstUser: users.lowerBound, users: users.count,
                                        ratePerS: c.intendedArrivalRate.map { ($0 * Double(users.count) / Double(c.users) * 1000).rounded() / 1000 })
        }
        result.connections = target.connectionSummary()
        if c.model == .open { result.achievedRatePerS = (Double(arrivals) / seconds).rounded(toPlaces: 1) }
        result.slo = slos.map { $0.evaluate(result) }
        let reasons = inconclusiveReasons(result, attempted: attempted, hostileSent: sent)
        result.inconclusive = reasons.map(\.text)
        result.inconclusiveKinds = reasons.map(\.kind)
        result.notes = notes(unjudged: unjudged, rotated: rotated, kept: kept)
        result.verdict = result.judgedVerdict
        return result
    }

    /// Status keys as `result.json` writes them: `2xx` for any success, `no_answer`, or the code.
    package static func statusKeys(_ counts: [Int: Int]) -> [String: Int] {
        var out: [String: Int] = [:]
        for (status, n) in counts {
            out[status == 2 ? "2xx" : status == 0 ? "no_answer" : String(status), default: 0] += n
        }
        return out
    }

    /// Why the run cannot judge the target, if it cannot (docs/verdicts.md, "inconclusive"):
    /// an operation its sessions imply never happened; an operation's error rate is over the
    /// budget; the driver itself could not keep the schedule.
    package func inconclusiveReasons(_ r: RunResult, attempted: [Int], hostileSent: [Int]) -> [(kind: InconclusiveKind, text: String)] {
        let c = configuration
        var reasons: [(kind: InconclusiveKind, text: String)] = []
        let total = c.totalSeconds
        func f(_ v: Double) -> String { Units.figure(v) }
        // What the sessions of this run imply: a login; resource calls unless a user thinks
        // longer than its session; a refresh when sessions outlive the refresh point; a logout
        // when sessions end within the run and the target can revoke.
        if attempted[Operation.login.index] == 0 { reasons.append((.notExercised, "no login happened")) }
        // (With a refresh rate and no access rate, the run sends no resource call by design.)
        if attempted[Operation.access.index] == 0, c.effectiveThinkTime < c.sessionLength, c.effectiveThinkTime < total,
           c.refreshRate == nil || c.rate != nil {
            reasons.append((.notExercised, "no resource call happened"))
        }
        if attempted[Operation.refresh.index] == 0, let ttl = c.accessTTL {
            let point = max(0, ttl - c.refreshLead - c.refreshJitter / 2)
            if point < c.sessionLength {
                let source = c.http?.accessLifetimeSource.map { " (from \($0))" } ?? ""
                reasons.append((.notExercised, "no refresh happened: access tokens live \(f(ttl)) s\(source), so a refresh falls due after about \(f(point)) s, "
                    + "and the run lasted \(f(total)) s: run longer (--duration) or shorten the access tokens"))
            }
        }
        if attempted[Operation.logout.index] == 0, c.logoutRatio > 0, target.canRevoke, c.sessionLength <= total {
            reasons.append((.notExercised, "no logout happened: sessions last about \(f(c.sessionLength)) s and \(Int((c.logoutRatio * 100).rounded())) % end in a logout, but none did within the run"))
        }
        let hostile: [(HostileKind, Double, String)] = [
            (.replay, c.replayRatio, "--replay-ratio is set, but no replay was sent (a replay needs a token spent two rotations ago, or once and grace + 1 s ago when the grace window is known)"),
            (.concurrentRefresh, c.concurrentRefreshRatio, "--concurrent-refresh-ratio is set, but no two-tab refresh was sent"),
            (.expiredAccess, c.expiredAccessRatio, "--expired-access-ratio is set, but no expired access token was sent (one must be past exp + leeway + 2 s)"),
            (.forgedAccess, c.forgedAccessRatio, "--forged-access-ratio is set, but no forged access token was sent"),
        ]
        for (kind, ratio, reason) in hostile where ratio > 0 && hostileSent[kind.index] == 0 { reasons.append((.notExercised, reason)) }
        // Sent but never judged: every answer of a kind was a 429, a 5xx or no answer.
        for kind in HostileKind.allCases {
            guard let count = r.hostile.byKind?[kind.rawValue], count.sent > 0, count.unjudged == count.sent else { continue }
            let causes = (r.hostile.unjudgedBy?[kind.rawValue] ?? [:]).sorted { $0.value > $1.value }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            reasons.append((.notExercised, "\(kind.rawValue): all \(count.sent) answers were unjudged (\(causes)): the target never judged one"))
        }
        // Errors over the budget, unless an explicit error-rate SLO judges that operation.
        let judgedBySLO = Set(slos.filter { $0.metric == .errorRate }.map(\.operation))
        // A fault run expects errors in its windows (and the 2 s the recovery may take): the
        // budget judges the rest of the run. The second before a window is left out too: the
        // collector drains the per-second counters when it wakes, a few ms after the second's
        // end, so a fault's first failures can land in the second before it (seen: 42 of them
        // on a loaded machine).
        let faultSeconds = r.timeline.filter { e in
            (c.faults ?? []).contains { Double(e.second) > $0.from - 1 && Double(e.second - 1) < $0.until + 2 }
        }
        for op in Operation.allCases where !judgedBySLO.contains(op.rawValue) {
            guard var s = r.operations[op.rawValue], s.count > 0 else { continue }
            for e in faultSeconds {
                s.count -= e.byOperation?[op.rawValue]?.count ?? 0
                s.errors -= e.byOperation?[op.rawValue]?.errors ?? 0
                for (kind, n) in e.byOperation?[op.rawValue]?.errorsByKind ?? [:] {
                    s.errorsByKind[kind] = (s.errorsByKind[kind] ?? 0) - n
                    if s.errorsByKind[kind] ?? 0 <= 0 { s.errorsByKind[kind] = nil }
                }
            }
            guard s.count > 0 else { continue }
            let rate = Double(max(0, s.errors)) / Double(s.count)
            guard rate > c.maxErrorRate else { continue }
            let top = (s.errorsByStatus ?? [:]).max { $0.value < $1.value }.map { "status \($0.key) × \($0.value)" }
            let kinds = s.errorsByKind.sorted { $0.value > $1.value }.prefix(3).map { "\($0.key) × \($0.value)" }.joined(separator: ", ")
            reasons.append((.errorBudget, "\(op.rawValue): \(f(rate * 100)) % of \(s.count) answers were errors (\([top, kinds].compactMap { $0 }.joined(separator: "; "))), "
                + "over the \(f(c.maxErrorRate * 100)) % budget (--max-error-rate)" + (faultSeconds.isEmpty ? "" : ", outside the fault windows")))
        }
        let bound = c.effectiveMaxLag * 1e6
        if r.schedulingLagUs.p99 > bound {
            reasons.append((.driverSaturated, "the driver was saturated: its scheduling lag p99 was \(f(r.schedulingLagUs.p99 / 1000)) ms, over the \(f(bound / 1000)) ms bound (--max-lag): "
                + "it started operations late because its own threads were busy; use fewer users or more cores or machines"))
        }
        return reasons
    }

    /// What the run could not judge, and why: server settings that are unknown (HTTP).
    /// - Parameters:
    ///   - rotated: successful refreshes that issued a new refresh token.
    ///   - kept: successful refreshes that kept the presented one.
    package func notes(unjudged: Int, rotated: Int = 0, kept: Int = 0) -> [String] {
        let c = configuration
        guard c.http != nil else { return [] }
        var notes: [String] = []
        if c.grace == nil {
            notes.append("the server's grace window is unknown (--grace): replays used tokens two rotations old only, and a refused two-tab duplicate was not judged")
        }
        if c.leeway == nil { notes.append("the server's leeway is unknown (--leeway): no expired access token was judged") }
        if c.refreshTTL == nil {
            notes.append("the server's refresh-token lifetime is unknown (--refresh-ttl): a refused current refresh token counts as an error, not a violation")
        }
        if let ignored = c.http?.accessTTLIgnored, let ttl = c.accessTTL {
            notes.append("access tokens live \(Units.figure(ttl)) s (from \(c.http?.accessLifetimeSource ?? "the server"); --access-ttl \(DurationValue.text(ignored)) ignored)")
        }
        if c.http?.rotation == "keeps" {
            notes.append("the server keeps its refresh tokens (RFC 6749 §6; seen by the preflight): a refresh renews the access token, the refresh token lives until logout or its lifetime; rotation and reuse invariants do not apply, and its refreshes count as unjudged")
        }
        if rotated > 0 && kept > 0 {
            notes.append("the server rotates refresh tokens only sometimes: \(rotated) of \(rotated + kept) successful refreshes issued a new refresh token, \(kept) kept the presented one (RFC 9700 §4.14.2 asks a public client's to rotate on every refresh)")
        }
        if unjudged > 0 { notes.append("\(unjudged) answers could not be judged for want of these settings, or were renewals of a refresh token the server keeps") }
        return notes
    }
}

/// CPU times of this process, the target and the store at one instant.
package struct CPUSample: Sendable {
    var own: Double
    var target: (seconds: Double, processes: Int)?
    var store: (seconds: Double, processes: Int)?
    /// Why `--target-metrics` gave no CPU time at this instant.
    var metricsFailure: TargetMetricsFailure?

    /// The target's CPU comes from `--target-pid`, else from `--target-metrics`.
    static func now(target: Int32?, store: Int32?, metrics: TargetMetricsReader?) async -> CPUSample {
        var sample = CPUSample(own: ProcessCPU.own(), target: target.flatMap { ProcessCPU.seconds($0, descendants: true) },
                               store: store.flatMap { ProcessCPU.seconds($0, descendants: true) })
        if target == nil, let metrics {
            switch await metrics.cpuSeconds() {
            case .success(let seconds): sample.target = (seconds, metrics.readers.count)
            case .failure(let failure): sample.metricsFailure = failure
            }
        }
        return sample
    }

    /// The CPU from this sample to `end`, per operation; `metrics`: the name of the
    /// `--target-metrics` servers. A counter that went down (a restarted server) gives no
    /// target figure.
    func summary(until end: CPUSample, operations: Int, target: Int32?, store: Int32?, metrics: String? = nil) -> CPUSummary {
        /// `counter`: a metric that went down is a restarted server, no figure.
        func process(_ name: String, _ a: (seconds: Double, processes: Int)?, _ b: (seconds: Double, processes: Int)?,
                     counter: Bool = false) -> CPUSummary.Process? {
            guard let a, let b, !(counter && b.seconds < a.seconds) else { return nil }
            return CPUSummary.Process(name: name, processes: b.processes, cpuSeconds: max(0, b.seconds - a.seconds), operations: operations)
        }
        return CPUSummary(operations: operations,
                          tokenbench: CPUSummary.Process(name: "tokenbench", processes: 1, cpuSeconds: max(0, end.own - own), operations: operations),
                          target: (target.map { "pid \($0)" } ?? metrics).flatMap { process($0, self.target, end.target, counter: target == nil) },
                          store: store.flatMap { process("pid \($0)", self.store, end.store) })
    }
}

/// The CPU sample at the start of the measured window, set by a child task.
package final class CPUBox: Sendable {
    package let value = Locked<CPUSample?>(nil)
}

/// The store counters at the start of the measured window, set by a child task.
package final class SnapshotBox: Sendable {
    package let value = Locked<StoreStatistics.Snapshot?>(nil)
}
