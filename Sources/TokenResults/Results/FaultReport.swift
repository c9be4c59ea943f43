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
    /// The highest per-second p99 of the (up to 10) seconds before the window, µs; `nil`
    /// when the window starts at 0.
    public var preFaultP99Us: Double?
    /// Seconds after the window's end until the first second without errors whose p99 is
    /// back under ``preFaultP99Us`` (with 10 % for the seconds' noise); 0 = the first second
    /// after the window was clean. `nil`: not recovered by the end of the run.
    public var recoveryS: Double?

    enum CodingKeys: String, CodingKey {
        case fault, operations, errors
        case fromS = "from_s"
        case untilS = "until_s"
        case falseValid = "false_valid"
        case preFaultP99Us = "pre_fault_p99_us"
        case recoveryS = "recovery_s"
    }

    /// The report of a fault window over a run's timeline.
    /// - Parameters:
    ///   - fault: the fault as given, e.g. `store-outage@10s..15s`.
    ///   - from, until: the window, seconds of measurement.
    public init(fault description: String, from: Double, until: Double, timeline: [TimelineEntry]) {
        struct Window { var from: Double; var until: Double }
        let fault = Window(from: from, until: until)
        self.fault = description
        fromS = from
        untilS = until
        // Entry k covers (k − 1, k] seconds of measurement.
        func touches(_ e: TimelineEntry) -> Bool { Double(e.second) > fault.from && Double(e.second - 1) < fault.until }
        let inside = timeline.filter(touches)
        operations = inside.reduce(0) { $0 + $1.operations.values.reduce(0, +) }
        errors = inside.reduce(0) { $0 + $1.errors }
        let before = timeline.filter { Double($0.second) <= fault.from }.suffix(10)
        let level = before.isEmpty ? nil : before.map(\.p99Us).max()
        preFaultP99Us = level
        let after = timeline.filter { Double($0.second - 1) >= fault.until }
        func clean(_ e: TimelineEntry) -> Bool {
            e.errors == 0 && e.operations.values.reduce(0, +) > 0 && (level.map { e.p99Us <= $0 * 1.1 } ?? true)
        }
        let recovered = after.first(where: clean)
        recoveryS = recovered.map { max(0, Double($0.second - 1) - fault.until) }
        let last = recovered?.second ?? Int.max
        falseValid = timeline.filter { Double($0.second) > fault.from && $0.second <= last }.reduce(0) { $0 + ($1.violations ?? 0) }
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
