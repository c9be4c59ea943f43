import TokenAuth
import TokenResults

extension StoreStatistics.Snapshot {
    /// The counters as `result.json` records them (``StoreCounters``).
    package var record: StoreCounters {
        StoreCounters(retries: retries, busy: busy, serializationFailures: serializationFailures, poolWaits: poolWaits,
                      poolWaitUs: poolWaitUs, reconnects: reconnects, unavailable: unavailable)
    }
}
