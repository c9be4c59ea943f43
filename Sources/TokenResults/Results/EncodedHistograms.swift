import Foundation

/// The `histograms` section of `result.json`: HdrHistogram's compressed V2 encoding, base64
/// (``HdrHistogramCodec``), of the whole measured window's latencies in **ns** (1 ns … 1 h,
/// 3 significant digits). Operations and phases without samples are absent.
public struct EncodedHistograms: Codable, Sendable, Hashable {
    /// By operation (`login`, `access`, `refresh`, `logout`).
    public var operations: [String: String]
    /// By in-process phase (`password_hash`, `sign`, …, `store_rotate`).
    public var phases: [String: String]
    /// The driver's scheduling lag.
    public var schedulingLag: String?

    public init(operations: [String: String] = [:], phases: [String: String] = [:], schedulingLag: String? = nil) {
        self.operations = operations
        self.phases = phases
        self.schedulingLag = schedulingLag
    }

    enum CodingKeys: String, CodingKey {
        case operations, phases
        case schedulingLag = "scheduling_lag"
    }
}
