import Foundation

/// The process's memory at one second of the timeline, bytes.
public struct MemorySample: Codable, Sendable, Hashable {
    /// Resident set size (`/proc/self/statm`).
    public var residentBytes: Int
    /// jemalloc only: `stats.allocated` (bytes the program holds), `stats.active` (in active
    /// pages) and `stats.resident` (in pages jemalloc keeps resident).
    public var allocatedBytes: Int?
    public var activeBytes: Int?
    public var allocatorResidentBytes: Int?

    public init(residentBytes: Int) { self.residentBytes = residentBytes }

    enum CodingKeys: String, CodingKey {
        case residentBytes = "resident_bytes"
        case allocatedBytes = "allocated_bytes"
        case activeBytes = "active_bytes"
        case allocatorResidentBytes = "allocator_resident_bytes"
    }
}
