import Foundation

public struct OperationSummary: Codable, Sendable, Hashable {
    public var count: Int
    public var errors: Int
    /// Errors by kind: the server's error code when it sent one (`invalid_grant`,
    /// `token_not_valid`, `invalid_client`), else the driver's class (`store_unavailable`,
    /// `transport`, `tls`, `bad_response`, …).
    public var errorsByKind: [String: Int]
    public var throughputPerS: Double
    public var latencyUs: LatencySummary
    /// HTTP: every answer by status (`2xx` for successes, `no_answer` when none came).
    public var responsesByStatus: [String: Int]?
    /// HTTP: the errors by status.
    public var errorsByStatus: [String: Int]?
    /// The percentile spectrum of the HDR histogram (``PercentilePoint/spectrum``: p0 … p99.99
    /// and the max), µs; absent in results written before it existed.
    public var percentilesUs: [PercentilePoint]?

    package init(count: Int, errors: Int, errorsByKind: [String: Int], throughputPerS: Double, latencyUs: LatencySummary,
         percentilesUs: [PercentilePoint]? = nil) {
        self.count = count
        self.errors = errors
        self.errorsByKind = errorsByKind
        self.throughputPerS = throughputPerS
        self.latencyUs = latencyUs
        self.percentilesUs = percentilesUs
    }

    /// The summary of a histogram of `count` samples over `seconds`, with its spectrum.
    package init(_ h: LatencyHistogram, errorsByKind: [String: Int], seconds: Double) {
        let count = Int(h.totalCount)
        self.init(count: count, errors: errorsByKind.values.reduce(0, +), errorsByKind: errorsByKind,
                  throughputPerS: (Double(count) / seconds).rounded(toPlaces: 1), latencyUs: LatencySummary(h),
                  percentilesUs: count == 0 ? nil : PercentilePoint.spectrum(h))
    }

    enum CodingKeys: String, CodingKey {
        case count, errors
        case errorsByKind = "errors_by_kind"
        case throughputPerS = "throughput_per_s"
        case latencyUs = "latency_us"
        case responsesByStatus = "responses_by_status"
        case errorsByStatus = "errors_by_status"
        case percentilesUs = "percentiles_us"
    }
}
