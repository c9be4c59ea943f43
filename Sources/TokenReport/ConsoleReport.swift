import Foundation
import TokenResults

/// The console summary of a run: one table of operations and phases, then invariants.
public enum ConsoleReport {
    /// `cpu: tokenbench 61.2 µs per operation (16,300 operations per CPU-second); target pid 4242 44.0 µs (22,700); store pid 311 (9 processes) 80.1 µs (12,500)`.
    package static func cpuLine(_ cpu: CPUSummary) -> String {
        func one(_ label: String, _ p: CPUSummary.Process) -> String {
            "\(label)\(p.processes > 1 ? " (\(p.processes) processes)" : "") \(Units.figure(p.microsecondsPerOperation)) µs per operation (\(Units.figure(p.operationsPerCPUSecond)) operations per CPU-second)"
        }
        var parts = [one("tokenbench", cpu.tokenbench)]
        if let t = cpu.target { parts.append(one("target \(t.name)", t)) }
        if let s = cpu.store { parts.append(one("store \(s.name)", s)) }
        return "cpu: " + parts.joined(separator: "; ")
    }

    public static func render(_ r: RunResult) -> String {
        var lines: [String] = []
        let header = pad("operation", 15) + lpad("count", 10) + lpad("errors", 8) + lpad("ops/s", 11)
            + lpad("p50", 10) + lpad("p90", 10) + lpad("p99", 10) + lpad("p99.9", 10) + lpad("max", 10) + "   (latency µs)"
        lines.append(header)
        lines.append(String(repeating: "-", count: header.count))
        func row(_ name: String, _ s: OperationSummary) {
            lines.append(pad(name, 15) + lpad("\(s.count)", 10) + lpad("\(s.errors)", 8) + lpad(Units.figure(s.throughputPerS), 11)
                + lpad(Units.figure(s.latencyUs.p50), 10) + lpad(Units.figure(s.latencyUs.p90), 10) + lpad(Units.figure(s.latencyUs.p99), 10)
                + lpad(Units.figure(s.latencyUs.p999), 10) + lpad(Units.figure(s.latencyUs.max), 10))
        }
        for op in Operation.allCases { if let s = r.operations[op.rawValue] { row(op.rawValue, s) } }
        if !r.phases.isEmpty {
            lines.append("phases (in-process)")
            for (name, s) in r.phases.sorted(by: { $0.key < $1.key }) { row("  " + name, s) }
        }
        let total = r.operations.values.reduce(0) { $0 + $1.count }
        lines.append("")
        lines.append("total \(total) operations in \(Units.figure(r.measuredSeconds)) s = \(Units.figure(Double(total) / r.measuredSeconds)) ops/s; "
            + "driver scheduling lag p99 \(Units.figure(r.schedulingLagUs.p99)) µs, max \(Units.figure(r.schedulingLagUs.max)) µs")
        let errors = r.operations.flatMap { op, s in s.errorsByKind.map { "\(op).\($0.key)=\($0.value)" } }.sorted()
        if !errors.isEmpty { lines.append("errors: " + errors.joined(separator: ", ")) }
        // Per-status counts of every answer, as k6 and Locust users read them.
        let statuses = Operation.allCases.compactMap { op -> String? in
            guard let counts = r.operations[op.rawValue]?.responsesByStatus, !counts.isEmpty else { return nil }
            return "\(op.rawValue) " + counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        if !statuses.isEmpty { lines.append("responses by status: " + statuses.joined(separator: "; ")) }
        if let c = r.connections {
            var line = "connections: \(c.opened) opened, \(c.failed) failed; connect p50 \(Units.figure(c.connectUs.p50)) µs, p99 \(Units.figure(c.connectUs.p99)) µs"
            if let tls = c.tlsHandshakeUs { line += "; TLS handshake p50 \(Units.figure(tls.p50)) µs, p99 \(Units.figure(tls.p99)) µs" }
            if let wait = c.poolWaitUs { line += "; \(c.poolWaits) waits for a pooled connection, p99 \(Units.figure(wait.p99)) µs" }
            lines.append(line)
        }
        for (label, text) in HostileText.lines(r.hostile) { lines.append("\(label): \(text)") }
        let kinds = r.invariants.byKind.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", ")
        let unjudged = (r.invariants.unjudged ?? 0) > 0 ? ", \(r.invariants.unjudged!) not judged" : ""
        lines.append("invariants: \(r.invariants.checked) checked, \(r.invariants.violations) violated\(unjudged)" + (kinds.isEmpty ? "" : " (\(kinds))"))
        if let f = r.faults {
            for w in f.windows {
                lines.append("fault \(w.fault): \(w.errors) errors of \(w.operations) operations, \(w.falseValid) false valid, "
                    + (w.recoveryS.map { "recovered \(Units.figure($0)) s after the window" } ?? "NOT recovered by the end")
                    + (w.recoveryLimitUs.map { " (p99 back under \(Units.figure($0)) µs, the upper limit of \(w.baselineSeconds ?? 0) pre-fault seconds whose highest p99 was \(Units.figure(w.preFaultP99Us ?? 0)) µs)" } ?? ""))
            }
            if let a = f.audit {
                lines.append("families audited after the run: \(a.checked) checked, \(a.intact) intact, \(a.lost) lost, \(a.corrupted) corrupted, \(a.notJudged) not judged")
            }
        }
        if let cpu = r.cpu { lines.append(Self.cpuLine(cpu)) }
        let all = CPUPlacement.list(Array(0..<r.environment.cores))
        if let placement = r.environment.cpus, [placement.tokenbench, placement.target, placement.store].contains(where: { $0 != nil && $0 != all }) {
            lines.append("cores: \(placement.text) (of \(r.environment.cores))")
        }
        if let st = r.stability, r.measuredSeconds >= 60 {
            lines.append("stability: resident \(Units.figure(Double(st.residentMinBytes) / 1e6)) … \(Units.figure(Double(st.residentMaxBytes) / 1e6)) MB, drift \(Units.figure(st.residentDriftPercent)) %, "
                + "slope \(Units.figure(st.residentSlopeBytesPerHour / 1e6)) MB/h; descriptors \(st.descriptorsFirst ?? 0) → \(st.descriptorsLast ?? 0) (max \(st.descriptorsMax ?? 0))")
        }
        if let checks = r.invariants.checkedByKind, !checks.isEmpty {
            lines.append("  checked: " + checks.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        for s in r.slo {
            let observed = s.note ?? "observed \(s.observedText)"
            lines.append("slo \(s.slo): \(s.passed ? "pass" : "BREACH") (\(observed))")
        }
        for note in r.notes ?? [] { lines.append("note: \(note)") }
        for reason in r.inconclusive ?? [] { lines.append("inconclusive: \(reason)") }
        if let aborted = r.aborted { lines.append("stopped: \(aborted.message)") }
        lines.append("verdict: \(r.verdict)")
        return lines.joined(separator: "\n")
    }

    package static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    package static func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }

    /// One progress line; `rate` and `p99Us` cover the interval since the previous line
    /// (``ProgressInterval``).
    public static func progressLine(_ p: ProgressSnapshot, rate: Double, p99Us: Double) -> String {
        let phase = p.warmingUp ? "warm-up " : ""
        return "\(phase)\(Units.figure(p.elapsed))/\(Units.figure(p.total)) s  \(Int(rate.rounded())) ops/s  p99 \(Units.figure(p99Us)) µs  errors \(p.errors)  violations \(p.violations)"
    }

    /// One progress line for one second's snapshot.
    public static func progressLine(_ p: ProgressSnapshot) -> String {
        progressLine(p, rate: Double(p.operationsPerSecond), p99Us: p.p99Us)
    }
}

/// Adds up the once-a-second snapshots between two progress lines, so that a line printed
/// every 5 s gives the rate and p99 of those 5 s, not of the last one.
public struct ProgressInterval: Sendable {
    private var operations = 0
    private var histogram = LatencyHistogram.interval()
    private var since: Double = 0

    public init() {}

    /// Adds a snapshot; returns the line when `print` is true, and starts a new interval.
    public mutating func add(_ p: ProgressSnapshot, print: Bool) -> String? {
        operations += p.operationsPerSecond
        histogram.add(p.interval)
        guard print else { return nil }
        let seconds = max(p.elapsed - since, 1e-9)
        let p99 = histogram.totalCount == 0 ? 0 : Double(histogram.valueAtPercentile(99)) / 1000
        let line = ConsoleReport.progressLine(p, rate: Double(operations) / seconds, p99Us: p99)
        operations = 0
        histogram.reset()
        since = p.elapsed
        return line
    }
}
