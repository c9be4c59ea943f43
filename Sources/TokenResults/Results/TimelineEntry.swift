import Foundation

public struct TimelineEntry: Codable, Sendable, Hashable {
    /// Second since the start of measurement (1 = the first second).
    public var second: Int
    /// Completed operations by name.
    public var operations: [String: Int]
    public var errors: Int
    /// p99 latency of the operations completed in this second, µs.
    public var p99Us: Double
    /// `--stages`: the intended number of users (closed model) or arrival rate (open model).
    public var targetUsers: Int?
    public var targetRate: Double?
    /// Per operation that completed in this second: its count, errors by kind and p50 / p99 /
    /// max latency, µs (2 significant digits).
    public var byOperation: [String: IntervalSummary]?
    /// The process's memory at the end of this second (resident size; jemalloc's statistics
    /// when running on jemalloc).
    public var memory: MemorySample?
    /// The process's descriptors, sockets and threads at the end of this second.
    public var process: ProcessSample?
    /// Invariant violations counted in this second (absent when none).
    public var violations: Int?

    public init(second: Int, operations: [String: Int], errors: Int, p99Us: Double) {
        self.second = second
        self.operations = operations
        self.errors = errors
        self.p99Us = p99Us
    }

    enum CodingKeys: String, CodingKey {
        case second, operations, errors
        case p99Us = "p99_us"
        case targetUsers = "target_users"
        case targetRate = "target_rate"
        case byOperation = "by_operation"
        case memory, process, violations
    }
}
