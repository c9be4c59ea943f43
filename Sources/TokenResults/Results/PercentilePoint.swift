import Foundation

/// One point of a latency spectrum: the value at a percentile, µs.
public struct PercentilePoint: Codable, Sendable, Hashable {
    /// Percentile, 0 … 100 (100: the maximum).
    public var p: Double
    /// Latency at that percentile, µs.
    public var us: Double

    public init(p: Double, us: Double) {
        self.p = p
        self.us = us
    }

    /// The percentiles a spectrum holds: denser towards the tail, as HdrHistogram's percentile
    /// distribution output, so that a plot on a 1/(1 − p) axis is evenly filled up to p99.99.
    public static let levels: [Double] = [
        0, 10, 20, 30, 40, 50, 55, 60, 65, 70, 75, 77.5, 80, 82.5, 85, 87.5, 90, 91.25, 92.5, 93.75, 95, 96, 97, 97.5,
        98, 98.5, 99, 99.25, 99.5, 99.6, 99.7, 99.75, 99.8, 99.85, 99.9, 99.925, 99.95, 99.97, 99.98, 99.99, 100,
    ]

    /// The spectrum of a histogram of nanoseconds: one point per ``levels`` entry (100 is the
    /// maximum), µs rounded to 0.001.
    package static func spectrum(_ h: LatencyHistogram) -> [PercentilePoint] {
        guard h.totalCount > 0 else { return [] }
        return levels.map { p in
            let ns = p >= 100 ? h.max : p <= 0 ? h.min : h.valueAtPercentile(p)
            return PercentilePoint(p: p, us: Units.microseconds(nanoseconds: ns))
        }
    }
}
