import TokenAuth
import Foundation
import TokenResults

/// A target of known capacity, for checking the tool itself (`--target simulated:8x10ms`): a
/// simulated server with `concurrency` slots, each serving one operation at a time for exactly
/// `serviceTime`, first come first served. Its schedule is kept in virtual time: an operation's
/// answer is due at `max(arrival, its slot's free time) + serviceTime`, and a timer that wakes
/// late delays that answer but never the slot's next one, so the target completes exactly
/// `concurrency / serviceTime` operations per second under overload, and below that every answer
/// takes `serviceTime` plus timer lateness. It keeps no token state: every token works, so its
/// sessions are abandoned, never logged out (``canRevoke`` is `false`), and it must not be given
/// hostile traffic.
public struct SimulatedTarget: LoadTarget {
    /// Operations served at once.
    public let concurrency: Int
    /// How long each operation holds its slot, seconds.
    public let serviceTime: Double
    package let slots: Slots
    package let tokens: IssuedTokens

    /// - Parameters:
    ///   - concurrency: slots, ≥ 1.
    ///   - serviceTime: seconds per operation, > 0.
    ///   - expiresIn: the lifetime its access tokens claim, seconds.
    public init(concurrency: Int, serviceTime: Double, expiresIn: Double = 3600) {
        self.concurrency = max(1, concurrency)
        self.serviceTime = serviceTime
        self.slots = Slots(self.concurrency, service: UInt64(serviceTime * 1e9))
        self.tokens = IssuedTokens(accessToken: "a.b.c", refreshToken: "r", expiresIn: expiresIn)
    }

    /// Parses `simulated:CONCURRENCYxSERVICE`, e.g. `simulated:8x10ms`.
    /// - Returns: `nil` for anything else.
    public init?(spec: String, expiresIn: Double = 3600) {
        guard spec.hasPrefix("simulated:") else { return nil }
        let parts = spec.dropFirst("simulated:".count).split(separator: "x", maxSplits: 1)
        guard parts.count == 2, let n = Int(parts[0]), (1...10_000).contains(n),
              let s = DurationValue.seconds(String(parts[1])), s >= 0.000_001, s <= 60 else { return nil }
        self.init(concurrency: n, serviceTime: s, expiresIn: expiresIn)
    }

    /// The operations per second it can complete: `concurrency / serviceTime`.
    public var capacity: Double { Double(concurrency) / serviceTime }

    public var name: String { "simulated:\(concurrency)x\(Units.figure(serviceTime * 1000))ms" }
    public var canRevoke: Bool { false }
    public var operationsWaitOnIO: Bool { true }

    private func serve() async {
        let due = slots.schedule(now: monotonicNanoseconds())
        let now = monotonicNanoseconds()
        if due > now { try? await Task.sleep(nanoseconds: due - now) }
    }

    public func login(username: String, password: String) async -> TargetOutcome<IssuedTokens> {
        await serve()
        return .ok(tokens)
    }
    public func access(accessToken: String) async -> TargetOutcome<Void> {
        await serve()
        return .ok(())
    }
    public func refresh(refreshToken: String) async -> TargetOutcome<IssuedTokens> {
        await serve()
        return .ok(tokens)
    }
    public func logout(refreshToken: String) async -> TargetOutcome<Void> {
        await serve()
        return .ok(())
    }
}

/// The simulated server's slots in virtual time: when each is next free, monotonic ns, kept as
/// a binary min-heap so that taking the slot free soonest costs O(log n).
package final class Slots: Sendable {
    private let free: Locked<[UInt64]>
    private let service: UInt64

    package init(_ count: Int, service: UInt64) {
        free = Locked([UInt64](repeating: 0, count: count))
        self.service = service
    }

    /// Takes the slot free soonest for an operation arriving at `now`; returns when its answer is
    /// due (monotonic ns).
    package func schedule(now: UInt64) -> UInt64 {
        free.withLock { heap in
            let done = max(now, heap[0]) &+ service
            // Replace the root and sift it down.
            heap[0] = done
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < heap.count, heap[l] < heap[smallest] { smallest = l }
                if r < heap.count, heap[r] < heap[smallest] { smallest = r }
                if smallest == i { break }
                heap.swapAt(i, smallest)
                i = smallest
            }
            return done
        }
    }
}
