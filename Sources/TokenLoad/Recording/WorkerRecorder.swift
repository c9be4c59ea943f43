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
    var recording = false
    let live = Mutex(IntervalStats())
    private let violationCount = Atomic<Int>(0)

    struct IntervalStats: ~Copyable {
        var histogram: LatencyHistogram = .interval()
        var counts = [Int](repeating: 0, count: Operation.allCases.count)
        var errors = 0
    }

    /// Records a completed operation: latency in nanoseconds (from its intended start in the
    /// open model, from its actual start in the closed one) and, on failure, its error kind.
    @inline(__always)
    func record(_ op: Operation, latency: UInt64, error: String?) {
        guard recording else { return }
        _ = operations[op.index].record(max(1, latency))
        if let error { errors[op.index][error, default: 0] += 1 }
        live.withLock { s in
            _ = s.histogram.record(max(1, latency))
            s.counts[op.index] += 1
            if error != nil { s.errors += 1 }
        }
    }

    /// Records how late an operation started against its due time, nanoseconds.
    @inline(__always)
    func recordLag(_ ns: UInt64) {
        guard recording else { return }
        _ = lag.record(max(1, ns))
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
