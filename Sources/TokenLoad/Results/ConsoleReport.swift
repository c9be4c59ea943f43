import Foundation

/// The console summary of a run: one table of operations and phases, then invariants.
public enum ConsoleReport {
    public static func render(_ r: RunResult) -> String {
        var lines: [String] = []
        let header = pad("operation", 15) + lpad("count", 10) + lpad("errors", 8) + lpad("ops/s", 11)
            + lpad("p50", 10) + lpad("p90", 10) + lpad("p99", 10) + lpad("p99.9", 10) + lpad("max", 10) + "   (latency µs)"
        lines.append(header)
        lines.append(String(repeating: "-", count: header.count))
        func row(_ name: String, _ s: OperationSummary) {
            lines.append(pad(name, 15) + lpad("\(s.count)", 10) + lpad("\(s.errors)", 8) + lpad(fmt(s.throughputPerS), 11)
                + lpad(fmt(s.latencyUs.p50), 10) + lpad(fmt(s.latencyUs.p90), 10) + lpad(fmt(s.latencyUs.p99), 10)
                + lpad(fmt(s.latencyUs.p999), 10) + lpad(fmt(s.latencyUs.max), 10))
        }
        for op in Operation.allCases { if let s = r.operations[op.rawValue] { row(op.rawValue, s) } }
        if !r.phases.isEmpty {
            lines.append("phases (in-process)")
            for (name, s) in r.phases.sorted(by: { $0.key < $1.key }) { row("  " + name, s) }
        }
        let total = r.operations.values.reduce(0) { $0 + $1.count }
        lines.append("")
        lines.append("total \(total) operations in \(fmt(r.measuredSeconds)) s = \(fmt(Double(total) / r.measuredSeconds)) ops/s; "
            + "driver scheduling lag p99 \(fmt(r.schedulingLagUs.p99)) µs, max \(fmt(r.schedulingLagUs.max)) µs")
        let errors = r.operations.flatMap { op, s in s.errorsByKind.map { "\(op).\($0.key)=\($0.value)" } }.sorted()
        if !errors.isEmpty { lines.append("errors: " + errors.joined(separator: ", ")) }
        lines.append("hostile requests: \(r.hostile.attempts) sent, \(r.hostile.rejected) refused")
        let kinds = r.invariants.byKind.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", ")
        lines.append("invariants: \(r.invariants.checked) checked, \(r.invariants.violations) violated" + (kinds.isEmpty ? "" : " (\(kinds))"))
        for s in r.slo {
            lines.append("slo \(s.slo): \(s.passed ? "pass" : "BREACH") (observed \(s.observed.map(fmt) ?? "n/a"))")
        }
        lines.append("verdict: \(r.verdict)")
        return lines.joined(separator: "\n")
    }

    static func fmt(_ v: Double) -> String {
        if v >= 1000 { return String(format: "%.0f", v) }
        if v >= 10 { return String(format: "%.1f", v) }
        return String(format: "%.2f", v)
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    static func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }

    /// One progress line.
    public static func progressLine(_ p: ProgressSnapshot) -> String {
        let phase = p.warmingUp ? "warm-up " : ""
        return "\(phase)\(fmt(p.elapsed))/\(fmt(p.total)) s  \(p.operationsPerSecond) ops/s  p99 \(fmt(p.p99Us)) µs  errors \(p.errors)  violations \(p.violations)"
    }
}
