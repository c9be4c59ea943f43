/// How a capacity search ended.
public enum CapacityOutcome: String, Codable, Sendable, Hashable {
    /// A rate passed and was confirmed.
    case found
    /// Not even the start rate passed.
    case none
    /// Still passing at `--max-rate`: the capacity is at least that.
    case atLeast = "at_least"
    /// Generator-bound or unjudgeable steps: no capacity can be named.
    case inconclusive
    /// The target broke refresh-token semantics.
    case invariantViolation = "invariant_violation"

    /// Its verdict: found passes (0), a violation is 1, none is an SLO breach (2), and at least
    /// or inconclusive are inconclusive (3): neither names the target's capacity.
    public var verdict: Verdict {
        switch self {
        case .found: .pass
        case .invariantViolation: .invariantViolation
        case .none: .sloBreach
        case .atLeast, .inconclusive: .inconclusive
        }
    }
}
