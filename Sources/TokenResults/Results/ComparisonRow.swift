import Foundation

/// One metric of one operation or phase.
public struct ComparisonRow: Codable, Sendable, Hashable {
    /// `operation` or `phase`.
    public var section: String
    public var name: String
    public var metric: ComparisonThresholds.Metric
    /// Medians over the runs: µs for p50 and p99, per second for throughput, percent for the
    /// error rate.
    public var baseline: Double
    public var current: Double
    /// (current − baseline) / baseline × 100, `nil` when the baseline is 0; for the error rate,
    /// current − baseline in percentage points.
    public var changePercent: Double?
    /// The allowed change in the bad direction, percent; `nil` when not gated.
    public var limitPercent: Double?
    /// Samples (median count over the runs) on each side.
    public var baselineCount: Int
    public var currentCount: Int
    public var regressed: Bool

    package init(section: String, name: String, metric: ComparisonThresholds.Metric, baseline: Double, current: Double, changePercent: Double? = nil, limitPercent: Double? = nil, baselineCount: Int, currentCount: Int, regressed: Bool) {
        self.section = section
        self.name = name
        self.metric = metric
        self.baseline = baseline
        self.current = current
        self.changePercent = changePercent
        self.limitPercent = limitPercent
        self.baselineCount = baselineCount
        self.currentCount = currentCount
        self.regressed = regressed
    }

    enum CodingKeys: String, CodingKey {
        case section, name, metric, baseline, current, regressed
        case changePercent = "change_percent"
        case limitPercent = "limit_percent"
        case baselineCount = "baseline_count"
        case currentCount = "current_count"
    }
}
