import Foundation

/// One operation's second in the timeline.
public struct IntervalSummary: Codable, Sendable, Hashable {
    public var count: Int
    public var errors: Int
    /// Errors by kind, as ``OperationSummary/errorsByKind``; absent when none.
    public var errorsByKind: [String: Int]?
    public var p50Us: Double
    public var p99Us: Double
    public var maxUs: Double

    package init(_ h: LatencyHistogram, errorsByKind: [String: Int]) {
        count = Int(h.totalCount)
        let errors = errorsByKind.values.reduce(0, +)
        self.errors = errors
        self.errorsByKind = errors == 0 ? nil : errorsByKind
        func us(_ v: UInt64) -> Double { Units.microseconds(nanoseconds: v, places: 1) }
        p50Us = count == 0 ? 0 : us(h.valueAtPercentile(50))
        p99Us = count == 0 ? 0 : us(h.valueAtPercentile(99))
        maxUs = count == 0 ? 0 : us(h.max)
    }

    /// The summary of decoded (merged) buckets of nanoseconds, as ``init(_:errorsByKind:)``
    /// gives for their histogram.
    package init(_ d: HdrHistogramCodec.Decoded, errorsByKind: [String: Int]) {
        count = Int(d.totalCount)
        let errors = errorsByKind.values.reduce(0, +)
        self.errors = errors
        self.errorsByKind = errors == 0 ? nil : errorsByKind
        func us(_ v: UInt64) -> Double { Units.microseconds(nanoseconds: v, places: 1) }
        p50Us = count == 0 ? 0 : us(d.valueAtPercentile(50))
        p99Us = count == 0 ? 0 : us(d.valueAtPercentile(99))
        maxUs = count == 0 ? 0 : us(d.maxValue)
    }

    enum CodingKeys: String, CodingKey {
        case count, errors
        case errorsByKind = "errors_by_kind"
        case p50Us = "p50_us"
        case p99Us = "p99_us"
        case maxUs = "max_us"
    }
}
