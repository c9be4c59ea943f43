import Foundation

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

    package init(index: Int, stage: String, intendedRate: Double, achievedRate: Double, verdict: StepVerdict, reasons: [String], result: RunResult) {
        self.index = index
        self.stage = stage
        self.intendedRate = intendedRate
        self.achievedRate = achievedRate
        self.verdict = verdict
        self.reasons = reasons
        self.result = result
    }

    enum CodingKeys: String, CodingKey {
        case index, stage, verdict, reasons, result
        case intendedRate = "intended_rate"
        case achievedRate = "achieved_rate"
    }
}
