import Foundation
import TokenAuth
import TokenResults

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

    /// The settings of the step at `rate`: open model, the step's window and warm-up; `rate`
    /// is the arrival rate, or with `--for refresh` the refresh rate (the other streams held).
    public func stepConfiguration(rate: Double) -> LoadConfiguration {
        var c = configuration
        c.model = .open
        if settings.operation == "refresh" {
            c.refreshRate = rate
        } else {
            c.rate = rate
        }
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
        func end(_ outcome: CapacityOutcome, rate: Double?, reason: String?, confirmed: Int = 0, confirmations: Int = 0,
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
                if rate >= settings.maxRate { return end(.atLeast, rate: rate, reason: "still passing at --max-rate \(settings.rateText(settings.maxRate))") }
                rate = min(rate * 2, settings.maxRate)
            case .fail:
                firstFail = rate
            case .generatorBound:
                return end(.inconclusive, rate: lastPass, reason: s.reasons.first)
            case .invariantViolation:
                return end(.invariantViolation, rate: nil, reason: s.reasons.first)
            }
            if steps.count >= maximumSteps { return end(.inconclusive, rate: lastPass, reason: "the search took \(maximumSteps) steps") }
        }
        guard var pass = lastPass, var fail = firstFail else {
            let why = steps.last?.reasons.first.map { ": \($0)" } ?? ""
            return end(.none, rate: nil, reason: "not even the start rate \(settings.rateText(settings.startRate)) passes\(why)")
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
                case .generatorBound: return end(.inconclusive, rate: pass, reason: s.reasons.first, stepDowns: stepDowns)
                case .invariantViolation: return end(.invariantViolation, rate: nil, reason: s.reasons.first)
                }
                if steps.count >= maximumSteps { return end(.inconclusive, rate: pass, reason: "the search took \(maximumSteps) steps") }
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
                    return end(.inconclusive, rate: pass, reason: s.reasons.first, confirmed: confirmed,
                               confirmations: confirmed + 1, stepDowns: stepDowns)
                case .invariantViolation: return end(.invariantViolation, rate: nil, reason: s.reasons.first)
                }
                if failedAt != nil { break }
            }
            if failedAt == nil {
                return end(.found, rate: pass, reason: nil, confirmed: confirmed, confirmations: settings.confirm, stepDowns: stepDowns)
            }
            // A failed confirmation: the answer did not repeat. Step down by half the precision
            // (the truth lies below, within the precision of the answer) and confirm again.
            if stepDowns == maximumStepDowns {
                // The target's capacity moves more than the precision from step to step.
                return end(.inconclusive, rate: nil,
                           reason: "the answer did not repeat: \(stepDowns) confirmations failed stepping down from \(settings.rateText(firstAnswer ?? pass)) to \(settings.rateText(pass)); the target's capacity varies more than --precision between steps (lengthen --step-duration, widen --precision)",
                           stepDowns: stepDowns)
            }
            stepDowns += 1
            fail = pass
            pass = Self.round(pass * (1 - settings.precision / 2))
            if pass < settings.startRate {
                return end(.none, rate: nil, reason: "the answer did not repeat down to the start rate \(settings.rateText(settings.startRate))",
                           stepDowns: stepDowns)
            }
            if steps.count >= maximumSteps { return end(.inconclusive, rate: pass, reason: "the search took \(maximumSteps) steps") }
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
            return (.generatorBound, ["generator-bound at \(settings.rateText(intended)): \(why)" + Self.oneMachineAdvice(configuration)])
        }
        for s in r.slo where !s.passed {
            if s.note == "no samples" {
                let op = s.slo.split(separator: ".").first.map(String.init) ?? s.slo
                reasons.append("\(s.slo): no samples (no \(op) happened in the step's window: lengthen --step-duration or --step-warmup, or shorten the access tokens)")
            } else {
                reasons.append("\(s.slo) breached (observed \(s.observedText))")
            }
        }
        for (kind, text) in zip(r.inconclusiveKinds, r.inconclusive ?? []) where kind == .errorBudget {
            reasons.append(text)
        }
        // In-process, the core runs on the driver's threads: a late start is the process's own
        // saturation, which is what its capacity measures.
        if !judgesDriverLag, let why = saturated.first { reasons.append(why.replacingOccurrences(of: "the driver was saturated", with: "the process was saturated")) }
        // At least 99 % of the arrivals due in the window were served in it (one arrival of
        // slack: a window holds its arrivals give or take one at its edges), every stream's
        // arrivals together.
        let achieved = r.achievedRatePerS ?? 0
        let arrivals = stepConfiguration(rate: intended).intendedArrivalRate ?? intended
        if achieved * r.measuredSeconds < 0.99 * arrivals * r.measuredSeconds - 1 {
            reasons.append("achieved \(Units.opsRate(achieved)) of the intended \(Units.opsRate(arrivals)) (under 99 %)")
        }
        // A failure the driver's own lateness could explain is not the target's: its lag adds
        // to every latency (measured from the intended start), so a lag p99 of a quarter of
        // the tightest latency objective or more leaves the failure unattributable.
        if judgesDriverLag, !reasons.isEmpty, let budget = slos.filter({ $0.metric.isLatency }).map(\.threshold).min(),
           r.schedulingLagUs.p99 >= budget / 4 {
            return (.generatorBound, ["generator-bound at \(settings.rateText(intended)): the driver's own scheduling lag p99 was \(Units.figure(r.schedulingLagUs.p99 / 1000)) ms, "
                + "a quarter or more of the \(Units.figure(budget / 1000)) ms objective, so the failure (\(reasons.joined(separator: "; "))) cannot be pinned on the target; "
                + "use more cores or machines for the driver" + Self.oneMachineAdvice(configuration)])
        }
        return (reasons.isEmpty ? .pass : .fail, reasons)
    }

    package func answer(_ outcome: CapacityOutcome, rate: Double?, reason: String?, steps: [CapacityStep], confirmed: Int,
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
            let parts = sloOperations.compactMap { op in at.result.operations[op].map { "\(op) \(Units.grouped($0.throughputPerS))/s" } }
            detail = " (" + (["\(Units.grouped(throughput ?? 0)) ops/s completed"] + parts).joined(separator: "; ") + ")"
        }
        let line: String
        switch outcome {
        case .found:
            let down = stepDowns > 0 ? " after \(stepDowns) step\(stepDowns == 1 ? "" : "s") down" : ""
            line = "capacity: \(settings.rateText(rate ?? 0))\(detail) at \(sloText), confirmed \(confirmed)/\(confirmations)\(down)"
        case .atLeast:
            line = "capacity: at least \(settings.rateText(rate ?? 0))\(detail) at \(sloText): still passing at --max-rate"
        case .none:
            line = "capacity: none at \(sloText): \(reason ?? "no step passed")"
        case .invariantViolation:
            line = "capacity: none: the target broke refresh-token semantics: \(reason ?? "")"
        default:
            let reached = rate.map { "; the target passed at least \(settings.rateText($0))" } ?? ""
            line = "capacity: inconclusive: \(reason ?? "")\(reached)"
        }
        var answer = CapacityAnswer(outcome: outcome, rate: rate, throughputPerS: throughput, operationsPerS: perOperation,
                                    confirmed: confirmed, confirmations: confirmations, stepDowns: stepDowns, line: line, reason: reason)
        if let at, outcome == .found || outcome == .atLeast, let operation = slos.first?.operation {
            answer.sizing = CapacitySizing(operation: operation, step: at.result, slo: sloText)
        }
        return answer
    }

    /// On one machine, the way to an answer: the driver and the server each on cores of their
    /// own. Empty once they are (or for the driver-only targets).
    package static func oneMachineAdvice(_ c: LoadConfiguration) -> String {
        guard c.target.hasPrefix("http"), CPUAffinity.configured >= 2 else { return "" }
        let own = CPUAffinity.allowed("self") ?? ""
        guard own == "0-\(CPUAffinity.configured - 1)" else { return "" }
        return "; on one machine, give each side cores of its own: --driver-cpus \(CPUAffinity.configured - 1) --target-pid PID --target-cpus 0"
            + (CPUAffinity.configured > 2 ? "-\(CPUAffinity.configured - 2)" : "") + " (and --store-pid PID --store-cpus with the server's), or start each under taskset -c"
    }

    /// Rates as the search steps them: whole numbers at 100/s and above, else 0.1/s.
    package static func round(_ rate: Double) -> Double {
        rate >= 100 ? rate.rounded() : (rate * 10).rounded() / 10
    }

}
