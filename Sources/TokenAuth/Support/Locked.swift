import NIOConcurrencyHelpers

/// A value behind a lock, reached only inside ``withLock(_:)``: TokenBench's one lock type.
///
/// The lock is SwiftNIO's `NIOLock` (a `pthread_mutex_t`), which ThreadSanitizer intercepts.
/// `Synchronization.Mutex` is not used because on Linux its fast path is a futex word that
/// ThreadSanitizer cannot see: every access made under it is reported as a race
/// (`script/sanitize thread`, and a four-thread counter under `Mutex` reproduces it), which
/// would hide the real ones. The API mirrors `Mutex`'s, so a call site reads the same.
///
/// Non-copyable like `Mutex`: the value lives in one heap cell owned by this lock, freed with it.
/// Not reentrant: calling ``withLock(_:)`` on the same lock inside `body` deadlocks.
public struct Locked<Value: ~Copyable>: ~Copyable, @unchecked Sendable {
    // @unchecked: `value` is read and written only between `lock.lock()` and `lock.unlock()`.
    @usableFromInline let lock = NIOLock()
    @usableFromInline let value: UnsafeMutablePointer<Value>

    /// - Parameter initial: the protected value, moved in.
    public init(_ initial: consuming Value) {
        value = .allocate(capacity: 1)
        value.initialize(to: initial)
    }

    deinit {
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` with exclusive access to the value and returns what it returns.
    ///
    /// - Throws: what `body` throws (typed); the lock is released either way.
    @inlinable
    public borrowing func withLock<Result: ~Copyable, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value.pointee)
    }
}
