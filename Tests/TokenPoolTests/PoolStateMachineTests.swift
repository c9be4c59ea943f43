import Testing
@testable import TokenPool

@Suite("The pool's state machine: FIFO hand-off, slots, cancellation, shutdown (no I/O)")
struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<String>

    static func used(_ a: Machine.LeaseAction) -> String? {
        if case .use(let c) = a { return c }
        return nil
    }

    static func handed(_ a: Machine.ReleaseAction) -> (Machine.WaiterID, String)? {
        if case .handTo(let id, let c) = a { return (id, c) }
        return nil
    }

    @Test func aFixedPoolHandsItsConnectionsOutThenQueuesWaitersInOrder() {
        var m = Machine(limit: 2, idle: ["a", "b"])
        #expect(Self.used(m.lease()) == "b")
        #expect(Self.used(m.lease()) == "a")
        guard case .wait = m.lease() else { Issue.record("a third lease of two connections must wait"); return }
        let r1 = m.enqueue(1)
        #expect(r1 == nil)
        let r2 = m.enqueue(2)
        #expect(r2 == nil)
        #expect(m.waiting == 2)
        let first = Self.handed(m.release("a"))
        #expect(first?.0 == 1 && first?.1 == "a")
        let second = Self.handed(m.release("b"))
        #expect(second?.0 == 2 && second?.1 == "b")
        guard case .keep = m.release("a") else { Issue.record("with no waiter, a release keeps the connection"); return }
        #expect(m.idle == ["a"])
        #expect(m.open == 2)
    }

    @Test func enqueueDecidesAgainSoAReleaseInBetweenIsNotMissed() {
        var m = Machine(limit: 1, idle: ["a"])
        _ = m.lease()
        guard case .wait = m.lease() else { Issue.record("must wait"); return }
        _ = m.release("a") // released between the caller's lease and its enqueue
        #expect(Self.used(m.enqueue(7) ?? .wait) == "a")
        #expect(m.waiting == 0)
    }

    @Test func aCancelledWaiterLeavesTheQueueAndIsSkipped() {
        var m = Machine(limit: 1, idle: ["a"])
        _ = m.lease()
        for id in 1...3 { let r = m.enqueue(Machine.WaiterID(id)); #expect(r == nil) }
        let r3 = m.cancel(2)
        #expect(r3)
        #expect(m.waiting == 2)
        #expect(Self.handed(m.release("a"))?.0 == 1)
        #expect(Self.handed(m.release("a"))?.0 == 3)
        let r4 = m.cancel(3)
        #expect(!r4, "a waiter already served is not cancelled: its hand-off is under way")
        let r5 = m.cancel(42)
        #expect(!r5, "an unknown waiter")
    }

    @Test func manyCancelledWaitersCostNothingAtTheFront() {
        var m = Machine(limit: 1, idle: ["a"])
        _ = m.lease()
        for id in 1...100_000 { _ = m.enqueue(Machine.WaiterID(id)) }
        for id in 1..<100_000 { let r = m.cancel(Machine.WaiterID(id)); #expect(r) }
        #expect(m.waiting == 1)
        #expect(Self.handed(m.release("a"))?.0 == 100_000)
        #expect(m.waiting == 0)
    }

    @Test func onDemandSlotsAreReservedAndAFreedSlotGoesToTheOldestWaiter() {
        var m = Machine(limit: 2)
        guard case .connect = m.lease(), case .connect = m.lease() else { Issue.record("two slots to open"); return }
        #expect(m.open == 2)
        guard case .wait = m.lease() else { Issue.record("no third slot"); return }
        _ = m.enqueue(1)
        _ = m.enqueue(2)
        let r6 = m.connectFailed()
        #expect(r6 == .connect(1), "a failed connect frees its slot for the oldest waiter")
        #expect(m.open == 2)
        let r7 = m.discard()
        #expect(r7 == .connect(2))
        let r8 = m.discard()
        #expect(r8 == .none)
        #expect(m.open == 1)
    }

    @Test func shutdownReturnsIdleConnectionsAndLiveWaitersThenRefusesEverything() {
        var m = Machine(limit: 3, idle: ["a", "b", "c"])
        _ = m.lease()
        _ = m.lease()
        _ = m.lease()
        _ = m.release("c")
        _ = m.lease()
        _ = m.enqueue(1)
        _ = m.enqueue(2)
        let r9 = m.cancel(1)
        #expect(r9)
        let (idle, waiters) = m.shutdown()
        #expect(idle.isEmpty)
        #expect(waiters == [2])
        guard case .closed = m.lease() else { Issue.record("a shut-down pool refuses leases"); return }
        guard case .close(let c) = m.release("a") else { Issue.record("a connection released after shutdown is closed"); return }
        #expect(c == "a")
        let r10 = m.discard()
        #expect(r10 == .none, "a freed slot after shutdown goes to no one")
    }
}

extension PoolStateMachine.LeaseAction: Equatable where Connection: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.use(let x), .use(let y)): x == y
        case (.connect, .connect), (.wait, .wait), (.closed, .closed): true
        default: false
        }
    }
}
