import Foundation

/// `cpu` of `result.json`: the CPU time spent over the measured window, per operation, by
/// TokenBench's own process and, when given (`--target-pid`, `--store-pid`), by the server and
/// the store on this machine. Sizing is done in CPU: "1 vCPU per N operations/s" is
/// ``Process/operationsPerCPUSecond``.
public struct CPUSummary: Codable, Sendable, Hashable {
    /// One process, or one process and its descendants.
    public struct Process: Codable, Sendable, Hashable {
        /// The process: `tokenbench` (this process), or `pid 4242`.
        public var name: String
        /// How many processes were counted: the process and its descendants (a store's
        /// postmaster and its backends), at the end of the window.
        public var processes: Int
        /// User plus system CPU over the measured window, seconds (`/proc/PID/stat` utime,
        /// stime, and the cutime and cstime of children that ended).
        public var cpuSeconds: Double
        /// CPU time per operation of the run, µs.
        public var microsecondsPerOperation: Double
        /// Operations per CPU-second: what one fully used vCPU serves at this mix.
        public var operationsPerCPUSecond: Double

        package init(name: String, processes: Int, cpuSeconds: Double, operations: Int) {
            self.name = name
            self.processes = processes
            self.cpuSeconds = (cpuSeconds * 1000).rounded() / 1000
            microsecondsPerOperation = operations > 0 ? (cpuSeconds * 1e6 / Double(operations) * 100).rounded() / 100 : 0
            operationsPerCPUSecond = cpuSeconds > 0 ? (Double(operations) / cpuSeconds).rounded() : 0
        }

        enum CodingKeys: String, CodingKey {
            case name, processes
            case cpuSeconds = "cpu_s"
            case microsecondsPerOperation = "us_per_operation"
            case operationsPerCPUSecond = "operations_per_cpu_s"
        }
    }

    /// The operations the figures divide by: every operation of the measured window.
    public var operations: Int
    /// TokenBench's process: the driver, and for the in-process target the core and its store
    /// client too.
    public var tokenbench: Process
    /// `--target-pid`: the server.
    public var target: Process?
    /// `--store-pid`: the store, with its descendants.
    public var store: Process?

    package init(operations: Int, tokenbench: Process, target: Process? = nil, store: Process? = nil) {
        self.operations = operations
        self.tokenbench = tokenbench
        self.target = target
        self.store = store
    }
}
