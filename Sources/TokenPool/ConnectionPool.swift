import Dispatch
import NIOConcurrencyHelpers

/// Why a lease failed.
public enum ConnectionPoolError: Error, Sendable {
    /// The pool was shut down.
    case shutDown
    /// The waiting task was cancelled; it left the queue.
    case cancelled
    /// Opening a connection failed with this error (the slot is free again).
    case connectFailed(any Error)
}

/// A pool of at most `limit` connections handed out one caller at a time, first come first
/// served: TokenBench's one pool, used by the driver's HTTP client (connections opened on
/// demand) and by the SQLite and Redis stores (a fixed set opened at start), whose connections
/// are not safe to share between two concurrent operations.
///
/// A caller that finds no free connection waits without spinning; a cancelled waiter leaves the
/// queue at once. The decisions are ``PoolStateMachine``'s, tested without I/O; this class only
/// holds it under a lock and resumes the waiters.
public final class ConnectionPool<Connection: Sendable>: Sendable {
    private struct State {
        var machine: PoolStateMachine<Connection>
        var waiters: [UInt64: CheckedContinuation<Handoff, any Error>] = [:]
        var nextID: UInt64 = 0
    }

    private enum Handoff: Sendable {
        case connection(Connection)
        case connect
    }

    /// What became of a caller about to wait.
    private enum Parked {
        case queued
        case cancelled
        case instead(PoolStateMachine<Connection>.LeaseAction)
    }

    private let state: NIOLockedValueBox<State>
    private let connect: (@Sendable () async throws -> Connection)?
    private let onWait: @Sendable (_ nanoseconds: UInt64) -> Void
    /// The connections given at creation (a fixed pool), for shutdown.
    public let initial: [Connection]

    /// A fixed pool of the given connections; it never opens others.
    /// - Parameters:
    ///   - connections: at least one.
    ///   - onWait: told how long each lease that had to wait waited, ns.
    public init(_ connections: [Connection], onWait: @escaping @Sendable (_ nanoseconds: UInt64) -> Void = { _ in }) {
        precondition(!connections.isEmpty, "a pool needs a connection")
        initial = connections
        state = NIOLockedValueBox(State(machine: PoolStateMachine(limit: connections.count, idle: connections)))
        connect = nil
        self.onWait = onWait
    }

    /// A pool that opens up to `limit` connections when leases need them.
    /// - Parameters:
    ///   - limit: the most connections at once, ≥ 1.
    ///   - connect: opens one connection.
    ///   - onWait: told how long each lease that had to wait waited, ns.
    public init(limit: Int, connect: @escaping @Sendable () async throws -> Connection,
                onWait: @escaping @Sendable (_ nanoseconds: UInt64) -> Void = { _ in }) {
        initial = []
        state = NIOLockedValueBox(State(machine: PoolStateMachine(limit: max(1, limit))))
        self.connect = connect
        self.onWait = onWait
    }

    /// A connection of the caller's own until it calls ``release(_:)`` or ``discard()``.
    /// - Throws: ``ConnectionPoolError``: shut down, cancelled while waiting, or the connect
    ///   failed.
    public func lease() async throws(ConnectionPoolError) -> Connection {
        switch state.withLockedValue({ $0.machine.lease() }) {
        case .use(let c): return c
        case .connect: return try await open()
        case .closed: throw .shutDown
        case .wait: break
        }
        let started = DispatchTime.now().uptimeNanoseconds
        let handoff: Handoff
        do {
            handoff = try await wait()
        } catch let error as ConnectionPoolError {
            throw error
        } catch {
            throw .cancelled
        }
        onWait(DispatchTime.now().uptimeNanoseconds &- started)
        switch handoff {
        case .connection(let c): return c
        case .connect: return try await open()
        }
    }

    /// Runs `body` with a connection of its own, released afterwards.
    /// - Parameter failure: the caller's error for a lease that failed.
    /// - Throws: what `body` throws, or `failure`'s error.
    public func withConnection<R, E: Error>(
        failure: (ConnectionPoolError) -> E, _ body: (Connection) async throws(E) -> R
    ) async throws(E) -> R {
        let connection: Connection
        do { connection = try await lease() } catch { throw failure(error) }
        defer { release(connection) }
        return try await body(connection)
    }

    /// Returns a leased connection: to the oldest waiter, else to the idle list.
    /// - Returns: the connection when the pool was shut down meanwhile (the caller closes it).
    @discardableResult
    public func release(_ connection: Connection) -> Connection? {
        let (action, waiter) = state.withLockedValue { s -> (PoolStateMachine<Connection>.ReleaseAction, CheckedContinuation<Handoff, any Error>?) in
            let action = s.machine.release(connection)
            if case .handTo(let id, _) = action { return (action, s.waiters.removeValue(forKey: id)) }
            return (action, nil)
        }
        switch action {
        case .handTo(_, let c): waiter?.resume(returning: .connection(c))
        case .keep: break
        case .close(let c): return c
        }
        return nil
    }

    /// A leased connection was closed by the caller (broken, or not kept alive): its slot is
    /// free, and the oldest waiter may open one in it.
    public func discard() {
        freed { $0.discard() }
    }

    /// Stops the pool: waiters and later leases fail with ``ConnectionPoolError/shutDown``.
    /// - Returns: the idle connections, for the caller to close.
    public func shutdown() -> [Connection] {
        let (idle, waiters) = state.withLockedValue { s in
            let (idle, ids) = s.machine.shutdown()
            return (idle, ids.compactMap { s.waiters.removeValue(forKey: $0) })
        }
        for w in waiters { w.resume(throwing: ConnectionPoolError.shutDown) }
        return idle
    }

    /// Waiters queued now.
    public var waiting: Int { state.withLockedValue { $0.machine.waiting } }

    private func wait() async throws -> Handoff {
        let id = state.withLockedValue { s -> UInt64 in
            s.nextID &+= 1
            return s.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Handoff, any Error>) in
                // Decided again under the lock that parks the caller, so that a connection
                // released in between is not missed. A task cancelled before it got here never
                // waits: its cancellation handler may already have run and found nothing.
                let parked: Parked = state.withLockedValue { s in
                    if Task.isCancelled { return .cancelled }
                    guard let action = s.machine.enqueue(id) else {
                        s.waiters[id] = continuation
                        return .queued
                    }
                    return .instead(action)
                }
                switch parked {
                case .queued: break
                case .cancelled: continuation.resume(throwing: ConnectionPoolError.cancelled)
                case .instead(.use(let c)): continuation.resume(returning: .connection(c))
                case .instead(.connect): continuation.resume(returning: .connect)
                // .wait never comes back from enqueue (it queues the caller instead).
                case .instead(.closed), .instead(.wait): continuation.resume(throwing: ConnectionPoolError.shutDown)
                }
            }
        } onCancel: {
            let waiter = state.withLockedValue { s in s.machine.cancel(id) ? s.waiters.removeValue(forKey: id) : nil }
            waiter?.resume(throwing: ConnectionPoolError.cancelled)
        }
    }

    /// Opens a connection in a reserved slot; a failure frees the slot for the next waiter.
    private func open() async throws(ConnectionPoolError) -> Connection {
        guard let connect else { throw .shutDown } // a fixed pool never reserves a slot
        do {
            return try await connect()
        } catch {
            freed { $0.connectFailed() }
            throw .connectFailed(error)
        }
    }

    private func freed(_ decide: (inout PoolStateMachine<Connection>) -> PoolStateMachine<Connection>.SlotAction) {
        let waiter = state.withLockedValue { s -> CheckedContinuation<Handoff, any Error>? in
            guard case .connect(let id) = decide(&s.machine) else { return nil }
            return s.waiters.removeValue(forKey: id)
        }
        waiter?.resume(returning: .connect)
    }
}
