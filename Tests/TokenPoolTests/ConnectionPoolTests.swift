import NIOConcurrencyHelpers
import Testing
import TokenPool

@Suite("ConnectionPool: waiters, cancellation, connect failures, shutdown (real tasks)")
struct ConnectionPoolTests {
    struct Refused: Error {}

    /// Waits until the pool has `n` waiters (the other task parked), at most 5 s.
    static func waitForWaiters<C>(_ pool: ConnectionPool<C>, _ n: Int) async throws {
        for _ in 0..<5_000 where pool.waiting != n { try await Task.sleep(for: .milliseconds(1)) }
        #expect(pool.waiting == n)
    }

    @Test func aCancelledWaiterLeavesTheQueueAndTheNextReleaseKeepsTheConnection() async throws {
        let pool = ConnectionPool(["only"])
        let held = try await pool.lease()
        let waiter = Task { try await pool.lease() }
        try await Self.waitForWaiters(pool, 1)
        waiter.cancel()
        let outcome = await waiter.result
        guard case .failure(let error as ConnectionPoolError) = outcome, case .cancelled = error else {
            Issue.record("a cancelled waiter must end with .cancelled, got \(outcome)")
            return
        }
        #expect(pool.waiting == 0)
        #expect(pool.release(held) == nil)
        // The connection went back to the idle list, not to the cancelled waiter.
        let again = try await pool.lease()
        #expect(again == "only")
    }

    @Test func waitersAreServedInOrderAndTheirWaitIsReported() async throws {
        let waits = Counter()
        let pool = ConnectionPool(["c"], onWait: { _ in waits.add() })
        let held = try await pool.lease()
        let order = Recorder()
        let first = Task { let c = try await pool.lease(); order.append(1); pool.release(c) }
        try await Self.waitForWaiters(pool, 1)
        let second = Task { let c = try await pool.lease(); order.append(2); pool.release(c) }
        try await Self.waitForWaiters(pool, 2)
        pool.release(held)
        try await first.value
        try await second.value
        #expect(order.values == [1, 2])
        #expect(waits.value == 2)
    }

    @Test func aFailedConnectFreesItsSlotForTheNextLease() async throws {
        let attempts = Counter()
        let pool = ConnectionPool<Int>(limit: 1, connect: {
            attempts.add()
            if attempts.value == 1 { throw Refused() }
            return attempts.value
        })
        await #expect(throws: ConnectionPoolError.self) { try await pool.lease() }
        #expect(try await pool.lease() == 2)
    }

    @Test func shutdownEndsWaitersAndLaterLeases() async throws {
        let pool = ConnectionPool(["c"])
        let held = try await pool.lease()
        let waiter = Task { try await pool.lease() }
        try await Self.waitForWaiters(pool, 1)
        #expect(pool.shutdown().isEmpty)
        guard case .failure(let error as ConnectionPoolError) = await waiter.result, case .shutDown = error else {
            Issue.record("a waiter must end with .shutDown")
            return
        }
        #expect(pool.release(held) == "c", "a connection released after shutdown comes back to be closed")
        await #expect(throws: ConnectionPoolError.self) { try await pool.lease() }
    }
}

final class Counter: Sendable {
    private let n = NIOLockedValueBox(0)
    func add() { n.withLockedValue { $0 += 1 } }
    var value: Int { n.withLockedValue { $0 } }
}

final class Recorder: Sendable {
    private let list = NIOLockedValueBox<[Int]>([])
    func append(_ v: Int) { list.withLockedValue { $0.append(v) } }
    var values: [Int] { list.withLockedValue { $0 } }
}
