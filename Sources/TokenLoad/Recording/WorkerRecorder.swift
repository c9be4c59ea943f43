import Histogram
import Synchronization

/// What one worker measured. Owned by its worker task (no lock on the hot path), except
/// ``live``, which the progress loop reads once a second.
final class WorkerRecorder: @unchecked Sendable {
    // @unchecked: every stored `var` is touched only by the owning worker's task, and read by
    // the driver only after that task has finished; `live` is behind a Mutex.
    var operations: [LatencyHistogram] = Operation.allCases.map { _ in .latency() }
    var errors: [[String: Int]] = Operation.allCases.map { _ in [:] }
    var lag: LatencyHistogram = .latency()
    var hostileAttempts = 0
    var hostileRejected = 0
    var invariantsChecked = 0
    var violations: [InvariantKind: Int] = [:]
    /// Operations that start (and lags of operations due) before this monotonic time, ns, are
    /// warm-up: not recorded. Decided per operation, so lanes that interleave never see
    /// another lane's state.
    let measureStart: UInt64
    let live = Mutex(IntervalStats())
    private let violationCount = Atomic<Int>(0)

    struct IntervalStats: ~Copyable {
        var histogram: LatencyHistogram = .interval()
        var counts = [Int](repeating: 0, count: Operation.allCases.count)
        var errors = 0
    }

    init(measureStart: UInt64) {
        self.measureStart = measureStart
    }

    /// Records a completed operation: its latency from `start` (the intended start in the
    /// open model, the actual start in the closed one) to `done`, monotonic ns, and, on
    /// failure, its error kind. Operations that started before ``measureStart`` are warm-up.
    @inline(__always)
    func record(_ op: Operation, from start: UInt64, to done: UInt64, error: String?) {
        guard start >= measureStart else { return }
        let latency = done &- start
        _ = operations[op.index].record(max(1, latency))
        if let error { errors[op.index][error, default: 0] += 1 }
        live.withLock { s in
            _ = s.histogram.record(max(1, latency))
            s.counts[op.index] += 1
            if error != nil { s.errors += 1 }
        }
    }

    /// Records how late an operation started against its due time, monotonic ns.
    @inline(__always)
    func recordLag(due: UInt64, now: UInt64) {
        guard due >= measureStart else { return }
        _ = lag.record(max(1, now &- due))
    }

    /// Counts one invariant check, and a violation if it failed. Counted during warm-up too:
    /// a violation fails the run whenever it happens.
    @inline(__always)
    func check(_ holds: Bool, _ kind: InvariantKind) {
        invariantsChecked += 1
        if !holds {
            violations[kind, default: 0] += 1
            violationCount.add(1, ordering: .relaxed)
        }
    }

    /// Takes and resets the interval statistics (called by the progress loop each second).
    func takeInterval() -> (histogram: LatencyHistogram, counts: [Int], errors: Int) {
        live.withLock { s in
            let out = (s.histogram, s.counts, s.errors)
            s.histogram.reset()
            s.counts = [Int](repeating: 0, count: Operation.allCases.count)
            s.errors = 0
            return out
        }
    }

    /// Violations so far, readable from any task (for progress).
    var violationsLive: Int { violationCount.load(ordering: .relaxed) }
}
