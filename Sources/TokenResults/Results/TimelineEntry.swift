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
    /// In-process runs: the store's second (calls in flight, pool waits, retries).
    public var store: StoreSecond?

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
        case memory, process, violations, store
    }
}

/// One second of the in-process core's store: how busy it was and what it waited for.
public struct StoreSecond: Codable, Sendable, Hashable {
    /// Store calls that completed in this second.
    public var calls: Int
    /// Store calls in flight on average over the second: the time the calls that completed in
    /// it took, over the second's length (Little's law, L = λW).
    public var inFlight: Double
    /// Calls that waited for a pooled connection, and how long in all, µs; retries after a
    /// transient failure (``StoreStatistics``; absent for a store that keeps no counters).
    public var poolWaits: Int?
    public var poolWaitUs: Int?
    public var retries: Int?
    /// Connections in the store's pool (``StoreStatistics/poolSize``): in-flight calls near it,
    /// with pool waits, say the pool, not the store, is the limit.
    public var poolSize: Int?

    public init(calls: Int, inFlight: Double, poolWaits: Int? = nil, poolWaitUs: Int? = nil, retries: Int? = nil, poolSize: Int? = nil) {
        self.poolSize = poolSize
        self.calls = calls
        self.inFlight = inFlight
        self.poolWaits = poolWaits
        self.poolWaitUs = poolWaitUs
        self.retries = retries
    }

    enum CodingKeys: String, CodingKey {
        case calls, retries
        case inFlight = "in_flight"
        case poolWaits = "pool_waits"
        case poolWaitUs = "pool_wait_us"
        case poolSize = "pool_size"
    }
}
