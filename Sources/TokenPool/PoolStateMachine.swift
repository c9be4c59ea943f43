import NIOCore

/// The decisions of a connection pool, without I/O: which connection a lease gets, when a new
/// one may be opened, which waiter a released connection or a freed slot goes to, and what a
/// cancelled waiter or a shutdown leaves behind (postgres-nio's `PoolStateMachine` and
/// async-http-client's `HTTPConnectionPool.StateMachine` are built the same way).
///
/// At most `limit` connections exist at once (idle, leased, or being opened). Waiters are served
/// first come, first served; a cancelled waiter leaves the queue at once. Every operation is
/// O(1) amortised: waiters wait in a ring buffer, and a cancelled one is only marked and skipped
/// when it reaches the front.
///
/// ``ConnectionPool`` is the thin locked shell that performs the actions.
public struct PoolStateMachine<Connection> {
    /// A waiter's identity, given by the shell.
    public typealias WaiterID = UInt64

    /// What a lease does next.
    public enum LeaseAction {
        /// Use this idle connection.
        case use(Connection)
        /// A slot is reserved for the caller: open a connection (and call ``connectFailed()`` if
        /// that fails, or ``release(_:)`` / ``discard()`` when done with it).
        case connect
        /// Every slot is taken: wait (``enqueue(_:)``).
        case wait
        /// The pool is shut down.
        case closed
    }

    /// Who gets a released connection.
    public enum ReleaseAction {
        /// Hand it to this waiter.
        case handTo(WaiterID, Connection)
        /// It went back to the idle list.
        case keep
        /// The pool is shut down: close it.
        case close(Connection)
    }

    /// Who gets a freed slot (a connection closed or never opened).
    public enum SlotAction: Hashable {
        /// This waiter may open a connection in the slot (reserved for it).
        case connect(WaiterID)
        /// No one waits.
        case none
    }

    public private(set) var idle: [Connection]
    /// Connections that exist or are being opened (≤ ``limit``).
    public private(set) var open: Int
    public let limit: Int
    public private(set) var isShutDown = false
    private var queue = CircularBuffer<WaiterID>()
    /// Waiters still queued (cancelled ones are removed here and skipped in `queue`).
    private var queued = Set<WaiterID>()

    /// - Parameters:
    ///   - limit: the most connections at once, ≥ 1.
    ///   - idle: connections that already exist (a fixed pool passes all of them, `limit` of
    ///     them; a pool that connects on demand passes none).
    public init(limit: Int, idle: [Connection] = []) {
        precondition(limit >= 1 && idle.count <= limit, "a pool needs 1 ... limit connections")
        self.limit = limit
        self.idle = idle
        self.open = idle.count
    }

    /// Waiters queued now.
    public var waiting: Int { queued.count }

    /// A caller wants a connection.
    public mutating func lease() -> LeaseAction {
        if isShutDown { return .closed }
        if let c = idle.popLast() { return .use(c) }
        if open < limit { open += 1; return .connect }
        return .wait
    }

    /// Decides again for a caller about to wait (under the same lock that parks it, so a
    /// connection released in between is not missed): returns what it may do instead, or `nil`
    /// when it was queued as `id`.
    public mutating func enqueue(_ id: WaiterID) -> LeaseAction? {
        let now = lease()
        guard case .wait = now else { return now }
        queue.append(id)
        queued.insert(id)
        return nil
    }

    /// A waiter was cancelled: `true` if it left the queue (the shell resumes it with its
    /// cancellation); `false` if it had already been served (its resume is under way).
    public mutating func cancel(_ id: WaiterID) -> Bool {
        queued.remove(id) != nil
    }

    /// A leased connection is free again.
    public mutating func release(_ connection: Connection) -> ReleaseAction {
        if isShutDown { open -= 1; return .close(connection) }
        if let id = nextWaiter() { return .handTo(id, connection) }
        idle.append(connection)
        return .keep
    }

    /// A leased connection was closed (broken, not kept alive, closed by the server while
    /// idle): its slot is free.
    public mutating func discard() -> SlotAction {
        open -= 1
        return slotFreed()
    }

    /// Opening a connection in a reserved slot failed: the slot is free again.
    public mutating func connectFailed() -> SlotAction {
        discard()
    }

    /// Stops the pool: later leases are ``LeaseAction/closed``.
    /// - Returns: the idle connections (to close) and the waiters (to resume with the shutdown).
    public mutating func shutdown() -> (idle: [Connection], waiters: [WaiterID]) {
        isShutDown = true
        let connections = idle
        open -= idle.count
        idle = []
        var waiters: [WaiterID] = []
        while let id = queue.popFirst() {
            if queued.remove(id) != nil { waiters.append(id) }
        }
        return (connections, waiters)
    }

    private mutating func slotFreed() -> SlotAction {
        guard !isShutDown, let id = nextWaiter() else { return .none }
        open += 1
        return .connect(id)
    }

    /// The oldest waiter not cancelled, taken off the queue.
    private mutating func nextWaiter() -> WaiterID? {
        while let id = queue.popFirst() {
            if queued.remove(id) != nil { return id }
        }
        return nil
    }
}

extension PoolStateMachine: Sendable where Connection: Sendable {}
