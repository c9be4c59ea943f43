import Foundation
import Testing
import TokenAuth
@testable import TokenLoad
@testable import TokenResults
@testable import TokenReport
@testable import TokenHTTPClient
@testable import TokenProbe

@Suite("capacity: the search finds a known capacity, never blames the target for the driver", .serialized)
struct CapacitySearchTests {
    /// Settings for a simulated target: long tokens and sessions, so every operation after the
    /// logins (in the warm-up) is an arrival-driven resource call.
    static func configuration(target: String, users: Int) throws -> LoadConfiguration {
        var c = LoadConfiguration()
        c.target = target
        c.users = users
        c.accessTTL = 3600
        c.sessionLength = 3600
        c.workers = 2
        c.model = .open
        c.rate = 100
        try c.validate()
        return c
    }

    static func search(_ c: LoadConfiguration, _ settings: CapacitySettings, slos: [String]) async throws
        -> (steps: [CapacityStep], answer: CapacityAnswer) {
        let slos = try slos.map { try SLO(parsing: $0) }
        let target = SimulatedTarget(spec: c.target)!
        let search = CapacitySearch(configuration: c, settings: settings, slos: slos, judgesDriverLag: true)
        return await search.run { step in
            await LoadDriver(configuration: step, target: target, slos: slos).run()
        }
    }

    @Test("a target of known capacity (6 slots × 10 ms = 600 ops/s): the answer lies within the precision of the truth, confirmed")
    func knownCapacity() async throws {
        let truth = SimulatedTarget(concurrency: 6, serviceTime: 0.010).capacity
        #expect(truth == 600)
        let settings = CapacitySettings(startRate: 100, maxRate: 5000, stepDuration: 2, stepWarmup: 1, precision: 0.05, confirm: 2)
        let (steps, answer) = try await Self.search(try Self.configuration(target: "simulated:6x10ms", users: 200), settings,
                                                    slos: ["access.p99<30ms"])
        #expect(answer.outcome == .found, "\(answer.line)")
        let rate = try #require(answer.rate)
        #expect(abs(rate - truth) <= 0.05 * truth, "answer \(rate) vs truth \(truth): \(answer.line)")
        #expect(answer.confirmed == 2 && answer.confirmations == 2)
        #expect(answer.line.hasPrefix("capacity: "))
        #expect(answer.line.contains("at access.p99<30ms, confirmed 2/2"))
        // The search doubled from the start, failed above the truth, bisected, confirmed.
        #expect(steps.first?.intendedRate == 100)
        #expect(steps.contains { $0.stage == "double" && $0.verdict == .fail && $0.intendedRate > truth })
        #expect(steps.contains { $0.stage == "bisect" })
        #expect(steps.suffix(2).allSatisfy { $0.stage == "confirm" && $0.verdict == .pass && $0.intendedRate == rate })
        // Every failing step is above the truth; each step is judged on its own window.
        for s in steps where s.verdict == .fail { #expect(s.intendedRate > truth * 0.97, "step \(s.index) at \(s.intendedRate) failed: \(s.reasons)") }
        for s in steps { #expect(s.result.measuredSeconds == 2) }
    }

    @Test("a driver that cannot deliver the rate: generator-bound, inconclusive, never reported as the target's capacity")
    func generatorBound() async throws {
        // 10,000 slots × 1 ms: 10 million operations per second, far past what the driver sends.
        let settings = CapacitySettings(startRate: 20_000, maxRate: 10_000_000, stepDuration: 2, stepWarmup: 1, precision: 0.05, confirm: 1)
        let (steps, answer) = try await Self.search(try Self.configuration(target: "simulated:10000x1ms", users: 20_000), settings,
                                                    slos: ["access.p99<5ms"])
        #expect(answer.outcome == .inconclusive, "\(answer.line)")
        #expect(answer.verdict.exitCode == 3)
        let last = try #require(steps.last)
        #expect(last.verdict == .generatorBound)
        #expect(last.reasons.first?.contains("generator-bound") == true)
        #expect(answer.line.hasPrefix("capacity: inconclusive: generator-bound"))
        #expect(!steps.contains { $0.verdict == .fail }, "no step was blamed on the target: \(steps.map { "\($0.intendedRate) \($0.verdict)" })")
    }
}

@Suite("capacity: the search's decisions, over scripted step results")
struct CapacityDecisionTests {
    /// A real (no-op) run's result, its verdict-bearing fields rewritten per step.
    static func template() async -> RunResult {
        var c = LoadConfiguration()
        c.target = "noop"
        c.users = 10
        c.duration = 1
        c.model = .open
        c.rate = 50
        var r = await LoadDriver(configuration: c, target: NoOpTarget()).run()
        // The scripted driver keeps its schedule: no lag (judged in `judging`).
        r.schedulingLagUs = LatencySummary(LatencyHistogram.latency())
        return r
    }

    /// A step at `rate` that passes when `passes(rate, n)` (n: how many steps ran before).
    static func scripted(_ passes: @escaping @Sendable (Double, Int) -> Bool) async -> @Sendable (LoadConfiguration) async -> RunResult {
        let counter = Counter()
        let template = await template()
        return { c in
            var r = template
            let rate = c.rate!
            let ok = passes(rate, counter.next())
            r.measuredSeconds = c.duration
            r.achievedRatePerS = rate
            r.slo = [SLOResult(slo: "refresh.p99<20ms", observed: ok ? 10_000 : 30_000, passed: ok)]
            r.inconclusive = []
            r.inconclusiveKinds = []
            return r
        }
    }

    final class Counter: @unchecked Sendable {
        private var n = 0
        private let lock = NSLock()
        func next() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n - 1 }
    }

    static func search(start: Double = 100, max: Double = 100_000, confirm: Int = 3) throws -> CapacitySearch {
        CapacitySearch(configuration: LoadConfiguration(),
                       settings: CapacitySettings(startRate: start, maxRate: max, stepDuration: 5, stepWarmup: 1, precision: 0.05, confirm: confirm),
                       slos: [try SLO(parsing: "refresh.p99<20ms")], judgesDriverLag: true)
    }

    @Test("double, bisect to the precision, confirm N times: the answer is the last pass, within 5 % of the truth")
    func bisects() async throws {
        let (steps, answer) = try await Self.search().run(step: await Self.scripted { rate, _ in rate <= 1234 })
        #expect(steps.map(\.intendedRate).prefix(6) == [100, 200, 400, 800, 1600, 1200])
        #expect(answer.outcome == .found)
        let rate = try #require(answer.rate)
        #expect(rate <= 1234 && rate >= 1234 * 0.95, "\(rate)")
        #expect(steps.suffix(3).allSatisfy { $0.stage == "confirm" && $0.intendedRate == rate })
        #expect(answer.line.hasPrefix("capacity: \(Units.grouped(rate)) ops/s"))
        #expect(answer.line.hasSuffix("at refresh.p99<20ms, confirmed 3/3"))
        #expect(answer.verdict.exitCode == 0)
    }

    @Test("the sizing line: the answer step's rate of the objective's operation over each process's CPU seconds")
    func sizing() async throws {
        let template = await Self.template()
        let (_, answer) = try await Self.search(confirm: 1).run(step: { c in
            var r = template
            let rate = c.rate!
            r.measuredSeconds = 10
            r.achievedRatePerS = rate
            r.environment.target = "http://127.0.0.1:8080"
            // 10 s at the rate, a fifth of it refreshes; the server spent 0.25 ms of CPU per
            // refresh, the store a tenth of that.
            let refreshes = Int(rate * 10 / 5)
            r.operations["refresh"] = OperationSummary(count: refreshes, errors: 0, errorsByKind: [:], throughputPerS: Double(refreshes) / 10,
                                                       latencyUs: LatencySummary(LatencyHistogram.latency()))
            r.cpu = CPUSummary(operations: Int(rate * 10),
                               tokenbench: .init(name: "tokenbench", processes: 1, cpuSeconds: 1, operations: Int(rate * 10)),
                               target: .init(name: "pid 7", processes: 1, cpuSeconds: Double(refreshes) * 0.000_25, operations: Int(rate * 10)),
                               store: .init(name: "pid 8", processes: 3, cpuSeconds: Double(refreshes) * 0.000_025, operations: Int(rate * 10)))
            r.slo = [SLOResult(slo: "refresh.p99<20ms", observed: 10_000, passed: rate <= 1000)]
            return r
        })
        #expect(answer.outcome == .found && answer.rate != nil, "\(answer.line)")
        let sizing = try #require(answer.sizing)
        #expect(sizing.operation == "refresh" && sizing.perTargetVCPU == 4000 && sizing.perStoreVCPU == 40_000, "\(sizing)")
        #expect(sizing.operationsPerS == (answer.rate ?? 0) / 5)
        #expect(sizing.line.hasPrefix("sizing at refresh.p99<20ms: 1 vCPU of the server per 4,000 refresh/s with "), "\(sizing.line)")
        #expect(sizing.line.contains(", of the store per 40,000 refresh/s (the step's mix; "), "\(sizing.line)")
        // The access calls the server served beside them, per the same vCPU: count / CPU seconds.
        let accesses = try #require(template.operations["access"]?.count)
        let stepRate = try #require(answer.rate)
        let perVCPU = Double(accesses) / (Double(Int(stepRate * 10 / 5)) * 0.000_25)
        #expect(sizing.line.contains("refresh/s with \(Units.grouped(perVCPU.rounded())) access/s"), "\(sizing.line)")
        #expect(!sizing.line.contains("in-process core"), "an HTTP target's driver is not sized")
        // Without CPU figures there is nothing to size on.
        let (_, none) = try await Self.search(confirm: 1).run(step: { c in
            var r = template
            r.cpu = nil
            r.measuredSeconds = 10
            r.achievedRatePerS = c.rate!
            r.slo = [SLOResult(slo: "refresh.p99<20ms", observed: 10_000, passed: c.rate! <= 1000)]
            return r
        })
        #expect(none.outcome == .found && none.sizing == nil)
    }

    @Test("a failed confirmation steps down (half the precision) and confirms again")
    func stepsDown() async throws {
        // Passes up to 1000, except the first step at a rate tried before: the first
        // confirmation of the bisected answer.
        let memory = RateMemory()
        let (steps, answer) = try await Self.search().run(step: await Self.scripted { rate, _ in
            rate <= 1000 && !memory.firstRepeat(rate)
        })
        #expect(answer.outcome == .found, "\(answer.line)")
        #expect(answer.stepDowns == 1, "\(answer.line)")
        #expect(answer.line.contains("confirmed 3/3 after 1 step down"))
        let failed = try #require(steps.first { $0.stage == "confirm" && $0.verdict == .fail })
        let rate = try #require(answer.rate)
        #expect(rate == CapacitySearch.round(failed.intendedRate * 0.975))
        #expect(steps.suffix(3).allSatisfy { $0.stage == "confirm" && $0.verdict == .pass && $0.intendedRate == rate })
    }

    @Test("an answer that never repeats: after 4 step-downs the search ends inconclusive (exit 3), not 'none'")
    func neverRepeats() async throws {
        let memory = RateMemory()
        let (steps, answer) = try await Self.search().run(step: await Self.scripted { rate, _ in rate <= 1000 && memory.firstSeen(rate) })
        #expect(answer.outcome == .inconclusive, "\(answer.line)")
        #expect(answer.verdict.exitCode == 3)
        #expect(answer.stepDowns == 4)
        #expect(answer.line.contains("the answer did not repeat"), "\(answer.line)")
        let confirmations = steps.filter { $0.stage == "confirm" && $0.verdict == .fail }
        #expect(confirmations.count == 5)
        let first = try #require(confirmations.first?.intendedRate), last = try #require(confirmations.last?.intendedRate)
        #expect(first > last, "each step-down lowers the rate")
        #expect(answer.line.contains("stepping down from \(Units.opsRate(first)) to \(Units.opsRate(last))"), "\(answer.line)")
    }

    @Test("the start rate fails: none, exit 2; still passing at --max-rate: at least, exit 3")
    func bounds() async throws {
        let none = try await Self.search().run(step: await Self.scripted { _, _ in false })
        #expect(none.answer.outcome == .none)
        #expect(none.answer.verdict.exitCode == 2)
        #expect(none.steps.count == 1)
        #expect(none.answer.line.contains("not even the start rate 100 ops/s passes"))
        let atLeast = try await Self.search(max: 1000).run(step: await Self.scripted { _, _ in true })
        #expect(atLeast.answer.outcome == .atLeast)
        #expect(atLeast.answer.verdict.exitCode == 3)
        #expect(atLeast.steps.map(\.intendedRate) == [100, 200, 400, 800, 1000])
        #expect(atLeast.answer.line.hasPrefix("capacity: at least 1,000 ops/s"))
    }

    @Test("a step judged on its own window: an SLO with no samples fails and says so; a rate not achieved fails; a violation ends the search")
    func judging() async throws {
        let search = try Self.search()
        var r = await Self.template()
        r.measuredSeconds = 5
        r.achievedRatePerS = 1000
        r.slo = [SLOResult(slo: "refresh.p99<20ms", observed: nil, passed: false, note: "no samples")]
        let (v1, why1) = search.judge(r, intended: 1000)
        #expect(v1 == .fail)
        #expect(why1.first?.contains("no samples") == true)
        r.slo = [SLOResult(slo: "refresh.p99<20ms", observed: 1000, passed: true)]
        r.achievedRatePerS = 980
        let (v2, why2) = search.judge(r, intended: 1000)
        #expect(v2 == .fail, "980 of 1000 is under 99 %")
        #expect(why2 == ["achieved 980 ops/s of the intended 1,000 ops/s (under 99 %)"])
        r.achievedRatePerS = 991
        #expect(search.judge(r, intended: 1000).0 == .pass)
        // The same failure with the driver late by a quarter of the objective: not the target's.
        r.achievedRatePerS = 980
        var late = LatencyHistogram.latency()
        _ = late.record(6_000_000)
        r.schedulingLagUs = LatencySummary(late)
        let (v3, why3) = search.judge(r, intended: 1000)
        #expect(v3 == .generatorBound)
        #expect(why3.first?.hasPrefix("generator-bound at 1,000 ops/s: the driver's own scheduling lag p99 was 6.00 ms") == true, "\(why3)")
        r.schedulingLagUs = LatencySummary(LatencyHistogram.latency())
        r.achievedRatePerS = 991
        r.invariants.violations = 1
        r.invariants.byKind = ["spent_token_accepted": 1]
        #expect(search.judge(r, intended: 1000).0 == .invariantViolation)
    }
}

/// Remembers the rates tried; the first repeat of any rate is reported once.
final class RateMemory: @unchecked Sendable {
    private var seen: Set<Double> = []
    private var repeated = false
    private let lock = NSLock()

    /// Whether `rate` was never tried before (and remembers it).
    func firstSeen(_ rate: Double) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return seen.insert(rate).inserted
    }

    func firstRepeat(_ rate: Double) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if seen.insert(rate).inserted || repeated { return false }
        repeated = true
        return true
    }
}
