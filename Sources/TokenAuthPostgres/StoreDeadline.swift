import NIOCore
import NIOPosix
import TokenAuth
import TokenPool

/// Runs a store operation with a deadline, so that a server that stopped answering gives
/// ``StoreError/Code/unavailable`` after `seconds` instead of a request that hangs (fail
/// closed; case X2).
///
/// The caller gets its answer at the deadline even if the operation does not react to
/// cancellation at once (a connection pool waiting out a back-off, say): the operation runs in
/// a task of its own, which is cancelled and left to finish in the background.
/// - Throws: the operation's error, or ``StoreError`` `.unavailable` at the deadline.
func withStoreDeadline<R: Sendable>(
    _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> R
) async throws -> R {
    let once = ResumeOnce<R>()
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<R, any Error>) in
        once.arm(continuation)
        // On an event loop (postgres-nio's I/O threads), the operation stays on it: no hop to
        // the cooperative pool and back.
        let executor = MultiThreadedEventLoopGroup.currentEventLoop.map(EventLoopTaskExecutor.init)
        let work = Task(executorPreference: executor) {
            do { once.resume(.success(try await body())) } catch { once.resume(.failure(error)) }
        }
        let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
            if once.resume(.failure(StoreError(.unavailable, "\(what): no answer within \(seconds) s"))) { work.cancel() }
        }
        once.onResume { timer.cancel() }
    }
}

/// A continuation resumed by whichever comes first.
private final class ResumeOnce<R: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<R, any Error>?
        var done = false
        var onResume: (@Sendable () -> Void)?
    }
    private let state = Locked(State())

    func arm(_ c: CheckedContinuation<R, any Error>) { state.withLock { $0.continuation = c } }

    func onResume(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s -> Bool in
            if s.done { return true }
            s.onResume = action
            return false
        }
        if runNow { action() }
    }

    /// - Returns: `true` if this call resumed the continuation.
    @discardableResult
    func resume(_ result: Result<R, any Error>) -> Bool {
        let taken = state.withLock { s -> (CheckedContinuation<R, any Error>, (@Sendable () -> Void)?)? in
            guard !s.done, let c = s.continuation else { return nil }
            s.done = true
            s.continuation = nil
            return (c, s.onResume)
        }
        guard let (c, action) = taken else { return false }
        action?()
        c.resume(with: result)
        return true
    }
}
