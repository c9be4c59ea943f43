import Foundation

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
