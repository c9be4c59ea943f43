import Dispatch

/// A fixed set of connections handed out one caller at a time, first come first served.
///
/// Used by the SQLite and Redis stores, whose connections are not safe to share between two
/// concurrent operations. A caller that finds no free connection waits (no busy loop) and the
/// wait is counted in ``StoreStatistics``.
public final class ConnectionPool<Connection: Sendable>: Sendable {
    private struct State {
        var free: [Connection]
        var waiters: [CheckedContinuation<Connection, Never>] = []
        var head = 0 // index of the oldest waiter still queued
    }

    private let state: Locked<State>
    private let statistics: StoreStatistics
    /// The connections, for shutdown.
    public let all: [Connection]

    /// - Parameters:
    ///   - connections: at least one.
    ///   - statistics: where waits are counted.
    public init(_ connections: [Connection], statistics: StoreStatistics) {
        precondition(!connections.isEmpty, "a pool needs a connection")
        self.all = connections
        self.state = Locked(State(free: connections))
        self.statistics = statistics
    }

    /// Runs `body` with a connection of its own, returned to the pool afterwards.
    public func withConnection<R, E: Error>(_ body: (Connection) async throws(E) -> R) async throws(E) -> R {
        let connection = await lease()
        defer { release(connection) }
        return try await body(connection)
    }

    private func lease() async -> Connection {
        if let c = state.withLock({ $0.free.popLast() }) { return c }
        let started = DispatchTime.now().uptimeNanoseconds
        let c = await withCheckedContinuation { (continuation: CheckedContinuation<Connection, Never>) in
            let ready: Connection? = state.withLock { s in
                if let c = s.free.popLast() { return c }
                s.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        statistics.countPoolWait(nanoseconds: DispatchTime.now().uptimeNanoseconds &- started)
        return c
    }

    private func release(_ connection: Connection) {
        let waiter: CheckedContinuation<Connection, Never>? = state.withLock { s in
            guard s.head < s.waiters.count else {
                s.free.append(connection)
                return nil
            }
            let w = s.waiters[s.head]
            s.head += 1
            if s.head == s.waiters.count || s.head >= 1024 {
                s.waiters.removeFirst(s.head)
                s.head = 0
            }
            return w
        }
        waiter?.resume(returning: connection)
    }
}
