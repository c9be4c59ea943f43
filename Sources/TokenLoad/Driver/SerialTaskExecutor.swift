import Dispatch
import TokenResults

/// A task executor that runs every job on one serial Dispatch queue: the lanes of one worker
/// (one per virtual user, for targets whose operations wait on I/O) share the worker's state
/// and recorder without locks, because no two of them ever run at the same time. A lane
/// suspends at each HTTP request and the queue runs another.
package final class SerialTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: the queue is the synchronization; the class holds nothing else.
    private let queue: DispatchQueue

    package init(label: String) {
        queue = DispatchQueue(label: label)
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
