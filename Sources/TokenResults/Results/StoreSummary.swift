import Foundation

/// The `store` section of `result.json`.
public struct StoreSummary: Codable, Sendable {
    /// `memory`, `sqlite`, `postgres` or `redis`.
    public var backend: String
    /// Per store operation (`lookup`, `rotate`, `create`, `revoke`, `revoke_all`), measured
    /// around the store call inside the service: latency µs, calls per second.
    public var operations: [String: OperationSummary]
    /// Contention counters during the measured window (retries, busy, serialization failures,
    /// pool waits, reconnects, unavailable); absent for the memory store.
    public var counters: StoreCounters?
    /// `--sweep-concurrency`: one point per concurrency level, in the order run.
    public var contention: [ContentionPoint]?

    public init(backend: String, operations: [String: OperationSummary], counters: StoreCounters?,
                contention: [ContentionPoint]? = nil) {
        self.backend = backend
        self.operations = operations
        self.counters = counters
        self.contention = contention
    }

    /// The store operations among the in-process phases, renamed (`store_rotate` → `rotate`).
    package static func operations(fromPhases phases: [String: OperationSummary]) -> [String: OperationSummary] {
        var out: [String: OperationSummary] = [:]
        for (name, summary) in phases where name.hasPrefix("store_") {
            out[String(name.dropFirst("store_".count))] = summary
        }
        return out
    }
}

/// One level of a concurrency sweep: the contention curve's point.
public struct ContentionPoint: Codable, Sendable, Hashable {
    /// Virtual users (closed model) at this level.
    public var concurrency: Int
    /// All driver operations per second at this level.
    public var throughputPerS: Double
    /// Per store operation: throughput and latency at this level.
    public var operations: [String: OperationSummary]
    /// Contention counters at this level.
    public var counters: StoreCounters?
    /// Errors of all operations at this level.
    public var errors: Int

    package init(concurrency: Int, throughputPerS: Double, operations: [String: OperationSummary], counters: StoreCounters? = nil, errors: Int) {
        self.concurrency = concurrency
        self.throughputPerS = throughputPerS
        self.operations = operations
        self.counters = counters
        self.errors = errors
    }

    enum CodingKeys: String, CodingKey {
        case concurrency, operations, counters, errors
        case throughputPerS = "throughput_per_s"
    }
}
