#if canImport(Glibc)
import Glibc
#endif
import Prometheus
import TokenAuth
import TokenLoad
import TokenResults

/// `serve`'s standard process metrics, the names every Prometheus client library exports
/// (prometheus.io, "Writing client libraries", Process metrics), read from `/proc` at each
/// scrape of `/metrics`:
/// - `process_cpu_seconds_total`: user plus system CPU time, seconds (counter) — what
///   `tokenbench run --target-metrics` reads for the server's CPU per operation;
/// - `process_resident_memory_bytes`, `process_virtual_memory_bytes`;
/// - `process_open_fds`, `process_max_fds` (the soft `RLIMIT_NOFILE`);
/// - `process_start_time_seconds`: Unix seconds.
final class ProcessMetrics: Sendable {
    private let cpu: Counter
    private let resident: Gauge
    private let virtual: Gauge
    private let openFDs: Gauge
    private let maxFDs: Gauge
    private let startTime: Gauge
    /// The CPU seconds already added to the counter (scrapes may run side by side).
    private let counted = Locked<Double>(0)

    init(registry: PrometheusCollectorRegistry) {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "process", metricName: metric, unitName: unit, helpText: help)
        }
        cpu = registry.makeCounter(descriptor: name("cpu", "seconds_total", "Total user and system CPU time spent in seconds."))
        resident = registry.makeGauge(descriptor: name("resident_memory", "bytes", "Resident memory size in bytes."))
        virtual = registry.makeGauge(descriptor: name("virtual_memory", "bytes", "Virtual memory size in bytes."))
        openFDs = registry.makeGauge(descriptor: name("open", "fds", "Number of open file descriptors."))
        maxFDs = registry.makeGauge(descriptor: name("max", "fds", "Maximum number of open file descriptors."))
        startTime = registry.makeGauge(descriptor: name("start_time", "seconds", "Start time of the process since unix epoch in seconds."))
        if let start = ProcessCPU.ownStartTime() { startTime.set(start) }
    }

    /// Reads `/proc/self` and updates the metrics.
    func collect() {
        let now = ProcessCPU.own()
        counted.withLock { total in
            // Only forward: the counter never goes down, and two scrapes never add one interval twice.
            if now > total {
                cpu.increment(by: now - total)
                total = now
            }
        }
        if let bytes = ProcessMemory.residentBytes() { resident.set(Double(bytes)) }
        if let bytes = ProcessMemory.virtualBytes() { virtual.set(Double(bytes)) }
        if let sample = ProcessSample.now() { openFDs.set(Double(sample.openDescriptors)) }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maxFDs.set(Double(limit.rlim_cur)) }
    }
}
