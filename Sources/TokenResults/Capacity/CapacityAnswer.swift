import Foundation

/// The search's answer.
public struct CapacityAnswer: Codable, Sendable, Hashable {
    /// How the search ended (written as `found`, `none`, `at_least`, `inconclusive` or
    /// `invariant_violation`).
    public var outcome: CapacityOutcome
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
    /// CPU per operation at the answer's step, for sizing; `nil` without an answer.
    public var sizing: CapacitySizing?

    package init(outcome: CapacityOutcome, rate: Double? = nil, throughputPerS: Double? = nil, operationsPerS: [String: Double]? = nil, confirmed: Int, confirmations: Int, stepDowns: Int, line: String, reason: String? = nil) {
        self.outcome = outcome
        self.rate = rate
        self.throughputPerS = throughputPerS
        self.operationsPerS = operationsPerS
        self.confirmed = confirmed
        self.confirmations = confirmations
        self.stepDowns = stepDowns
        self.line = line
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case outcome, rate, confirmed, confirmations, line, reason, sizing
        case throughputPerS = "throughput_per_s"
        case operationsPerS = "operations_per_s"
        case stepDowns = "step_downs"
    }

    /// The verdict of the search (``CapacityOutcome/verdict``), whose exit code the command returns.
    public var verdict: Verdict { outcome.verdict }
}

/// "1 vCPU per N refreshes/s": the answer step's rate of the sized operation over the CPU
/// seconds each process spent in its measured window (``CPUSummary``), with the rest of the
/// step's mix served alongside.
public struct CapacitySizing: Codable, Sendable, Hashable {
    /// The operation sized: the first objective's (`refresh` for `refresh.p99<20ms`).
    public var operation: String
    /// Its rate at the answer, per second.
    public var operationsPerS: Double
    /// Of that operation, per second per fully used vCPU: of the server (`--target-pid` or
    /// `--target-metrics`), of the store (`--store-pid`), of TokenBench's process (in-process:
    /// the driver and the core together).
    public var perTargetVCPU: Double?
    public var perStoreVCPU: Double?
    public var perTokenBenchVCPU: Double?
    /// The sizing line, e.g. `sizing at refresh.p99<20ms: 1 vCPU of the server per 7,900 refresh/s (…)`.
    public var line: String

    /// The sizing of `operation` at a step; `nil` when the step has no CPU figures or none of
    /// the operation.
    /// - Parameters:
    ///   - slo: the objectives' text, for the line.
    package init?(operation: String, step r: RunResult, slo: String) {
        guard let cpu = r.cpu, let o = r.operations[operation], o.count > 0, r.measuredSeconds > 0 else { return nil }
        self.operation = operation
        operationsPerS = o.throughputPerS
        func per(_ p: CPUSummary.Process?) -> Double? {
            guard let p, p.cpuSeconds > 0 else { return nil }
            return (Double(o.count) / p.cpuSeconds).rounded()
        }
        perTargetVCPU = per(cpu.target)
        perStoreVCPU = per(cpu.store)
        perTokenBenchVCPU = per(cpu.tokenbench)
        let unit = "\(operation)/s"
        // The rest of the mix, per the same vCPU: "with 8,990 access/s".
        func alongside(_ p: CPUSummary.Process?) -> String {
            guard let p, p.cpuSeconds > 0 else { return "" }
            let others = r.operations.filter { $0.key != operation && $0.value.count > 0 }.sorted { $0.key < $1.key }
            guard !others.isEmpty else { return "" }
            return " with " + others.map { "\(Units.grouped((Double($0.value.count) / p.cpuSeconds).rounded())) \($0.key)/s" }.joined(separator: " and ")
        }
        var parts: [String] = []
        if let t = perTargetVCPU { parts.append("1 vCPU of the server per \(Units.grouped(t)) \(unit)" + alongside(cpu.target)) }
        if let s = perStoreVCPU { parts.append("of the store per \(Units.grouped(s)) \(unit)") }
        if r.environment.target == "in-process", let own = perTokenBenchVCPU {
            parts.append("1 vCPU of the in-process core with its driver per \(Units.grouped(own)) \(unit)" + alongside(cpu.tokenbench))
        }
        guard !parts.isEmpty else { return nil }
        line = "sizing at \(slo): " + parts.joined(separator: ", ")
            + " (the step's mix; CPU time over its measured window, at \(Units.grouped(operationsPerS)) \(unit))"
    }

    enum CodingKeys: String, CodingKey {
        case operation, line
        case operationsPerS = "operations_per_s"
        case perTargetVCPU = "per_target_vcpu"
        case perStoreVCPU = "per_store_vcpu"
        case perTokenBenchVCPU = "per_tokenbench_vcpu"
    }
}
