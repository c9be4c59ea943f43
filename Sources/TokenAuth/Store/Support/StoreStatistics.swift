import Synchronization

/// Contention counters of a store backend: what a load run reports under `store` in
/// `result.json` besides the per-operation latency histograms.
///
/// All counters are cumulative since the store was made; a run takes a ``Snapshot`` before and
/// after its measured window and reports the difference. Counting is one relaxed atomic add.
public final class StoreStatistics: Sendable {
    /// A point-in-time copy of the counters.
    public struct Snapshot: Sendable, Hashable, Codable {
        /// Operations retried after a transient failure (busy, serialization failure, lost
        /// connection, a compare-and-swap that lost a race).
        public var retries: Int = 0
        /// `SQLITE_BUSY` answers (SQLite: another connection holds the write lock).
        public var busy: Int = 0
        /// Serialization failures and deadlocks reported by the server (PostgreSQL SQLSTATE
        /// 40001 / 40P01).
        public var serializationFailures: Int = 0
        /// Operations that waited for a pooled connection.
        public var poolWaits: Int = 0
        /// Time spent waiting for pooled connections, µs (sum over all waits).
        public var poolWaitUs: Int = 0
        /// Connections (re)established after the first ones (a restarted or unreachable server).
        public var reconnects: Int = 0
        /// Operations that ended in ``StoreError/Code/unavailable``.
        public var unavailable: Int = 0

        public init() {}

        enum CodingKeys: String, CodingKey {
            case retries, busy, reconnects, unavailable
            case serializationFailures = "serialization_failures"
            case poolWaits = "pool_waits"
            case poolWaitUs = "pool_wait_us"
        }

        /// `self − earlier`, counter by counter.
        public func subtracting(_ earlier: Snapshot) -> Snapshot {
            var d = Snapshot()
            d.retries = retries - earlier.retries
            d.busy = busy - earlier.busy
            d.serializationFailures = serializationFailures - earlier.serializationFailures
            d.poolWaits = poolWaits - earlier.poolWaits
            d.poolWaitUs = poolWaitUs - earlier.poolWaitUs
            d.reconnects = reconnects - earlier.reconnects
            d.unavailable = unavailable - earlier.unavailable
            return d
        }
    }

    private let retries = Atomic<Int>(0)
    private let busy = Atomic<Int>(0)
    private let serializationFailures = Atomic<Int>(0)
    private let poolWaits = Atomic<Int>(0)
    private let poolWaitNanoseconds = Atomic<Int>(0)
    private let reconnects = Atomic<Int>(0)
    private let unavailable = Atomic<Int>(0)

    /// Connections the store's pool holds, all opened at start (PostgreSQL, Redis: the
    /// configured pool; SQLite: its connections); `nil` when the store keeps no fixed pool
    /// (Redis Cluster opens connections per node as it finds them).
    public let poolSize: Int?

    /// - Parameter poolSize: see ``poolSize``.
    public init(poolSize: Int? = nil) {
        self.poolSize = poolSize
    }

    public func countRetry() { retries.add(1, ordering: .relaxed) }
    public func countBusy() { busy.add(1, ordering: .relaxed) }
    public func countSerializationFailure() { serializationFailures.add(1, ordering: .relaxed) }
    public func countReconnect() { reconnects.add(1, ordering: .relaxed) }
    public func countUnavailable() { unavailable.add(1, ordering: .relaxed) }
    /// One wait for a pooled connection that lasted `nanoseconds`.
    public func countPoolWait(nanoseconds: UInt64) {
        poolWaits.add(1, ordering: .relaxed)
        poolWaitNanoseconds.add(Int(truncatingIfNeeded: nanoseconds), ordering: .relaxed)
    }

    /// The counters now.
    public var snapshot: Snapshot {
        var s = Snapshot()
        s.retries = retries.load(ordering: .relaxed)
        s.busy = busy.load(ordering: .relaxed)
        s.serializationFailures = serializationFailures.load(ordering: .relaxed)
        s.poolWaits = poolWaits.load(ordering: .relaxed)
        s.poolWaitUs = poolWaitNanoseconds.load(ordering: .relaxed) / 1000
        s.reconnects = reconnects.load(ordering: .relaxed)
        s.unavailable = unavailable.load(ordering: .relaxed)
        return s
    }
}

/// A store that keeps ``StoreStatistics`` (the durable backends do; the memory store has no
/// contention beyond its lock stripes and does not).
public protocol StoreStatisticsReporting {
    var statistics: StoreStatistics { get }
}
