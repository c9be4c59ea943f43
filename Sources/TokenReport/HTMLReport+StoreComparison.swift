import Foundation
import TokenResults

extension HTMLReport {
    /// The report of `capacity --store A --store B …`: every store's answer; the first
    /// objective's p99 by intended rate, one line per store, with the SLO and the common rate
    /// marked; the side-by-side table (``CapacityConsole/storeComparisonTable(_:)``); each
    /// store's step at the common rate; links to each store's own capacity report.
    public static func storeComparison(_ c: StoreComparison) -> String {
        let title = "TokenBench store comparison: \(c.stores.map(\.store).joined(separator: ", "))"
        let found = c.stores.allSatisfy { $0.capacity.answer.outcome == .found }
        var body = header(title: title, verdict: found ? "compared" : "not every store has an answer", style: found ? "pass" : "inconclusive",
                          subtitle: "\(c.stores.count) stores · SLO \(c.slo.joined(separator: ", ")) · searched one after the other, same settings")
        body += "<section id=\"answers\"><h2>Answers</h2>"
        body += table(["store", "answer", "sizing"], c.stores.map { e in
            [e.store, e.capacity.answer.line, e.capacity.answer.sizing?.line ?? "-"]
        })
        body += "<p>Each store's own capacity report: " + c.stores.enumerated().map { i, e in
            let path = escape("store-\(i + 1)-\(e.store)/report.html")
            return "<a href=\"\(path)\">\(path)</a>"
        }.joined(separator: ", ") + ".</p>"
        let (header, rows) = CapacityConsole.storeComparisonTable(c)
        body += table(header, rows)
        body += "<p>" + escape(c.commonRate.map { "Common rate \(c.search.rateText($0)): the lowest answer, which every store with an answer passed; each store ran one more step there, and its store tool ran right after it against the same server with as many clients as the store's pool has connections." }
                              ?? "No common rate: no store has an answer.")
            + " CPU per operation is TokenBench's process (the core in-process with its driver and the store client), not the store server's.</p>"
        body += "</section>\n"
        let op = c.slo.first.flatMap { try? SLO(parsing: $0) }?.operation ?? "refresh"
        let latencySLOs = c.slo.compactMap { try? SLO(parsing: $0) }.filter { $0.metric.isLatency && $0.operation == op }
        let series = c.stores.map { e in
            SVGChart.Series(name: e.store, points: e.capacity.steps.sorted { $0.intendedRate < $1.intendedRate }.compactMap { s in
                s.result.operations[op].flatMap { $0.count > 0 ? (s.intendedRate, $0.latencyUs.p99) : nil }
            }, markers: true)
        }
        let all = series.flatMap { $0.points.map(\.y) } + latencySLOs.map(\.threshold)
        // Stores a hundred times apart (memory and PostgreSQL) share the chart on a log axis.
        let rates = series.flatMap { $0.points.map(\.x) }
        let wide = (rates.max() ?? 0) > 20 * max(rates.min() ?? 0, 1e-9)
        body += "<section id=\"p99-by-rate\"><h2>\(escape(op)) p99 by rate, per store</h2>"
        body += SVGChart(
            id: "stores-p99", title: "\(op) p99 by intended rate, every step of every store's search", xLabel: "intended rate (\(c.search.operation == "refresh" ? "refreshes" : "ops")/s)",
            yLabel: "\(op) p99 (\(unitName(all)))", xScale: wide ? .log : .linear, yScale: logScale(all) ? .log : .linear, yDivisor: divisor(all),
            series: series,
            horizontalRules: latencySLOs.map { SVGChart.Rule(label: "SLO \($0.text)", value: $0.threshold) },
            verticalRules: c.commonRate.map { [SVGChart.Rule(label: "common \(c.search.rateText($0))", value: $0)] } ?? [],
            table: (["store", "step", "intended (/s)", "\(op) p99 (µs)", "verdict"], c.stores.flatMap { e in
                e.capacity.steps.map { s in [e.store, "\(s.index)", num(s.intendedRate), s.result.operations[op].map { num($0.latencyUs.p99) } ?? "-", s.verdict.rawValue] }
            })
        ).html()
        body += "</section>\n"
        if c.commonRate != nil {
            let runs = c.stores.compactMap { e in e.atCommonRate.map { (e.store, $0) } }
            for o in Operation.allCases.map(\.rawValue) {
                let present = runs.filter { ($0.1.operations[o]?.count ?? 0) > 0 }
                guard !present.isEmpty else { continue }
                body += "<section id=\"common-\(o)\"><h2>\(escape(o)) at the common rate</h2>"
                body += spectrumChart(id: "common-spectrum-\(o)", title: "\(o): latency spectrum by store at the common rate",
                                      present.map { ($0.0, $0.1.operations[o]!) }, slos: c.slo.compactMap { try? SLO(parsing: $0) }.filter { $0.operation == o })
                body += "</section>\n"
            }
        }
        body += "<section id=\"references\"><h2>Store tools</h2>"
        body += table(["store", "tool", "workload", "clients", "ops/s", "note"], c.stores.compactMap { e in
            e.reference.map { [e.store, $0.tool, $0.workload, "\($0.clients)", $0.operationsPerS.map(num) ?? "-", $0.note ?? ""] }
        })
        body += "</section>\n"
        if let first = c.stores.first {
            body += settingsSection(config: first.capacity.config, environment: first.capacity.environment)
        }
        return page(title: title, body: body)
    }
}
