import NIOCore

/// A task executor that runs its jobs on one NIO event loop: TokenBench's one event-loop
/// executor. The driver runs a worker's lanes on the loop its connections live on (a request is
/// written, and its answer resumes the lane on the same thread, with no cross-thread wake-up;
/// measured: the Dispatch-queue executor's two wake-ups per request were the driver's largest
/// cost), and the PostgreSQL store keeps an operation on postgres-nio's loop. One event loop is
/// one thread, so the jobs never run at the same time.
public final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: holds only the event loop, which is thread-safe.
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
