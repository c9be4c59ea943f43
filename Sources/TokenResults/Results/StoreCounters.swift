/// `store.counters` of `result.json`: the store's contention counters over the measured window
/// (the record of the core's `StoreStatistics.Snapshot`).
public struct StoreCounters: Codable, Sendable, Hashable {
    /// Operations retried after a transient failure (busy, serialization failure, lost
    /// connection, a compare-and-swap that lost a race).
    public var retries: Int = 0
    /// `SQLITE_BUSY` answers.
    public var busy: Int = 0
    /// Serialization failures and deadlocks (PostgreSQL SQLSTATE 40001 / 40P01).
    public var serializationFailures: Int = 0
    /// Operations that waited for a pooled connection.
    public var poolWaits: Int = 0
    /// Time spent waiting for pooled connections, µs (sum over all waits).
    public var poolWaitUs: Int = 0
    /// Connections (re)established after the first ones.
    public var reconnects: Int = 0
    /// Operations that ended with the store unavailable.
    public var unavailable: Int = 0

    public init(retries: Int = 0, busy: Int = 0, serializationFailures: Int = 0, poolWaits: Int = 0, poolWaitUs: Int = 0,
                reconnects: Int = 0, unavailable: Int = 0) {
        self.retries = retries
        self.busy = busy
        self.serializationFailures = serializationFailures
        self.poolWaits = poolWaits
        self.poolWaitUs = poolWaitUs
        self.reconnects = reconnects
        self.unavailable = unavailable
    }

    enum CodingKeys: String, CodingKey {
        case retries, busy, reconnects, unavailable
        case serializationFailures = "serialization_failures"
        case poolWaits = "pool_waits"
        case poolWaitUs = "pool_wait_us"
    }

    /// Both sets of counters added up (shards of one run).
    public static func + (a: StoreCounters, b: StoreCounters) -> StoreCounters {
        StoreCounters(retries: a.retries + b.retries, busy: a.busy + b.busy,
                      serializationFailures: a.serializationFailures + b.serializationFailures,
                      poolWaits: a.poolWaits + b.poolWaits, poolWaitUs: a.poolWaitUs + b.poolWaitUs,
                      reconnects: a.reconnects + b.reconnects, unavailable: a.unavailable + b.unavailable)
    }
}
