import Foundation
import TokenResults

/// The console output of `tokenbench capacity`: a table of steps, then the answer line.
public enum CapacityConsole {
    /// One line per step as it ends (progress on stderr).
    /// - Parameter search: the search's settings, which say what rate is stepped (refreshes or arrivals).
    public static func stepLine(_ s: CapacityStep, search: CapacitySettings? = nil) -> String {
        let why = s.reasons.isEmpty ? "" : ": " + s.reasons.joined(separator: "; ")
        return "step \(s.index) (\(s.stage)) \(search?.rateText(s.intendedRate) ?? Units.opsRate(s.intendedRate)): achieved \(Units.grouped(s.achievedRate))/s, \(s.verdict.rawValue)\(why)"
    }

    /// The table of steps: intended and achieved rate, p50 / p99 / p99.9 per operation (ms),
    /// errors and verdict; then the answer.
    public static func render(_ c: CapacityResult) -> String {
        let operations = Operation.allCases.map(\.rawValue).filter { op in
            c.steps.contains { ($0.result.operations[op]?.count ?? 0) > 0 }
        }
        var header = pad("step", 5) + pad("stage", 8) + lpad("intended/s", 11) + lpad("achieved/s", 11)
        for op in operations { header += lpad("\(op) p50/p99/p99.9 ms", 28) }
        header += lpad("errors", 8) + "  verdict"
        var lines = [header, String(repeating: "-", count: header.count + 8)]
        for s in c.steps {
            var row = pad("\(s.index)", 5) + pad(s.stage, 8) + lpad(Units.grouped(s.intendedRate), 11)
                + lpad(Units.grouped(s.achievedRate), 11)
            for op in operations {
                if let o = s.result.operations[op], o.count > 0 {
                    let l = o.latencyUs
                    row += lpad("\(ms(l.p50))/\(ms(l.p99))/\(ms(l.p999))", 28)
                } else {
                    row += lpad("-", 28)
                }
            }
            row += lpad("\(s.result.operations.values.reduce(0) { $0 + $1.errors })", 8) + "  " + s.verdict.rawValue
            lines.append(row)
        }
        lines.append("")
        for s in c.steps where !s.reasons.isEmpty {
            lines.append("step \(s.index): " + s.reasons.joined(separator: "; "))
        }
        if !c.judgesDriverLag {
            lines.append("note: in-process, the core runs on the driver's own threads: the capacity is the process's, driver included (--target noop shows the driver's own ceiling)")
        }
        lines.append(c.answer.line)
        if let sizing = c.answer.sizing { lines.append(sizing.line) }
        return lines.joined(separator: "\n")
    }

    package static func ms(_ us: Double) -> String {
        let v = us / 1000
        if v >= 100 { return String(format: "%.0f", v) }
        if v >= 10 { return String(format: "%.1f", v) }
        return String(format: "%.2f", v)
    }

    package static func pad(_ s: String, _ n: Int) -> String { ConsoleReport.pad(s, n) }
    package static func lpad(_ s: String, _ n: Int) -> String { ConsoleReport.lpad(s, n) }
}
