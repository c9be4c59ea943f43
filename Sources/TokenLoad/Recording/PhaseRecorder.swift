import Synchronization
import TokenAuth
import TokenResults

/// Collects the in-process phase timings (`AuthInstrumentation`) into HDR histograms, one
/// stripe per worker (picked through a task-local, so two workers never share a lock).
public final class PhaseRecorder: AuthInstrumentation {
    @TaskLocal package static var stripe = 0

    package final class Stripe: Sendable {
        /// The whole window's histograms, and the current second's (`latency.hlog`), by phase.
        let histograms = Locked<(total: [LatencyHistogram], interval: [LatencyHistogram])>(
            (AuthPhase.allCases.map { _ in .latency() }, AuthPhase.allCases.map { _ in .latency() }))
    }

    private let stripes: [Stripe]
    private let measureFrom = Atomic<UInt64>(.max)
    private let measureUntil = Atomic<UInt64>(.max)

    public init(stripes: Int) {
        self.stripes = (0..<max(1, stripes)).map { _ in Stripe() }
    }

    /// Records only between these monotonic instants (ns): the measured window.
    package func window(from: UInt64, until: UInt64) {
        measureFrom.store(from, ordering: .relaxed)
        measureUntil.store(until, ordering: .relaxed)
    }

    public func record(_ phase: AuthPhase, nanoseconds: UInt64) {
        let now = monotonicNanoseconds()
        guard now >= measureFrom.load(ordering: .relaxed), now < measureUntil.load(ordering: .relaxed) else { return }
        let index = Self.ordinal(phase)
        stripes[Self.stripe % stripes.count].histograms.withLock {
            _ = $0.total[index].record(max(1, nanoseconds))
            _ = $0.interval[index].record(max(1, nanoseconds))
        }
    }

    /// Position of a phase in `AuthPhase.allCases`, without searching on the hot path.
    package static func ordinal(_ phase: AuthPhase) -> Int {
        switch phase {
        case .passwordHash: 0
        case .sign: 1
        case .verify: 2
        case .storeLookup: 3
        case .storeRotate: 4
        case .storeCreate: 5
        case .storeRevoke: 6
        case .storeRevokeAll: 7
        }
    }

    /// Empties every histogram (between the levels of a concurrency sweep, the steps of a
    /// capacity search).
    public func reset() {
        for s in stripes {
            s.histograms.withLock { $0 = (AuthPhase.allCases.map { _ in .latency() }, AuthPhase.allCases.map { _ in .latency() }) }
        }
    }

    /// Takes and empties the current interval's histograms: by phase, those with samples.
    /// Adds each phase's interval histogram into `acc` (indexed as `AuthPhase.allCases`) and
    /// resets it in place: the once-a-second path, which allocates nothing.
    package func drainInterval(into acc: inout [LatencyHistogram]) {
        for s in stripes {
            s.histograms.withLock { h in
                for i in AuthPhase.allCases.indices where h.interval[i].totalCount > 0 {
                    acc[i].add(h.interval[i])
                    h.interval[i].reset()
                }
            }
        }
    }

    /// All stripes merged, by phase.
    package func merged() -> [AuthPhase: LatencyHistogram] {
        var out: [AuthPhase: LatencyHistogram] = [:]
        for (i, phase) in AuthPhase.allCases.enumerated() {
            var h = LatencyHistogram.latency()
            for s in stripes { s.histograms.withLock { h.add($0.total[i]) } }
            out[phase] = h
        }
        return out
    }
}
