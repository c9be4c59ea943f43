import Foundation

/// `stability` of `result.json`: did memory, descriptors and sockets stay flat over the
/// measured seconds (the timeline, after warm-up)? What a soak is judged on.
public struct StabilitySummary: Codable, Sendable, Hashable {
    /// Measured seconds with a sample.
    public var seconds: Int
    /// The reference resident size: the median of the first tenth of the samples (at least
    /// 1, at most 60), bytes.
    public var residentReferenceBytes: Int
    public var residentMinBytes: Int
    public var residentMaxBytes: Int
    /// The largest deviation from the reference, percent (+ above, − below; the one of
    /// greater magnitude).
    public var residentDriftPercent: Double
    /// The resident size's least-squares slope over the samples, bytes per hour: a leak shows
    /// as a steady positive slope even when the drift is still small.
    public var residentSlopeBytesPerHour: Double
    public var descriptorsMin: Int?
    public var descriptorsMax: Int?
    /// Descriptors at the first and the last sample.
    public var descriptorsFirst: Int?
    public var descriptorsLast: Int?
    public var socketsMax: Int?
    public var threadsMax: Int?

    package init(seconds: Int, residentReferenceBytes: Int, residentMinBytes: Int, residentMaxBytes: Int, residentDriftPercent: Double, residentSlopeBytesPerHour: Double, descriptorsMin: Int? = nil, descriptorsMax: Int? = nil, descriptorsFirst: Int? = nil, descriptorsLast: Int? = nil, socketsMax: Int? = nil, threadsMax: Int? = nil) {
        self.seconds = seconds
        self.residentReferenceBytes = residentReferenceBytes
        self.residentMinBytes = residentMinBytes
        self.residentMaxBytes = residentMaxBytes
        self.residentDriftPercent = residentDriftPercent
        self.residentSlopeBytesPerHour = residentSlopeBytesPerHour
        self.descriptorsMin = descriptorsMin
        self.descriptorsMax = descriptorsMax
        self.descriptorsFirst = descriptorsFirst
        self.descriptorsLast = descriptorsLast
        self.socketsMax = socketsMax
        self.threadsMax = threadsMax
    }

    enum CodingKeys: String, CodingKey {
        case seconds
        case residentReferenceBytes = "resident_reference_bytes"
        case residentMinBytes = "resident_min_bytes"
        case residentMaxBytes = "resident_max_bytes"
        case residentDriftPercent = "resident_drift_percent"
        case residentSlopeBytesPerHour = "resident_slope_bytes_per_hour"
        case descriptorsMin = "descriptors_min"
        case descriptorsMax = "descriptors_max"
        case descriptorsFirst = "descriptors_first"
        case descriptorsLast = "descriptors_last"
        case socketsMax = "sockets_max"
        case threadsMax = "threads_max"
    }

    /// The summary of a timeline, or `nil` when it has no memory samples.
    public init?(timeline: [TimelineEntry]) {
        let resident = timeline.compactMap { $0.memory?.residentBytes }
        guard !resident.isEmpty else { return nil }
        seconds = resident.count
        let head = resident.prefix(min(60, max(1, resident.count / 10))).sorted()
        let reference = head[head.count / 2]
        residentReferenceBytes = reference
        residentMinBytes = resident.min()!
        residentMaxBytes = resident.max()!
        let up = Double(residentMaxBytes - reference), down = Double(residentMinBytes - reference)
        residentDriftPercent = (100 * (abs(up) >= abs(down) ? up : down) / Double(max(1, reference))).rounded(toPlaces: 2)
        // Least squares over (second, bytes).
        let n = Double(resident.count)
        let xs = resident.indices.map(Double.init)
        let mx = xs.reduce(0, +) / n, my = resident.reduce(0.0) { $0 + Double($1) } / n
        var sxy = 0.0, sxx = 0.0
        for (x, y) in zip(xs, resident) { sxy += (x - mx) * (Double(y) - my); sxx += (x - mx) * (x - mx) }
        residentSlopeBytesPerHour = sxx > 0 ? (sxy / sxx * 3600).rounded() : 0
        let process = timeline.compactMap(\.process)
        descriptorsMin = process.map(\.openDescriptors).min()
        descriptorsMax = process.map(\.openDescriptors).max()
        descriptorsFirst = process.first?.openDescriptors
        descriptorsLast = process.last?.openDescriptors
        socketsMax = process.map(\.sockets).max()
        threadsMax = process.map(\.threads).max()
    }
}
