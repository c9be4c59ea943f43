import TokenAuth
import Histogram
import Synchronization
import TokenResults

/// What one worker measured. Owned by its worker task (no lock on the hot path), except
/// ``live``, which the progress loop reads once a second.
package final class WorkerRecorder: @unchecked Sendable {
    // @unchecked: every stored `var` is touched only by the owning worker's task, and read by
    // the driver only after that task has finished; `live` is behind a lock.
    package var operations: [LatencyHistogram] = Operation.allCases.map { _ in .latency() }
    /// Errors by kind: the server's error code, else the driver's classification.
    package var errors: [[String: Int]] = Operation.allCases.map { _ in [:] }
    /// HTTP only: answers and errors by status (0: no answer, 2: any 2xx).
    package var responsesByStatus: [[Int: Int]] = Operation.allCases.map { _ in [:] }
    package var errorsByStatus: [[Int: Int]] = Operation.allCases.map { _ in [:] }
    /// Completed operations over the whole run, warm-up included: did the run exercise it at all.
    package var attempted = [Int](repeating: 0, count: Operation.allCases.count)
    package var lag: LatencyHistogram = .latency()
    /// Per ``HostileKind``: requests sent, and of those refused by the target.
    package var hostileSent = [Int](repeating: 0, count: HostileKind.allCases.count)
    package var hostileRefused = [Int](repeating: 0, count: HostileKind.allCases.count)
    package var hostileAccepted = [Int](repeating: 0, count: HostileKind.allCases.count)
    /// Per kind: refusals by status, unjudged answers by status or cause.
    package var hostileRefusedBy = [[String: Int]](repeating: [:], count: HostileKind.allCases.count)
    package var hostileUnjudgedBy = [[String: Int]](repeating: [:], count: HostileKind.allCases.count)
    package var invariantsChecked = 0
    /// Answers the shadow model could not judge because a server setting is unknown.
    package var invariantsUnjudged = 0
    /// Successful refreshes that issued a new refresh token, and that kept the presented one:
    /// a server that does both rotates only sometimes (a note says so).
    package var refreshesRotated = 0
    package var refreshesKept = 0
    package var violations: [InvariantKind: Int] = [:]
    /// Checks by kind, passed or not, indexed by `InvariantKind.allCases` order.
    package var checksByKind = [Int](repeating: 0, count: InvariantKind.allCases.count)
    /// Whether answers are counted by HTTP status.
    package let countsStatuses: Bool
    /// Operations that start (and lags of operations due) before this monotonic time, ns, are
    /// warm-up: not recorded. Decided per operation, so lanes that interleave never see
    /// another lane's state.
    package let measureStart: UInt64
    package let live = Locked(IntervalStats())
    private let violationCount = Atomic<Int>(0)

    /// Open model: arrivals whose operation completed in the measured window, whenever they
    /// were due (the achieved arrival rate's numerator). Counting completions, not arrivals due
    /// in the window and done by its end, has no edge bias: those due in the window's last
    /// latency are still in flight at its end, and would take latency ÷ window off a target
    /// that keeps up (1.3 % for 20 ms answers in a 1.5 s step). In a steady state the arrivals
    /// that were due before the window and complete in it make up for them; a target that
    /// cannot keep up completes only what it can.
    package var arrivalsServed = 0
    /// The end of the run, monotonic ns.
    package let measureEnd: UInt64

    package struct IntervalStats: ~Copyable {
        var histogram: LatencyHistogram = .interval()
        /// Per operation, 3 significant digits: `latency.hlog`'s intervals and the per-second
        /// latencies of the report (their sum is the whole run's histogram).
        var perOperation: [LatencyHistogram] = Operation.allCases.map { _ in .latency() }
        var counts = [Int](repeating: 0, count: Operation.allCases.count)
        var errors = 0
        /// Per operation: errors by kind in this second.
        var errorsByKind: [[String: Int]] = Operation.allCases.map { _ in [:] }
    }

    /// One second of one worker, taken by the progress loop.
    /// One second's statistics of every worker, added up (``drainInterval(into:)``); the
    /// collector keeps one and resets it after each second.
    package struct Interval {
        var histogram: LatencyHistogram = .interval()
        var perOperation: [LatencyHistogram] = Operation.allCases.map { _ in .latency() }
        var counts = [Int](repeating: 0, count: Operation.allCases.count)
        var errors = 0
        var errorsByKind: [[String: Int]] = Operation.allCases.map { _ in [:] }

        mutating func reset() {
            histogram.reset()
            for i in perOperation.indices where counts[i] > 0 { perOperation[i].reset() }
            for i in counts.indices { counts[i] = 0 }
            errors = 0
            for i in errorsByKind.indices where !errorsByKind[i].isEmpty { errorsByKind[i].removeAll(keepingCapacity: true) }
        }
    }

    package init(measureStart: UInt64, measureEnd: UInt64 = .max, countsStatuses: Bool = false) {
        self.measureStart = measureStart
        self.measureEnd = measureEnd
        self.countsStatuses = countsStatuses
    }

    /// Open model: an arrival was served by an operation that completed at `done` (monotonic ns).
    @inline(__always)
    package func arrivalServed(done: UInt64) {
        if done >= measureStart, done <= measureEnd { arrivalsServed += 1 }
    }

    /// Records a completed operation: its latency from `start` (the intended start in the
    /// open model, the actual start in the closed one) to `done`, monotonic ns, and, on
    /// failure, its error kind and HTTP status. Operations that started before ``measureStart``
    /// are warm-up.
    @inline(__always)
    package func record(_ op: Operation, from start: UInt64, to done: UInt64, error: String?, status: Int? = nil) {
        attempted[op.index] += 1
        guard start >= measureStart else { return }
        let latency = done &- start
        _ = operations[op.index].record(max(1, latency))
        if let error { errors[op.index][error, default: 0] += 1 }
        if countsStatuses {
            let key = error == nil ? 2 : (status ?? 0)
            responsesByStatus[op.index][key, default: 0] += 1
            if error != nil { errorsByStatus[op.index][key, default: 0] += 1 }
        }
        live.withLock { s in
            _ = s.histogram.record(max(1, latency))
            _ = s.perOperation[op.index].record(max(1, latency))
            s.counts[op.index] += 1
            if let error {
                s.errors += 1
                s.errorsByKind[op.index][error, default: 0] += 1
            }
        }
    }

    /// Records an operation's outcome: success, or its error label and status.
    @inline(__always)
    package func record<Value>(_ op: Operation, from start: UInt64, to done: UInt64, _ outcome: TargetOutcome<Value>) {
        record(op, from: start, to: done, error: outcome.errorLabel, status: outcome.detail?.status)
    }

    /// Records how late an operation started against its due time, monotonic ns.
    @inline(__always)
    package func recordLag(due: UInt64, now: UInt64) {
        guard due >= measureStart else { return }
        _ = lag.record(max(1, now &- due))
    }

    /// Counts one hostile request of `kind` and how the target answered it.
    package func hostile(_ kind: HostileKind, _ answer: HostileAnswer) {
        let i = kind.index
        hostileSent[i] += 1
        switch answer {
        case .refused(let by):
            hostileRefused[i] += 1
            hostileRefusedBy[i][by, default: 0] += 1
        case .accepted:
            hostileAccepted[i] += 1
        case .unjudged(let by):
            hostileUnjudgedBy[i][by, default: 0] += 1
        }
    }

    /// Counts one invariant check, and a violation if it failed. Counted during warm-up too:
    /// a violation fails the run whenever it happens.
    @inline(__always)
    package func check(_ holds: Bool, _ kind: InvariantKind) {
        invariantsChecked += 1
        checksByKind[kind.index] += 1
        if !holds {
            violations[kind, default: 0] += 1
            violationCount.add(1, ordering: .relaxed)
        }
    }

    /// Adds the interval statistics into `into` and resets them in place (called by the
    /// progress loop each second). Nothing is copied or allocated: taking the histograms out
    /// and resetting the originals copied every one of them each second (about 2 MB per worker),
    /// which showed as a 3 MB swing of resident memory in the soak's timeline.
    package func drainInterval(into acc: inout Interval) {
        live.withLock { s in
            acc.histogram.add(s.histogram)
            s.histogram.reset()
            for i in s.perOperation.indices where s.counts[i] > 0 {
                acc.perOperation[i].add(s.perOperation[i])
                s.perOperation[i].reset()
            }
            for i in s.counts.indices {
                acc.counts[i] += s.counts[i]
                s.counts[i] = 0
            }
            acc.errors += s.errors
            if s.errors > 0 {
                for i in s.errorsByKind.indices where !s.errorsByKind[i].isEmpty {
                    acc.errorsByKind[i].merge(s.errorsByKind[i], uniquingKeysWith: +)
                    s.errorsByKind[i].removeAll(keepingCapacity: true)
                }
            }
            s.errors = 0
        }
    }

    /// Violations so far, readable from any task (for progress).
    package var violationsLive: Int { violationCount.load(ordering: .relaxed) }
}
