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
        case outcome, rate, confirmed, confirmations, line, reason
        case throughputPerS = "throughput_per_s"
        case operationsPerS = "operations_per_s"
        case stepDowns = "step_downs"
    }

    /// The verdict of the search (``CapacityOutcome/verdict``), whose exit code the command returns.
    public var verdict: Verdict { outcome.verdict }
}
