import Foundation

/// `memory` of `result.json`: what the run added to the process.
public struct MemorySummary: Codable, Sendable, Hashable {
    /// Resident size before the target and the virtual users were built, bytes.
    public var baselineResidentBytes: Int
    /// Highest resident size sampled during the run (one sample a second), bytes.
    public var peakResidentBytes: Int
    /// (peak − baseline) / virtual users, bytes: a user's share of everything the run built
    /// (its state and tokens; for the in-process target also the core's users and families).
    public var bytesPerUser: Double
    /// jemalloc only: the highest `stats.allocated`, bytes.
    public var peakAllocatedBytes: Int?

    package init(baselineResidentBytes: Int, peakResidentBytes: Int, bytesPerUser: Double, peakAllocatedBytes: Int? = nil) {
        self.baselineResidentBytes = baselineResidentBytes
        self.peakResidentBytes = peakResidentBytes
        self.bytesPerUser = bytesPerUser
        self.peakAllocatedBytes = peakAllocatedBytes
    }

    enum CodingKeys: String, CodingKey {
        case baselineResidentBytes = "baseline_resident_bytes"
        case peakResidentBytes = "peak_resident_bytes"
        case bytesPerUser = "bytes_per_user"
        case peakAllocatedBytes = "peak_allocated_bytes"
    }
}
