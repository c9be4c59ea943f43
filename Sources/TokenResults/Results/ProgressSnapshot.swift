import Histogram

/// A snapshot for the progress line, once a second.
public struct ProgressSnapshot: Sendable {
    /// Seconds since the start (warm-up included).
    public var elapsed: Double
    /// Total seconds (warm-up + duration).
    public var total: Double
    /// Whether the warm-up is still running.
    public var warmingUp: Bool
    /// Operations completed in the last second.
    public var operationsPerSecond: Int
    /// p99 of the last second, µs.
    public var p99Us: Double
    /// The latencies of the last second (to cover a longer interval, add them up).
    public var interval: LatencyHistogram
    /// Errors so far (measured).
    public var errors: Int
    /// Invariant violations so far.
    public var violations: Int

    public init(elapsed: Double, total: Double, warmingUp: Bool, operationsPerSecond: Int, p99Us: Double,
                interval: LatencyHistogram, errors: Int, violations: Int) {
        self.elapsed = elapsed
        self.total = total
        self.warmingUp = warmingUp
        self.operationsPerSecond = operationsPerSecond
        self.p99Us = p99Us
        self.interval = interval
        self.errors = errors
        self.violations = violations
    }
}
