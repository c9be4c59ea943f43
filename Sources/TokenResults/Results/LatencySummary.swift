import Foundation

public struct LatencySummary: Codable, Sendable, Hashable {
    public var p50: Double, p90: Double, p99: Double, p999: Double, max: Double, mean: Double

    package init(_ h: LatencyHistogram) {
        func us(_ v: UInt64) -> Double { Units.microseconds(nanoseconds: v) }
        if h.totalCount == 0 {
            p50 = 0; p90 = 0; p99 = 0; p999 = 0; max = 0; mean = 0
        } else {
            p50 = us(h.valueAtPercentile(50))
            p90 = us(h.valueAtPercentile(90))
            p99 = us(h.valueAtPercentile(99))
            p999 = us(h.valueAtPercentile(99.9))
            max = us(h.max)
            mean = (h.mean / 1000).rounded(toPlaces: 3)
        }
    }
}
