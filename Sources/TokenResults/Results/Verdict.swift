/// What a run, a merge, a comparison or a capacity search concludes, and the exit code that
/// says so (`docs/verdicts.md`). `result.json` writes the raw value.
///
/// | verdict | exit |
/// |---|---|
/// | ``pass`` | 0 |
/// | ``invariantViolation`` | 1 |
/// | ``sloBreach`` (an SLO failed, or `compare` found a regression) | 2 |
/// | ``inconclusive`` | 3 |
/// | ``badInput`` | 64 (`EX_USAGE`) |
/// | ``unreachable`` | 69 (`EX_UNAVAILABLE`) |
public enum Verdict: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every SLO held, no invariant was violated, and the run exercised what it claims.
    case pass
    /// The target broke refresh-token semantics (the shadow model).
    case invariantViolation = "invariant_violation"
    /// An SLO failed (one over an operation with no samples fails), or `compare` found a
    /// regression.
    case sloBreach = "slo_breach"
    /// The run could not judge its target: an operation never happened, an error budget was
    /// exceeded, or the driver itself was saturated.
    case inconclusive
    /// A target, store or endpoint is missing or refused at start.
    case unreachable
    /// Flags, values or files the tool cannot accept.
    case badInput = "bad_input"

    /// The process's exit code for this verdict.
    public var exitCode: Int32 {
        switch self {
        case .pass: 0
        case .invariantViolation: 1
        case .sloBreach: 2
        case .inconclusive: 3
        case .badInput: 64
        case .unreachable: 69
        }
    }

    /// Which verdict wins when several runs end differently, the first of: bad input,
    /// unreachable, invariant violation, inconclusive, SLO breach, pass. A violation is a
    /// finding whatever else happened; an inconclusive run shows neither a breach nor its absence.
    public static func combined(_ verdicts: some Sequence<Verdict>) -> Verdict {
        let order: [Verdict] = [.badInput, .unreachable, .invariantViolation, .inconclusive, .sloBreach, .pass]
        let all = Set(verdicts)
        return order.first(where: all.contains) ?? .pass
    }

    /// The verdict of a finished run from what it found: a violation first, then an
    /// inconclusive run, then a breached SLO.
    public static func judging(violations: Int, inconclusive: Bool, slo: [SLOResult]) -> Verdict {
        if violations > 0 { return .invariantViolation }
        if inconclusive { return .inconclusive }
        if slo.contains(where: { !$0.passed }) { return .sloBreach }
        return .pass
    }
}

extension RunResult {
    /// The verdict this result's findings give (``Verdict/judging(violations:inconclusive:slo:)``).
    public var judgedVerdict: Verdict {
        Verdict.judging(violations: invariants.violations, inconclusive: !(inconclusive ?? []).isEmpty, slo: slo)
    }
}
