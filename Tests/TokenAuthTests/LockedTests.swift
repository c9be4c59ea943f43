import Dispatch
import Testing
import TokenAuth

/// ``Locked``: TokenBench's one lock type (NIOLock underneath, which ThreadSanitizer sees).
@Suite("Locked")
struct LockedTests {
    @Test("four threads incrementing one counter under the lock lose no update")
    func noLostUpdates() {
        let counter = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<25_000 { counter.withLock { $0 += 1 } }
        }
        #expect(counter.withLock { $0 } == 100_000)
    }

    @Test("withLock returns the body's value and rethrows its typed error, releasing the lock")
    func returnsAndThrows() {
        struct Refused: Error, Equatable {}
        let value = Locked([1, 2, 3])
        #expect(value.withLock { $0.reduce(0, +) } == 6)
        #expect(throws: Refused.self) {
            try value.withLock { (v: inout [Int]) throws(Refused) -> Void in
                v.append(4)
                throw Refused()
            }
        }
        // The lock was released by the throw (a second withLock would deadlock otherwise),
        // and what the body wrote before throwing stays written.
        #expect(value.withLock { $0 } == [1, 2, 3, 4])
    }
}
