import Foundation

/// One scenario's comparison.
public struct ScenarioComparison: Codable, Sendable {
    public var scenario: String
    public var baselineRuns: Int
    public var currentRuns: Int
    public var rows: [ComparisonRow]
    /// Differences of settings between the sides, operations present on one side only,
    /// invariant violations.
    public var notes: [String]
    public var regressed: Bool
    /// A run of this scenario, on either side, was inconclusive.
    public var inconclusive: Bool
    /// `compare --slo`: each objective over the current runs' medians.
    public var slo: [SLOResult] = []
    /// Invariant violations counted by the current runs (a regression whatever their speed).
    public var invariantViolations = 0
    /// Operations or phases the baseline measured well that the current runs lost.
    public var vanished: [String] = []

    package init(scenario: String, baselineRuns: Int, currentRuns: Int, rows: [ComparisonRow], notes: [String], regressed: Bool, inconclusive: Bool, slo: [SLOResult] = [], vanished: [String] = []) {
        self.scenario = scenario
        self.baselineRuns = baselineRuns
        self.currentRuns = currentRuns
        self.rows = rows
        self.notes = notes
        self.regressed = regressed
        self.inconclusive = inconclusive
        self.slo = slo
        self.vanished = vanished
    }

    enum CodingKeys: String, CodingKey {
        case scenario, rows, notes, regressed, inconclusive, slo
        case baselineRuns = "baseline_runs"
        case currentRuns = "current_runs"
    }
}
