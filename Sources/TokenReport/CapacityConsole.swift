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

    /// The side-by-side table of a store comparison, for the console and the report: per store
    /// its answer; at the common rate the first objective's operation's p50 / p99 (ms),
    /// TokenBench's CPU per operation (the in-process core with its driver and the store
    /// client) and operations per vCPU, and the store's contention counters over that step;
    /// then its reference tool and the capacity's ratio to it.
    package static func storeComparisonTable(_ c: StoreComparison) -> (header: [String], rows: [[String]]) {
        let op = c.slo.first.flatMap { try? SLO(parsing: $0) }?.operation ?? "refresh"
        let at = c.commonRate.map { " at \(c.search.rateText($0))" } ?? ""
        let header = ["store", "capacity", "\(op) p50/p99 ms\(at)", "CPU µs/op", "ops per vCPU", "retries", "serialization failures",
                      "pool waits", "reference", "capacity ÷ reference"]
        let rows = c.stores.map { e -> [String] in
            let answer = e.capacity.answer
            let capacity = answer.rate.map { (answer.outcome == .atLeast ? "≥ " : "") + c.search.rateText($0) } ?? answer.outcome.rawValue
            var row = [e.store, capacity]
            if let r = e.atCommonRate {
                row.append(r.operations[op].map { $0.count > 0 ? "\(ms($0.latencyUs.p50))/\(ms($0.latencyUs.p99))" : "-" } ?? "-")
                row.append(r.cpu.map { Units.figure($0.tokenbench.microsecondsPerOperation) } ?? "-")
                row.append(r.cpu.map { Units.grouped($0.tokenbench.operationsPerCPUSecond) } ?? "-")
                let counters = r.store?.counters
                row += [counters?.retries, counters?.serializationFailures, counters?.poolWaits].map { $0.map { "\($0)" } ?? "-" }
            } else {
                row += Array(repeating: "-", count: 6)
            }
            if let ref = e.reference {
                row.append(ref.operationsPerS.map { "\(ref.tool) \(Units.grouped($0))/s (\(ref.clients) clients)" } ?? "\(ref.tool): \(ref.note ?? "no figure")")
            } else {
                row.append("-")
            }
            row.append(e.referenceRatio.map { (answer.outcome == .atLeast ? "≥ " : "") + String(format: "%.1f %%", $0 * 100) } ?? "-")
            return row
        }
        return (header, rows)
    }

    /// The console's store comparison: each store's answer line, then the side-by-side table.
    public static func storeComparison(_ c: StoreComparison) -> String {
        var lines = c.stores.map { "\($0.store): \($0.capacity.answer.line)" }
        lines.append(c.commonRate.map { "common rate: \(c.search.rateText($0)) (the lowest answer; every store ran one more step there)" }
                     ?? "common rate: none (no store has an answer)")
        let (header, rows) = storeComparisonTable(c)
        let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in i < 2 ? pad(cell, widths[i] + 2) : lpad(cell, widths[i] + 2) }.joined()
        }
        lines.append("")
        lines.append(line(header))
        lines.append(String(repeating: "-", count: widths.reduce(0) { $0 + $1 + 2 }))
        lines += rows.map(line)
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
