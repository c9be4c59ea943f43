import Foundation

/// `faults` of `result.json`: per fault window, what the run saw during it and how fast it
/// recovered; and the audit of the families after the run, against the shadow model.
public struct FaultReport: Codable, Sendable, Hashable {
    public var windows: [FaultWindowReport]
    /// Store calls the fault-injecting store wrapper delayed or failed (injected faults).
    public var injections: Int?
    /// The families the shadow model holds alive at the end, each refreshed once.
    public var audit: FamilyAudit?

    package init(windows: [FaultWindowReport], injections: Int? = nil, audit: FamilyAudit? = nil) {
        self.windows = windows
        self.injections = injections
        self.audit = audit
    }
}

/// One `--fault` window (1-second resolution: the timeline's).
public struct FaultWindowReport: Codable, Sendable, Hashable {
    /// The fault as given, e.g. `store-outage@10s..15s`.
    public var fault: String
    public var fromS: Double
    public var untilS: Double
    /// Operations completed, and of those errors, in the seconds the window touches.
    public var operations: Int
    public var errors: Int
    /// Invariant violations from the window's start until recovery (or the end): a false
    /// "valid" answer during a fault. Must be 0.
    public var falseValid: Int
    /// The highest per-second p99 of the baseline seconds, µs: up to 10 seconds before the
    /// window that no fault window touches and that had no errors; `nil` when there are none
    /// (a window from 0).
    public var preFaultP99Us: Double?
    /// How many baseline seconds ``preFaultP99Us`` and ``recoveryLimitUs`` come from.
    public var baselineSeconds: Int?
    /// The per-second p99 a second after the window must be under to count as recovered, µs:
    /// the upper natural process limit of the baseline seconds' p99s, mean + 2.66 × their mean
    /// moving range (Wheeler's XmR individuals chart: what one second's noise can reach), and
    /// never under 110 % of ``preFaultP99Us``; with one baseline second, 110 % of it.
    public var recoveryLimitUs: Double?
    /// Seconds after the window's end until the first second without errors whose p99 is
    /// under ``recoveryLimitUs``; 0 = the first second after the window was clean. `nil`: not
    /// recovered by the end of the run.
    public var recoveryS: Double?

    enum CodingKeys: String, CodingKey {
        case fault, operations, errors
        case fromS = "from_s"
        case untilS = "until_s"
        case falseValid = "false_valid"
        case preFaultP99Us = "pre_fault_p99_us"
        case baselineSeconds = "baseline_s"
        case recoveryLimitUs = "recovery_limit_us"
        case recoveryS = "recovery_s"
    }

    /// The report of a fault window over a run's timeline.
    /// - Parameters:
    ///   - fault: the fault as given, e.g. `store-outage@10s..15s`.
    ///   - from, until: the window, seconds of measurement.
    ///   - others: the run's other fault windows (from, until), s: their seconds are no baseline.
    public init(fault description: String, from: Double, until: Double, others: [(from: Double, until: Double)] = [], timeline: [TimelineEntry]) {
        self.fault = description
        fromS = from
        untilS = until
        // Entry k covers (k − 1, k] seconds of measurement.
        func touches(_ e: TimelineEntry, _ w: (from: Double, until: Double)) -> Bool { Double(e.second) > w.from && Double(e.second - 1) < w.until }
        let inside = timeline.filter { touches($0, (from, until)) }
        operations = inside.reduce(0) { $0 + $1.operations.values.reduce(0, +) }
        errors = inside.reduce(0) { $0 + $1.errors }
        // The baseline: seconds before the window, none touched by a fault and none with errors
        // (an operation scheduled just before a window that ran into it counts in the second it
        // was due: the driver records by intended time).
        let baseline = timeline.filter { e in
            Double(e.second) <= from && e.errors == 0 && e.operations.values.reduce(0, +) > 0 && !others.contains { touches(e, $0) }
        }.suffix(10).map(\.p99Us)
        let level = baseline.max()
        preFaultP99Us = level
        baselineSeconds = baseline.count
        let limit = level.map { max($0 * 1.1, Self.upperNaturalProcessLimit(baseline) ?? 0) }
        recoveryLimitUs = limit
        let after = timeline.filter { Double($0.second - 1) >= until }
        func clean(_ e: TimelineEntry) -> Bool {
            e.errors == 0 && e.operations.values.reduce(0, +) > 0 && (limit.map { e.p99Us <= $0 } ?? true)
        }
        let recovered = after.first(where: clean)
        recoveryS = recovered.map { max(0, Double($0.second - 1) - until) }
        let last = recovered?.second ?? Int.max
        falseValid = timeline.filter { Double($0.second) > from && $0.second <= last }.reduce(0) { $0 + ($1.violations ?? 0) }
    }

    /// Mean + 2.66 × mean moving range of `values` (the XmR chart's upper natural process
    /// limit; 2.66 = 3 / d₂ with d₂ = 1.128 for ranges of two); `nil` with fewer than two values.
    static func upperNaturalProcessLimit(_ values: [Double]) -> Double? {
        guard values.count >= 2 else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        let ranges = zip(values.dropFirst(), values).map { abs($0 - $1) }
        return mean + 2.66 * ranges.reduce(0, +) / Double(ranges.count)
    }
}

/// After a fault run, every family the shadow model holds surely alive (its user in a
/// session, the family within its lifetime) is refreshed once, and the new access token used
/// once: a refusal is a family **lost**, an answer whose successor the family had spent or
/// whose access token is refused a family **corrupted**.
public struct FamilyAudit: Codable, Sendable, Hashable {
    public var checked: Int
    public var intact: Int
    public var lost: Int
    public var corrupted: Int
    /// Families the audit could not judge: not surely alive, or the answer was an error
    /// (rate limit, no answer).
    public var notJudged: Int

    public init(checked: Int = 0, intact: Int = 0, lost: Int = 0, corrupted: Int = 0, notJudged: Int = 0) {
        self.checked = checked
        self.intact = intact
        self.lost = lost
        self.corrupted = corrupted
        self.notJudged = notJudged
    }

    package mutating func add(_ o: FamilyAudit) {
        checked += o.checked
        intact += o.intact
        lost += o.lost
        corrupted += o.corrupted
        notJudged += o.notJudged
    }

    enum CodingKeys: String, CodingKey {
        case checked, intact, lost, corrupted
        case notJudged = "not_judged"
    }
}
