import Foundation
import TokenAuth

/// How `tokenbench capacity` searches: rates are arrivals per second of the open model.
public struct CapacitySettings: Codable, Sendable, Hashable {
    /// The first rate tried, per second.
    public var startRate: Double
    /// The highest rate tried, per second; still passing there, the answer is "at least".
    public var maxRate: Double
    /// Each step's measured window, seconds.
    public var stepDuration: Double
    /// Each step's warm-up before its window, seconds (logins, first refreshes).
    public var stepWarmup: Double
    /// Bisect until the gap between the last pass and the first failure is at most this share of
    /// the pass (0.05: 5 %).
    public var precision: Double
    /// Confirmation steps at the answer, all of which must pass.
    public var confirm: Int

    public init(startRate: Double, maxRate: Double, stepDuration: Double, stepWarmup: Double,
                precision: Double = 0.05, confirm: Int = 3) {
        self.startRate = startRate
        self.maxRate = maxRate
        self.stepDuration = stepDuration
        self.stepWarmup = stepWarmup
        self.precision = precision
        self.confirm = confirm
    }

    enum CodingKeys: String, CodingKey {
        case precision, confirm
        case startRate = "start_rate"
        case maxRate = "max_rate"
        case stepDuration = "step_duration_s"
        case stepWarmup = "step_warmup_s"
    }

    /// Checks ranges and that the bounds agree.
    /// - Throws: ``ConfigurationError`` naming the flag.
    public func validate() throws(ConfigurationError) {
        func need(_ ok: Bool, _ flag: String, _ accepted: String) throws(ConfigurationError) {
            if !ok { throw ConfigurationError(setting: flag, accepted: accepted) }
        }
        try need(startRate.isFinite && startRate > 0 && startRate <= 10_000_000, "--start-rate", "a rate > 0 per second, e.g. 100")
        try need(maxRate.isFinite && maxRate <= 10_000_000, "--max-rate", "a rate of at most 10000000 per second")
        try need(maxRate >= startRate, "--max-rate", "a rate ≥ --start-rate (\(ConsoleReport.fmt(startRate))/s)")
        try need(stepDuration.isFinite && stepDuration >= 1 && stepDuration <= 3600, "--step-duration", "a duration of 1s ... 1h")
        try need(stepWarmup.isFinite && stepWarmup >= 0 && stepWarmup <= 3600, "--step-warmup", "a duration of 0 ... 1h")
        try need(precision.isFinite && precision >= 0.001 && precision <= 0.5, "--precision", "a share of 0.1% ... 50%, e.g. 5%")
        try need((1...20).contains(confirm), "--confirm", "an integer 1 ... 20")
    }
}

/// What one step found.
public enum StepVerdict: String, Codable, Sendable, Hashable {
    /// Every SLO held on the step's own window, and at least 99 % of the intended arrivals were
    /// served within it.
    case pass
    /// The target did not hold: an SLO breached, errors over the budget, or the rate not achieved.
    case fail
    /// The driver itself could not deliver the rate: says nothing of the target.
    case generatorBound = "generator_bound"
    /// The target broke refresh-token semantics.
    case invariantViolation = "invariant_violation"
}

/// One step of the search.
public struct CapacityStep: Codable, Sendable {
    /// 1, 2, … in the order run.
    public var index: Int
    /// `double`, `bisect` or `confirm`.
    public var stage: String
    /// Arrivals per second offered.
    public var intendedRate: Double
    /// Arrivals per second served within the step's window.
    public var achievedRate: Double
    public var verdict: StepVerdict
    /// Why it failed or could not judge; empty for a pass.
    public var reasons: [String]
    /// The step's whole result (its window only).
    public var result: RunResult

    enum CodingKeys: String, CodingKey {
        case index, stage, verdict, reasons, result
        case intendedRate = "intended_rate"
        case achievedRate = "achieved_rate"
    }
}

/// The search's answer.
public struct CapacityAnswer: Codable, Sendable, Hashable {
    /// `found`, `none` (not even the start rate), `at_least` (passing at `--max-rate`),
    /// `inconclusive` (generator-bound or unjudgeable) or `invariant_violation`.
    public var outcome: String
    /// The capacity (found), the highest pass (at least, inconclusive), arrivals per second.
    public var rate: Double?
    /// Completed operations per second at the answer, all together and per operation.
    public var throughputPerS: Double?
    public var operationsPerS: [String: Double]?
    /// Confirmation steps that passed, of those run at the answer.
    public var confirmed: Int
    public var confirmations: Int
    /// How many times a failed confirmation moved the answer down.
    public var stepDowns: Int
    /// The answer line, e.g. `capacity: 4,800 ops/s (refresh 2,100/s) at refresh.p99<20ms, confirmed 3/3`.
    public var line: String
    /// Why the search ended without a capacity.
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case outcome, rate, confirmed, confirmations, line, reason
        case throughputPerS = "throughput_per_s"
        case operationsPerS = "operations_per_s"
        case stepDowns = "step_downs"
    }

    /// The exit code: 0 found, 1 invariant violation, 2 none, 3 inconclusive or at least.
    public var exitCode: Int32 {
        switch outcome {
        case "found": 0
        case "invariant_violation": 1
        case "none": 2
        default: 3
        }
    }
}

/// `capacity.json`, schema `tokenbench.capacity/v1`.
public struct CapacityResult: Codable, Sendable {
    public static let schemaID = "tokenbench.capacity/v1"
    public var schema = CapacityResult.schemaID
    public var scenario: String?
    /// The settings every step shares (its `rate`, `duration` and `warmup` are each step's own).
    public var config: LoadConfiguration
    public var environment: RunEnvironment
    public var slo: [String]
    public var search: CapacitySettings
    /// Whether the driver's scheduling lag can tell a generator-bound step: `false` in-process,
    /// where the core runs on the driver's own threads (the capacity found is the process's).
    public var judgesDriverLag: Bool
    public var steps: [CapacityStep]
    public var answer: CapacityAnswer

    public init(scenario: String?, config: LoadConfiguration, environment: RunEnvironment, slo: [String],
                search: CapacitySettings, judgesDriverLag: Bool, steps: [CapacityStep], answer: CapacityAnswer) {
        self.scenario = scenario
        self.config = config
        self.environment = environment
        self.slo = slo
        self.search = search
        self.judgesDriverLag = judgesDriverLag
        self.steps = steps
        self.answer = answer
    }

    enum CodingKeys: String, CodingKey {
        case schema, scenario, config, environment, slo, search, steps, answer
        case judgesDriverLag = "judges_driver_lag"
    }

    /// Pretty, key-sorted JSON.
    public func jsonData() throws -> Data { try prettyJSON(self) }
}

/// Finds the highest arrival rate (open model) at which every SLO holds: double from the start
/// rate until a step fails, bisect between the last pass and the first failure down to the
/// precision, then confirm at the answer (a failed confirmation steps down by the precision and
/// confirms again). Every step is its own run, judged on its own window only, never
/// cumulatively. A step the driver could not deliver (its scheduling lag over `--max-lag`, for
/// targets whose answers the driver waits for) ends the search as inconclusive: it is never
/// reported as the target's capacity.
public struct CapacitySearch: Sendable {
    public let configuration: LoadConfiguration
    public let settings: CapacitySettings
    public let slos: [SLO]
    /// See ``CapacityResult/judgesDriverLag``.
    public let judgesDriverLag: Bool
    /// At most this many steps in all.
    public var maximumSteps = 60
    /// At most this many step-downs after failed confirmations (each half the precision) before
    /// the search gives up as inconclusive: the answer does not repeat.
    public var maximumStepDowns = 4

    public init(configuration: LoadConfiguration, settings: CapacitySettings, slos: [SLO], judgesDriverLag: Bool) {
        self.configuration = configuration
        self.settings = settings
        self.slos = slos
        self.judgesDriverLag = judgesDriverLag
    }

    /// The settings of the step at `rate`: open model, the step's window and warm-up.
    public func stepConfiguration(rate: Double) -> LoadConfiguration {
        var c = configuration
        c.model = .open
        c.rate = rate
        c.stages = nil
        c.duration = settings.stepDuration
        c.warmup = settings.stepWarmup
        return c
    }

    /// Runs the search.
    /// - Parameters:
    ///   - step: runs one step with the given settings and returns its result.
    ///   - progress: called after each step.
    public func run(
        step: (LoadConfiguration) async throws -> RunResult,
        progress: (CapacityStep) -> Void = { _ in }
    ) async rethrows -> (steps: [CapacityStep], answer: CapacityAnswer) {
        var steps: [CapacityStep] = []
        func measure(_ rate: Double, _ stage: String) async throws -> CapacityStep {
            let result = try await step(stepConfiguration(rate: rate))
            let (verdict, reasons) = judge(result, intended: rate)
            let s = CapacityStep(index: steps.count + 1, stage: stage, intendedRate: rate,
                                 achievedRate: result.achievedRatePerS ?? 0, verdict: verdict, reasons: reasons, result: result)
            steps.append(s)
            progress(s)
            return s
        }
        func end(_ outcome: String, rate: Double?, reason: String?, confirmed: Int = 0, confirmations: Int = 0,
                 stepDowns: Int = 0) -> (steps: [CapacityStep], answer: CapacityAnswer) {
            (steps, answer(outcome, rate: rate, reason: reason, steps: steps, confirmed: confirmed,
                           confirmations: confirmations, stepDowns: stepDowns))
        }

        var lastPass: Double?
        var firstFail: Double?
        var rate = settings.startRate
        // Doubling.
        while firstFail == nil {
            let s = try await measure(rate, "double")
            switch s.verdict {
            case .pass:
                lastPass = rate
                if rate >= settings.maxRate { return end("at_least", rate: rate, reason: "still passing at --max-rate \(Self.rate(settings.maxRate))") }
                rate = min(rate * 2, settings.maxRate)
            case .fail:
                firstFail = rate
            case .generatorBound:
                return end("inconclusive", rate: lastPass, reason: s.reasons.first)
            case .invariantViolation:
                return end("invariant_violation", rate: nil, reason: s.reasons.first)
            }
            if steps.count >= maximumSteps { return end("inconclusive", rate: lastPass, reason: "the search took \(maximumSteps) steps") }
        }
        guard var pass = lastPass, var fail = firstFail else {
            let why = steps.last?.reasons.first.map { ": \($0)" } ?? ""
            return end("none", rate: nil, reason: "not even the start rate \(Self.rate(settings.startRate)) passes\(why)")
        }
        var stepDowns = 0
        var firstAnswer: Double?
        while true {
            // Bisection (not after a step down: the answer is then one precision below the last).
            while stepDowns == 0, fail - pass > settings.precision * pass {
                let mid = Self.round((pass + fail) / 2)
                if mid <= pass || mid >= fail { break }
                let s = try await measure(mid, "bisect")
                switch s.verdict {
                case .pass: pass = mid
                case .fail: fail = mid
                case .generatorBound: return end("inconclusive", rate: pass, reason: s.reasons.first, stepDowns: stepDowns)
                case .invariantViolation: return end("invariant_violation", rate: nil, reason: s.reasons.first)
                }
                if steps.count >= maximumSteps { return end("inconclusive", rate: pass, reason: "the search took \(maximumSteps) steps") }
            }
            // Confirmation: every step at the answer must pass.
            if firstAnswer == nil { firstAnswer = pass }
            var confirmed = 0
            var failedAt: CapacityStep?
            for _ in 0..<settings.confirm {
                let s = try await measure(pass, "confirm")
                switch s.verdict {
                case .pass: confirmed += 1
                case .fail: failedAt = s
                case .generatorBound:
                    return end("inconclusive", rate: pass, reason: s.reasons.first, confirmed: confirmed,
                               confirmations: confirmed + 1, stepDowns: stepDowns)
                case .invariantViolation: return end("invariant_violation", rate: nil, reason: s.reasons.first)
                }
                if failedAt != nil { break }
            }
            if failedAt == nil {
                return end("found", rate: pass, reason: nil, confirmed: confirmed, confirmations: settings.confirm, stepDowns: stepDowns)
            }
            // A failed confirmation: the answer did not repeat. Step down by half the precision
            // (the truth lies below, within the precision of the answer) and confirm again.
            if stepDowns == maximumStepDowns {
                // The target's capacity moves more than the precision from step to step.
                return end("inconclusive", rate: nil,
                           reason: "the answer did not repeat: \(stepDowns) confirmations failed stepping down from \(Self.rate(firstAnswer ?? pass)) to \(Self.rate(pass)); the target's capacity varies more than --precision between steps (lengthen --step-duration, widen --precision)",
                           stepDowns: stepDowns)
            }
            stepDowns += 1
            fail = pass
            pass = Self.round(pass * (1 - settings.precision / 2))
            if pass < settings.startRate {
                return end("none", rate: nil, reason: "the answer did not repeat down to the start rate \(Self.rate(settings.startRate))",
                           stepDowns: stepDowns)
            }
            if steps.count >= maximumSteps { return end("inconclusive", rate: pass, reason: "the search took \(maximumSteps) steps") }
        }
    }

    /// Judges one step on its own window.
    public func judge(_ r: RunResult, intended: Double) -> (StepVerdict, [String]) {
        if r.invariants.violations > 0 {
            let kinds = r.invariants.byKind.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", ")
            return (.invariantViolation, ["\(r.invariants.violations) invariant violations (\(kinds))"])
        }
        var reasons: [String] = []
        let saturated = zip(r.inconclusiveKinds, r.inconclusive ?? []).filter { $0.0 == .driverSaturated }.map(\.1)
        if judgesDriverLag, let why = saturated.first {
            return (.generatorBound, ["generator-bound at \(Self.rate(intended)): \(why)"])
        }
        for s in r.slo where !s.passed {
            if s.note == "no samples" {
                let op = s.slo.split(separator: ".").first.map(String.init) ?? s.slo
                reasons.append("\(s.slo): no samples (no \(op) happened in the step's window: lengthen --step-duration or --step-warmup, or shorten the access tokens)")
            } else {
                reasons.append("\(s.slo) breached (observed \(Self.observed(s)))")
            }
        }
        for (kind, text) in zip(r.inconclusiveKinds, r.inconclusive ?? []) where kind == .errorBudget {
            reasons.append(text)
        }
        // In-process, the core runs on the driver's threads: a late start is the process's own
        // saturation, which is what its capacity measures.
        if !judgesDriverLag, let why = saturated.first { reasons.append(why.replacingOccurrences(of: "the driver was saturated", with: "the process was saturated")) }
        // At least 99 % of the arrivals due in the window were served in it (one arrival of
        // slack: a window holds its arrivals give or take one at its edges).
        let achieved = r.achievedRatePerS ?? 0
        if achieved * r.measuredSeconds < 0.99 * intended * r.measuredSeconds - 1 {
            reasons.append("achieved \(Self.rate(achieved)) of the intended \(Self.rate(intended)) (under 99 %)")
        }
        // A failure the driver's own lateness could explain is not the target's: its lag adds
        // to every latency (measured from the intended start), so a lag p99 of a quarter of
        // the tightest latency objective or more leaves the failure unattributable.
        if judgesDriverLag, !reasons.isEmpty, let budget = slos.filter({ $0.metric.isLatency }).map(\.threshold).min(),
           r.schedulingLagUs.p99 >= budget / 4 {
            return (.generatorBound, ["generator-bound at \(Self.rate(intended)): the driver's own scheduling lag p99 was \(ConsoleReport.fmt(r.schedulingLagUs.p99 / 1000)) ms, "
                + "a quarter or more of the \(ConsoleReport.fmt(budget / 1000)) ms objective, so the failure (\(reasons.joined(separator: "; "))) cannot be pinned on the target; "
                + "use more cores or machines for the driver"])
        }
        return (reasons.isEmpty ? .pass : .fail, reasons)
    }

    func answer(_ outcome: String, rate: Double?, reason: String?, steps: [CapacityStep], confirmed: Int,
                confirmations: Int, stepDowns: Int) -> CapacityAnswer {
        let sloText = slos.map(\.text).joined(separator: ", ")
        // The figures at the answer: its last passing step.
        let at = rate.flatMap { r in steps.last { $0.intendedRate == r && $0.verdict == .pass } }
        var throughput: Double?
        var perOperation: [String: Double]?
        var detail = ""
        if let at {
            let total = at.result.operations.values.reduce(0) { $0 + $1.count }
            throughput = (Double(total) / at.result.measuredSeconds).rounded(toPlaces: 1)
            perOperation = at.result.operations.filter { $0.value.count > 0 }.mapValues(\.throughputPerS)
            let sloOperations = Array(Set(slos.map(\.operation))).sorted()
            let parts = sloOperations.compactMap { op in at.result.operations[op].map { "\(op) \(Self.number($0.throughputPerS))/s" } }
            detail = " (" + (["\(Self.number(throughput ?? 0)) ops/s completed"] + parts).joined(separator: "; ") + ")"
        }
        let line: String
        switch outcome {
        case "found":
            let down = stepDowns > 0 ? " after \(stepDowns) step\(stepDowns == 1 ? "" : "s") down" : ""
            line = "capacity: \(Self.rate(rate ?? 0))\(detail) at \(sloText), confirmed \(confirmed)/\(confirmations)\(down)"
        case "at_least":
            line = "capacity: at least \(Self.rate(rate ?? 0))\(detail) at \(sloText): still passing at --max-rate"
        case "none":
            line = "capacity: none at \(sloText): \(reason ?? "no step passed")"
        case "invariant_violation":
            line = "capacity: none: the target broke refresh-token semantics: \(reason ?? "")"
        default:
            let reached = rate.map { "; the target passed at least \(Self.rate($0))" } ?? ""
            line = "capacity: inconclusive: \(reason ?? "")\(reached)"
        }
        return CapacityAnswer(outcome: outcome, rate: rate, throughputPerS: throughput, operationsPerS: perOperation,
                              confirmed: confirmed, confirmations: confirmations, stepDowns: stepDowns, line: line, reason: reason)
    }

    /// Rates as the search steps them: whole numbers at 100/s and above, else 0.1/s.
    static func round(_ rate: Double) -> Double {
        rate >= 100 ? rate.rounded() : (rate * 10).rounded() / 10
    }

    /// `4,800 ops/s`.
    public static func rate(_ r: Double) -> String { "\(number(r)) ops/s" }

    /// `4,800`, `12.5`.
    public static func number(_ v: Double) -> String {
        if v >= 1000 || v == v.rounded() {
            let formatter = NumberFormatter()
            formatter.numberStyle = .decimal
            formatter.maximumFractionDigits = 0
            formatter.locale = Locale(identifier: "en_US")
            return formatter.string(from: NSNumber(value: v.rounded())) ?? String(Int(v))
        }
        return ConsoleReport.fmt(v)
    }

    static func observed(_ s: SLOResult) -> String {
        guard let v = s.observed else { return "n/a" }
        if s.slo.contains("error_rate") { return "\(ConsoleReport.fmt(v * 100)) %" }
        if s.slo.contains("throughput") { return "\(ConsoleReport.fmt(v))/s" }
        return v >= 1000 ? "\(ConsoleReport.fmt(v / 1000)) ms" : "\(ConsoleReport.fmt(v)) µs"
    }
}
