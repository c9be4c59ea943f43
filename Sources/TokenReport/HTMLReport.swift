import Foundation
import TokenResults

/// Self-contained HTML reports: one file, no script, no external font, stylesheet or image (a
/// Content-Security-Policy forbids every fetch), charts as inline SVG, every chart's numbers
/// also as a table. The markup is well-formed XML, so a test (or any XML tool) can read it.
public enum HTMLReport {
    /// The report of one run: verdict, SLOs, invariants and hostile traffic; per operation the
    /// percentile spectrum with the SLO marked, throughput, p50 / p99 / max and errors per
    /// second; in-process, the phase breakdown; the store's contention curve when a sweep ran;
    /// then the configuration and environment.
    public static func run(_ r: RunResult, source: String? = nil) -> String {
        var body = header(title: "TokenBench run: \(r.scenario ?? r.environment.target)", verdict: r.verdict.rawValue,
                          subtitle: "\(r.environment.target) · started \(r.environment.startedAt) · \(Units.figure(r.measuredSeconds)) s measured" + (source.map { " · \($0)" } ?? ""))
        body += summarySection(r)
        body += operationsSection(r, slos: r.slo.map(\.slo))
        body += faultsSection(r)
        body += phasesSection(r)
        body += cpuSection(r)
        body += contentionSection(r)
        body += stabilitySection(r)
        body += settingsSection(config: r.config, environment: r.environment)
        return page(title: "TokenBench run: \(r.scenario ?? r.environment.target)", body: body)
    }

    /// The report of a capacity search: the answer; intended versus achieved rate and p99 per
    /// step with the SLO lines and the answer marked; the steps; the answer step's spectra;
    /// then the configuration and environment.
    public static func capacity(_ c: CapacityResult) -> String {
        let style = c.answer.outcome == .found ? "pass" : c.answer.outcome == .none ? "slo_breach" : c.answer.outcome.rawValue
        var body = header(title: "TokenBench capacity: \(c.scenario ?? c.environment.target)", verdict: c.answer.outcome.rawValue, style: style,
                          subtitle: "\(c.environment.target) · started \(c.environment.startedAt) · \(c.steps.count) steps")
        body += "<section id=\"answer\"><h2>Answer</h2><p class=\"answer\">\(escape(c.answer.line))</p>"
            + (c.answer.sizing.map { "<p class=\"sizing\">\(escape($0.line))</p>" } ?? "")
        body += table(["setting", "value"], [
            ["SLOs", c.slo.joined(separator: ", ")],
            ["start rate", Units.opsRate(c.search.startRate)], ["max rate", Units.opsRate(c.search.maxRate)],
            ["step", "\(Units.figure(c.search.stepWarmup)) s warm-up + \(Units.figure(c.search.stepDuration)) s measured"],
            ["precision", "\(Units.figure(c.search.precision * 100)) %"], ["confirmations", "\(c.search.confirm)"],
            ["generator-bound judged", c.judgesDriverLag ? "yes (scheduling lag over --max-lag)" : "no: in-process, the core runs on the driver's threads; the capacity is the process's"],
        ])
        body += "</section>\n"
        let answerRule = c.answer.rate.map { [SVGChart.Rule(label: "answer \(Units.opsRate($0))", value: $0)] } ?? []
        let indices = c.steps.map { Double($0.index) }
        body += "<section id=\"steps\"><h2>Steps</h2>"
        body += SVGChart(
            id: "capacity-rates", title: "Intended and achieved rate per step", xLabel: "step (in the order run)", yLabel: "rate (ops/s)",
            series: [
                .init(name: "intended", points: zip(indices, c.steps.map(\.intendedRate)).map { ($0, $1) }, dashed: true, markers: true),
                .init(name: "achieved", points: zip(indices, c.steps.map(\.achievedRate)).map { ($0, $1) }, markers: true),
            ],
            horizontalRules: answerRule,
            table: (["step", "stage", "intended (ops/s)", "achieved (ops/s)", "verdict"],
                    c.steps.map { ["\($0.index)", $0.stage, num($0.intendedRate), num($0.achievedRate), $0.verdict.rawValue] })
        ).html()
        let sloOps = Array(Set(c.slo.compactMap { try? SLO(parsing: $0) }.map(\.operation))).sorted()
        let ops = sloOps.isEmpty ? Operation.allCases.map(\.rawValue) : sloOps
        let byRate = c.steps.sorted { $0.intendedRate < $1.intendedRate }
        let p99Series = ops.map { op in
            SVGChart.Series(name: "\(op) p99", points: byRate.compactMap { s in
                s.result.operations[op].flatMap { $0.count > 0 ? (s.intendedRate, $0.latencyUs.p99) : nil }
                    ?? s.result.phases[op].flatMap { $0.count > 0 ? (s.intendedRate, $0.latencyUs.p99) : nil }
            }, markers: true)
        }
        let latencySLOs = c.slo.compactMap { try? SLO(parsing: $0) }.filter { $0.metric.isLatency }
        let allP99 = p99Series.flatMap { $0.points.map(\.y) } + latencySLOs.map(\.threshold)
        body += SVGChart(
            id: "capacity-p99", title: "p99 latency by intended rate", xLabel: "intended rate (ops/s)",
            yLabel: "p99 latency (\(unitName(allP99)))", yScale: logScale(allP99) ? .log : .linear, yDivisor: divisor(allP99),
            series: p99Series,
            horizontalRules: latencySLOs.map { SVGChart.Rule(label: "SLO \($0.text)", value: $0.threshold) },
            verticalRules: answerRule,
            table: (["step", "intended (ops/s)"] + ops.map { "\($0) p99 (µs)" },
                    byRate.map { s in ["\(s.index)", num(s.intendedRate)] + ops.map { op in (s.result.operations[op] ?? s.result.phases[op]).map { num($0.latencyUs.p99) } ?? "-" } })
        ).html()
        let stepOps = Operation.allCases.map(\.rawValue).filter { op in c.steps.contains { ($0.result.operations[op]?.count ?? 0) > 0 } }
        body += table(["step", "stage", "intended (ops/s)", "achieved (ops/s)"] + stepOps.map { "\($0) p50 / p99 / p99.9 (ms)" } + ["errors", "verdict", "why"],
                      c.steps.map { s in
                          ["\(s.index)", s.stage, num(s.intendedRate), num(s.achievedRate)]
                              + stepOps.map { op in s.result.operations[op].map { o in
                                  o.count > 0 ? [o.latencyUs.p50, o.latencyUs.p99, o.latencyUs.p999].map { Units.milliseconds(us: $0) }.joined(separator: " / ") : "-"
                              } ?? "-" }
                              + ["\(s.result.operations.values.reduce(0) { $0 + $1.errors })", s.verdict.rawValue, s.reasons.joined(separator: "; ")]
                      }, rowClass: { i in c.steps[i].verdict == .pass ? nil : "fail" })
        body += "</section>\n"
        if let rate = c.answer.rate, let at = c.steps.last(where: { $0.intendedRate == rate && $0.verdict == .pass }) {
            body += "<section id=\"answer-step\"><h2>At the answer: step \(at.index), \(escape(Units.opsRate(rate)))</h2>"
            body += summarySection(at.result, heading: false)
            body += operationsSection(at.result, slos: c.slo, idPrefix: "answer-")
            body += phasesSection(at.result)
            body += "</section>\n"
        }
        body += settingsSection(config: c.config, environment: c.environment)
        return page(title: "TokenBench capacity: \(c.scenario ?? c.environment.target)", body: body)
    }

    /// One page comparing several runs side by side (a directory of runs over several stores or
    /// algorithms): per operation their spectra on one chart, and a table of their figures.
    public static func runs(_ runs: [(label: String, result: RunResult)], title: String) -> String {
        var body = "<header><h1>\(escape(title))</h1><p class=\"subtitle\">\(runs.count) runs side by side</p></header>\n"
        body += "<section id=\"runs\"><h2>Runs</h2>"
        body += table(["run", "target", "store", "algorithm", "verdict", "ops/s", "violations"], runs.map { run in
            let r = run.result
            let total = r.operations.values.reduce(0) { $0 + $1.count }
            return [run.label, r.environment.target, r.store?.backend ?? "-", r.config.algorithm ?? "-", r.verdict.rawValue,
                    num(Double(total) / max(r.measuredSeconds, 1e-9)), "\(r.invariants.violations)"]
        })
        body += "</section>\n"
        for op in Operation.allCases.map(\.rawValue) + MeasuredPhase.allCases.map(\.rawValue) {
            let present = runs.filter { (($0.result.operations[op] ?? $0.result.phases[op])?.count ?? 0) > 0 }
            guard !present.isEmpty else { continue }
            let summaries = present.map { ($0.label, ($0.result.operations[op] ?? $0.result.phases[op])!) }
            body += "<section id=\"op-\(op)\"><h2>\(escape(op))</h2>"
            body += spectrumChart(id: "spectrum-\(op)", title: "\(op): latency spectrum by run", summaries, slos: [])
            body += table(["run", "count", "errors", "ops/s", "p50 (µs)", "p90 (µs)", "p99 (µs)", "p99.9 (µs)", "max (µs)"],
                          summaries.map { [$0.0, "\($0.1.count)", "\($0.1.errors)", num($0.1.throughputPerS), num($0.1.latencyUs.p50),
                                           num($0.1.latencyUs.p90), num($0.1.latencyUs.p99), num($0.1.latencyUs.p999), num($0.1.latencyUs.max)] })
            body += "</section>\n"
        }
        return page(title: title, body: body)
    }

    /// `compare --html`: the comparison's rows with regressions highlighted, and per scenario the
    /// spectra of baseline and current runs (those whose whole result could be read).
    public static func comparison(_ cmp: Comparison, baseline: [String: [RunResult]], current: [String: [RunResult]]) -> String {
        let verdict = cmp.regressed ? "regression" : cmp.inconclusive ? "inconclusive" : "pass"
        var body = header(title: "TokenBench compare", verdict: verdict,
                          subtitle: "baseline \(cmp.baseline) · current \(cmp.current) · limits \(cmp.thresholds.joined(separator: ", "))")
        if !cmp.notes.isEmpty { body += "<ul class=\"notes\">" + cmp.notes.map { "<li>\(escape($0))</li>" }.joined() + "</ul>" }
        for s in cmp.scenarios {
            body += "<section id=\"scenario-\(escape(s.scenario))\"><h2>\(escape(s.scenario)) <span class=\"badge \(s.regressed ? "regression" : s.inconclusive ? "inconclusive" : "pass")\">\(s.regressed ? "regression" : s.inconclusive ? "inconclusive" : "no regression")</span></h2>"
            body += "<p>\(s.baselineRuns) baseline and \(s.currentRuns) current runs (medians).</p>"
            if !s.notes.isEmpty { body += "<ul class=\"notes\">" + s.notes.map { "<li>\(escape($0))</li>" }.joined() + "</ul>" }
            if !s.slo.isEmpty {
                body += table(["SLO (current runs)", "observed", "result"], s.slo.map { [$0.slo, $0.note ?? $0.observedText, $0.passed ? "pass" : "BREACH"] },
                              rowClass: { i in s.slo[i].passed ? nil : "regression" })
            }
            body += table(["section", "name", "metric", "baseline", "current", "change", "limit", "verdict"], s.rows.map { row in
                [row.section, row.name, row.metric.rawValue, num(row.baseline), num(row.current),
                 row.changePercent.map { String(format: "%+.1f %%", $0) } ?? "-", row.limitPercent.map { String(format: "%+.1f %%", $0) } ?? "-",
                 row.regressed ? "REGRESSION" : "ok"]
            }, rowClass: { i in s.rows[i].regressed ? "regression" : nil })
            let b = baseline[s.scenario] ?? [], c = current[s.scenario] ?? []
            for op in Operation.allCases.map(\.rawValue) {
                var summaries: [(String, OperationSummary)] = []
                for (i, r) in b.enumerated() { if let o = r.operations[op], o.count > 0 { summaries.append(("baseline \(i + 1)", o)) } }
                for (i, r) in c.enumerated() { if let o = r.operations[op], o.count > 0 { summaries.append(("current \(i + 1)", o)) } }
                guard summaries.contains(where: { $0.1.percentilesUs != nil }) else { continue }
                body += spectrumChart(id: "compare-\(s.scenario)-\(op)", title: "\(s.scenario) · \(op): baseline and current spectra", summaries, slos: [])
            }
            body += "</section>\n"
        }
        return page(title: "TokenBench compare", body: body)
    }

    // MARK: - Sections

    package static func header(title: String, verdict: String, style: String? = nil, subtitle: String) -> String {
        "<header><h1>\(escape(title))</h1><p class=\"subtitle\">\(escape(subtitle))</p>"
            + "<p>verdict: <span class=\"badge \(escape(style ?? verdict))\" id=\"verdict\">\(escape(verdict))</span></p></header>\n"
    }

    package static func summarySection(_ r: RunResult, heading: Bool = true) -> String {
        var s = heading ? "<section id=\"summary\"><h2>Verdict</h2>" : "<section class=\"summary\">"
        if !r.slo.isEmpty {
            s += table(["SLO", "observed", "result"], r.slo.map { slo in
                [slo.slo, slo.note ?? slo.observedText, slo.passed ? "pass" : "BREACH"]
            }, rowClass: { i in r.slo[i].passed ? nil : "fail" })
        }
        let kinds = r.invariants.byKind.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", ")
        var rows = [["invariants", "\(r.invariants.checked) checked, \(r.invariants.violations) violated" + (kinds.isEmpty ? "" : " (\(kinds))")
            + ((r.invariants.unjudged ?? 0) > 0 ? ", \(r.invariants.unjudged!) not judged" : "")
            + ((r.invariants.checkedByKind ?? [:]).isEmpty ? "" : "; checked: " + r.invariants.checkedByKind!.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", "))]]
        for (label, text) in HostileText.lines(r.hostile) { rows.append([label, text]) }
        if r.config.model == "open", r.config.rate != nil || r.config.refreshRate != nil {
            let streams = r.config.refreshRate.map { "refresh \(num($0))/s + access \(num(r.config.rate ?? 0))/s = " } ?? ""
            let intended = (r.config.rate ?? 0) + (r.config.refreshRate ?? 0)
            rows.append(["arrival rate", "intended \(streams)\(num(intended))/s, achieved \(r.achievedRatePerS.map(num) ?? "-")/s"])
        }
        rows.append(["driver scheduling lag", "p99 \(num(r.schedulingLagUs.p99)) µs, max \(num(r.schedulingLagUs.max)) µs"])
        if let c = r.connections {
            rows.append(["connections", "\(c.opened) opened, \(c.failed) failed; connect p99 \(num(c.connectUs.p99)) µs" + (c.tlsHandshakeUs.map { "; TLS handshake p99 \(num($0.p99)) µs" } ?? "")])
        }
        s += table(["check", "result"], rows)
        let reasons = (r.inconclusive ?? []).map { "inconclusive: \($0)" } + (r.notes ?? []).map { "note: \($0)" } + (r.aborted.map { ["stopped: \($0.message)"] } ?? [])
        if !reasons.isEmpty { s += "<ul class=\"notes\">" + reasons.map { "<li>\(escape($0))</li>" }.joined() + "</ul>" }
        return s + "</section>\n"
    }

    package static func operationsSection(_ r: RunResult, slos: [String], idPrefix: String = "") -> String {
        let present = Operation.allCases.map(\.rawValue).filter { (r.operations[$0]?.count ?? 0) > 0 }
        var s = "<section id=\"\(idPrefix)operations\"><h2>Operations</h2>"
        s += table(["operation", "count", "errors", "ops/s", "p50 (µs)", "p90 (µs)", "p99 (µs)", "p99.9 (µs)", "max (µs)"],
                   present.map { op in
                       let o = r.operations[op]!
                       return [op, "\(o.count)", "\(o.errors)", num(o.throughputPerS), num(o.latencyUs.p50), num(o.latencyUs.p90),
                               num(o.latencyUs.p99), num(o.latencyUs.p999), num(o.latencyUs.max)]
                   })
        let parsed = slos.compactMap { try? SLO(parsing: $0) }
        for op in present {
            let o = r.operations[op]!
            s += "<h3 id=\"\(idPrefix)op-\(op)\">\(escape(op))</h3>"
            s += spectrumChart(id: "\(idPrefix)spectrum-\(op)", title: "\(op): latency spectrum", [(op, o)], slos: parsed.filter { $0.operation == op })
            s += timelineCharts(r, op: op, idPrefix: idPrefix)
        }
        return s + "</section>\n"
    }

    package static func phasesSection(_ r: RunResult) -> String {
        guard !r.phases.isEmpty else { return "" }
        let names = MeasuredPhase.allCases.map(\.rawValue).filter { (r.phases[$0]?.count ?? 0) > 0 }
        let summaries = names.map { ($0, r.phases[$0]!) }
        let total = summaries.reduce(0.0) { $0 + $1.1.latencyUs.mean * Double($1.1.count) }
        var s = "<section id=\"phases\"><h2>Phases (in-process)</h2>"
        s += "<p>Where an in-process operation spends its time: password hashing, signing, verification and the store.</p>"
        s += spectrumChart(id: "spectrum-phases", title: "Phases: latency spectrum", summaries, slos: [])
        s += table(["phase", "count", "per second", "p50 (µs)", "p99 (µs)", "p99.9 (µs)", "mean (µs)", "share of time"], summaries.map { name, o in
            let share = total > 0 ? o.latencyUs.mean * Double(o.count) / total * 100 : 0
            return [name, "\(o.count)", num(o.throughputPerS), num(o.latencyUs.p50), num(o.latencyUs.p99), num(o.latencyUs.p999),
                    num(o.latencyUs.mean), String(format: "%.1f %%", share)]
        })
        let seconds = r.timeline.compactMap { t in t.store.map { (Double(t.second), $0) } }
        if !seconds.isEmpty {
            var series: [SVGChart.Series] = [.init(name: "calls in flight (mean)", points: seconds.map { ($0.0, $0.1.inFlight) })]
            if seconds.contains(where: { $0.1.poolWaits != nil }) {
                series.append(.init(name: "pool waits per call", points: seconds.map { ($0.0, $0.1.calls > 0 ? Double($0.1.poolWaits ?? 0) / Double($0.1.calls) : 0) }, dashed: true))
            }
            if seconds.contains(where: { $0.1.poolSize != nil }) {
                series.append(.init(name: "pool size", points: seconds.map { ($0.0, Double($0.1.poolSize ?? 0)) }, dashed: true))
            }
            s += SVGChart(
                id: "store-in-flight", title: "Store: calls in flight per second", xLabel: "second of the run (s)", yLabel: "calls (mean over the second)",
                series: series,
                table: (["second", "store calls", "in flight (mean)", "pool size", "pool waits", "pool wait (µs)", "retries"], seconds.map { second, st in
                    ["\(Int(second))", "\(st.calls)", num(st.inFlight), st.poolSize.map { "\($0)" } ?? "-", st.poolWaits.map { "\($0)" } ?? "-",
                     st.poolWaitUs.map { "\($0)" } ?? "-", st.retries.map { "\($0)" } ?? "-"]
                })
            ).html()
            s += "<p>Calls in flight: the time the store calls that completed in a second took, over the second (Little's law).</p>"
        }
        return s + "</section>\n"
    }

    package static func contentionSection(_ r: RunResult) -> String {
        guard let points = r.store?.contention, !points.isEmpty else { return "" }
        let levels = points.map { Double($0.concurrency) }
        var s = "<section id=\"contention\"><h2>Store contention (\(escape(r.store?.backend ?? "store")))</h2>"
        s += SVGChart(id: "contention-throughput", title: "Throughput by concurrency", xLabel: "concurrency (virtual users)",
                      yLabel: "throughput (ops/s)", xScale: .log,
                      series: [.init(name: "all operations", points: zip(levels, points.map(\.throughputPerS)).map { ($0, $1) }, markers: true)],
                      table: (["concurrency", "throughput (ops/s)", "errors"], points.map { ["\($0.concurrency)", num($0.throughputPerS), "\($0.errors)"] })).html()
        let storeOps = Array(Set(points.flatMap { $0.operations.keys })).sorted()
        let values = points.flatMap { $0.operations.values.map(\.latencyUs.p99) }
        s += SVGChart(id: "contention-p99", title: "Store operation p99 by concurrency", xLabel: "concurrency (virtual users)",
                      yLabel: "p99 latency (\(unitName(values)))", xScale: .log, yScale: logScale(values) ? .log : .linear, yDivisor: divisor(values),
                      series: storeOps.map { op in .init(name: op, points: points.compactMap { p in p.operations[op].map { (Double(p.concurrency), $0.latencyUs.p99) } }, markers: true) },
                      table: (["concurrency"] + storeOps.map { "\($0) p99 (µs)" },
                              points.map { p in ["\(p.concurrency)"] + storeOps.map { p.operations[$0].map { num($0.latencyUs.p99) } ?? "-" } })).html()
        return s + "</section>\n"
    }

    package static func settingsSection(config: RunSettings, environment: RunEnvironment) -> String {
        var rows: [[String]] = []
        if let data = try? JSONEncoder().encode(config), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            for (key, value) in object.sorted(by: { $0.key < $1.key }) { rows.append([key, flat(value)]) }
        }
        var s = "<section id=\"configuration\"><h2>Configuration</h2>" + table(["setting", "value"], rows) + "</section>\n"
        s += "<section id=\"environment\"><h2>Environment</h2>" + table(["", ""], [
            ["target", environment.target], ["cores", "\(environment.cores)" + (environment.cpus.map { " (\($0.text))" } ?? "")], ["OS", environment.os],
            ["Swift", environment.swiftVersion], ["git commit", environment.gitCommit], ["started", environment.startedAt],
        ]) + "</section>\n"
        return s
    }

    // MARK: - Charts

    /// One spectrum chart: a series per summary, on the 1/(1 − p) axis, SLO thresholds and
    /// percentiles marked.
    package static func spectrumChart(id: String, title: String, _ summaries: [(String, OperationSummary)], slos: [SLO]) -> String {
        let withSpectrum = summaries.filter { !($0.1.percentilesUs ?? []).isEmpty }
        guard !withSpectrum.isEmpty else { return "" }
        let latency = slos.filter { $0.metric.isLatency }
        let values = withSpectrum.flatMap { $0.1.percentilesUs!.map(\.us) } + latency.map(\.threshold)
        let levels = withSpectrum[0].1.percentilesUs!.map(\.p)
        return SVGChart(
            id: id, title: title, xLabel: "percentile (1/(1 − p) axis)", yLabel: "latency (\(unitName(values)))",
            xScale: .percentileTail, yScale: logScale(values) ? .log : .linear, yDivisor: divisor(values),
            series: withSpectrum.map { name, o in .init(name: name, points: o.percentilesUs!.map { ($0.p, $0.us) }) },
            horizontalRules: latency.map { .init(label: "SLO \($0.text)", value: $0.threshold) },
            verticalRules: latency.compactMap { slo in slo.metric.percentile.map { .init(label: slo.metric.rawValue, value: $0) } },
            table: (["percentile"] + withSpectrum.map { "\($0.0) (µs)" },
                    levels.enumerated().map { i, p in
                        [p >= 100 ? "max" : "p\(num(p))"] + withSpectrum.map { s in i < s.1.percentilesUs!.count ? num(s.1.percentilesUs![i].us) : "-" }
                    })
        ).html()
    }

    /// Per second of one operation: throughput; p50, p99 and max; errors by kind when any.
    package static func timelineCharts(_ r: RunResult, op: String, idPrefix: String) -> String {
        let seconds = r.timeline.map { Double($0.second) }
        guard !seconds.isEmpty, r.timeline.contains(where: { $0.byOperation != nil }) else { return "" }
        let entries = r.timeline.map { $0.byOperation?[op] }
        var s = SVGChart(
            id: "\(idPrefix)throughput-\(op)", title: "\(op): completed per second", xLabel: "second of the run (s)", yLabel: "throughput (ops/s)",
            series: [.init(name: op, points: zip(seconds, entries.map { Double($0?.count ?? 0) }).map { ($0, $1) })],
            table: (["second", "completed", "errors"], zip(r.timeline, entries).map { ["\($0.second)", "\($1?.count ?? 0)", "\($1?.errors ?? 0)"] })
        ).html()
        let latencies = entries.compactMap { $0 }.flatMap { [$0.p50Us, $0.p99Us, $0.maxUs] }
        func points(_ value: (IntervalSummary) -> Double) -> [(x: Double, y: Double)] {
            zip(seconds, entries).compactMap { second, e in e.flatMap { $0.count > 0 ? (second, value($0)) : nil } }
        }
        s += SVGChart(
            id: "\(idPrefix)latency-\(op)", title: "\(op): latency per second", xLabel: "second of the run (s)",
            yLabel: "latency (\(unitName(latencies)))", yScale: logScale(latencies) ? .log : .linear, yDivisor: divisor(latencies),
            series: [.init(name: "p50", points: points(\.p50Us)), .init(name: "p99", points: points(\.p99Us)),
                     .init(name: "max", points: points(\.maxUs), dashed: true)],
            table: (["second", "p50 (µs)", "p99 (µs)", "max (µs)"], zip(r.timeline, entries).compactMap { t, e in
                e.map { ["\(t.second)", num($0.p50Us), num($0.p99Us), num($0.maxUs)] }
            })
        ).html()
        let kinds = Array(Set(entries.compactMap { $0?.errorsByKind }.flatMap(\.keys))).sorted()
        if !kinds.isEmpty {
            s += SVGChart(
                id: "\(idPrefix)errors-\(op)", title: "\(op): errors per second by kind", xLabel: "second of the run (s)", yLabel: "errors (per s)",
                series: kinds.map { kind in .init(name: kind, points: zip(seconds, entries).map { ($0, Double($1?.errorsByKind?[kind] ?? 0)) }) },
                table: (["second"] + kinds, zip(r.timeline, entries).map { t, e in ["\(t.second)"] + kinds.map { "\(e?.errorsByKind?[$0] ?? 0)" } })
            ).html()
        }
        return s
    }

    /// `--fault`: per window its errors, false "valid" answers and recovery; the family audit.
    package static func faultsSection(_ r: RunResult) -> String {
        guard let f = r.faults else { return "" }
        var s = "<section id=\"faults\"><h2>Faults</h2>"
        s += table(["fault", "operations", "errors", "false valid", "pre-fault p99 (µs)", "recovered under (µs)", "recovery (s)"], f.windows.map { w in
            [w.fault, "\(w.operations)", "\(w.errors)", "\(w.falseValid)", w.preFaultP99Us.map(num) ?? "-", w.recoveryLimitUs.map(num) ?? "-",
             w.recoveryS.map(num) ?? "not recovered"]
        }, rowClass: { i in f.windows[i].falseValid > 0 || f.windows[i].recoveryS == nil ? "fail" : nil })
        if let a = f.audit {
            s += "<p>Families audited after the run: \(a.checked) checked, \(a.intact) intact, \(a.lost) lost, \(a.corrupted) corrupted, \(a.notJudged) not judged"
                + (f.injections.map { "; \($0) store calls changed by the fault-injecting store wrapper" } ?? "") + ".</p>"
        }
        return s + "</section>\n"
    }

    /// CPU time per operation of TokenBench, the target and the store over the measured window:
    /// what sizing is done in.
    package static func cpuSection(_ r: RunResult) -> String {
        guard let cpu = r.cpu else { return "" }
        let rows = [("tokenbench", cpu.tokenbench), cpu.target.map { ("target", $0) }, cpu.store.map { ("store", $0) }].compactMap { $0 }
        var s = "<section id=\"cpu\"><h2>CPU per operation</h2>"
        s += table(["process", "measured", "processes", "CPU (s)", "µs per operation", "operations per CPU-second"], rows.map { label, p in
            [label, p.name, "\(p.processes)", num(p.cpuSeconds), num(p.microsecondsPerOperation), num(p.operationsPerCPUSecond)]
        })
        s += "<p>\(cpu.operations) operations in the measured window. Operations per CPU-second is what one fully used vCPU serves at this mix; "
            + "on one machine the driver, the server and the store share its cores.</p>"
        return s + "</section>\n"
    }

    /// Resident memory, descriptors and sockets per second, and the stability summary: what a
    /// soak is judged on.
    package static func stabilitySection(_ r: RunResult) -> String {
        guard let st = r.stability else { return "" }
        let seconds = r.timeline.map { Double($0.second) }
        var s = "<section id=\"stability\"><h2>Memory and descriptors</h2>"
        s += "<p>Resident memory \(num(Double(st.residentMinBytes) / 1e6)) … \(num(Double(st.residentMaxBytes) / 1e6)) MB, "
            + "\(st.residentDriftPercent >= 0 ? "+" : "")\(num(st.residentDriftPercent)) % from the reference \(num(Double(st.residentReferenceBytes) / 1e6)) MB "
            + "(slope \(num(st.residentSlopeBytesPerHour / 1e6)) MB/h); descriptors \(st.descriptorsMin.map(String.init) ?? "-") … \(st.descriptorsMax.map(String.init) ?? "-")"
            + ", sockets at most \(st.socketsMax.map(String.init) ?? "-"), threads at most \(st.threadsMax.map(String.init) ?? "-").</p>"
        s += SVGChart(
            id: "stability-resident", title: "Resident memory per second", xLabel: "second of the run (s)", yLabel: "resident (MB)",
            series: [.init(name: "resident", points: zip(seconds, r.timeline).compactMap { x, e in e.memory.map { (x, Double($0.residentBytes) / 1e6) } })],
            table: (["second", "resident (MB)"], r.timeline.compactMap { e in e.memory.map { ["\(e.second)", num(Double($0.residentBytes) / 1e6)] } })
        ).html()
        s += SVGChart(
            id: "stability-descriptors", title: "Open descriptors and sockets per second", xLabel: "second of the run (s)", yLabel: "open (count)",
            series: [.init(name: "descriptors", points: zip(seconds, r.timeline).compactMap { x, e in e.process.map { (x, Double($0.openDescriptors)) } }),
                     .init(name: "sockets", points: zip(seconds, r.timeline).compactMap { x, e in e.process.map { (x, Double($0.sockets)) } }, dashed: true)],
            table: (["second", "descriptors", "sockets", "threads"], r.timeline.compactMap { e in
                e.process.map { ["\(e.second)", "\($0.openDescriptors)", "\($0.sockets)", "\($0.threads)"] } })
        ).html()
        return s + "</section>\n"
    }

    /// Latencies in µs: shown in ms from 10 ms up.
    package static func divisor(_ us: [Double]) -> Double { (us.max() ?? 0) >= 10_000 ? 1000 : 1 }
    package static func unitName(_ us: [Double]) -> String { divisor(us) == 1000 ? "ms" : "µs" }
    /// A log axis when the values span more than two decades.
    package static func logScale(_ values: [Double]) -> Bool {
        let positive = values.filter { $0 > 0 }
        guard let lo = positive.min(), let hi = positive.max() else { return false }
        return hi / lo > 100
    }

    // MARK: - Markup

    package static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
        <head>
        <meta charset="utf-8"/>
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="generator" content="tokenbench"/>
        <title>\(escape(title))</title>
        <style>\(style)</style>
        </head>
        <body>
        \(body)<footer><p>Made by tokenbench. Latencies in µs unless a column or axis says otherwise; every chart's numbers are in the table under it.</p></footer>
        </body>
        </html>

        """
    }

    package static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;max-width:920px;margin:1.5em auto;padding:0 1em;color:#222;line-height:1.4}
        h1{font-size:1.5em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}h3{margin-top:1.4em}
        .subtitle{color:#555;margin-top:0}.answer{font-size:1.15em;font-weight:600}
        .badge{display:inline-block;padding:.1em .6em;border-radius:.8em;font-weight:600;color:#fff;background:#777}
        .badge.pass{background:#2a7d2a}.badge.slo_breach,.badge.regression,.badge.invariant_violation{background:#b52a2a}
        .badge.inconclusive,.badge.at_least,.badge.unreachable{background:#b07a00}
        table{border-collapse:collapse;margin:.6em 0;font-size:.85em}th,td{border:1px solid #ddd;padding:.2em .5em;text-align:right}
        th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}tr.fail td,tr.regression td{background:#fbe3e3}
        figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:.3em}svg.chart{max-width:100%;height:auto;font-size:11px}
        svg text{fill:#333}.axis-label{font-size:12px}details summary{cursor:pointer;color:#555;font-size:.85em}
        ul.notes li{color:#6a4b00}footer{margin-top:3em;color:#777;font-size:.8em}
        """

    /// A table; cells are escaped.
    package static func table(_ header: [String], _ rows: [[String]], rowClass: (Int) -> String? = { _ in nil }) -> String {
        var s = "<table><thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for (i, row) in rows.enumerated() {
            s += rowClass(i).map { "<tr class=\"\($0)\">" } ?? "<tr>"
            s += row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>"
        }
        return s + "</tbody></table>"
    }

    /// Text for an XML/HTML text node or attribute value.
    package static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters are not allowed in XML 1.0 text.
                if c.value < 0x20 && c != "\n" && c != "\t" { out += " " } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }

    package static func num(_ v: Double) -> String { v.isFinite ? Units.figure(v) : "-" }

    package static func flat(_ value: Any) -> String {
        switch value {
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        case let a as [Any]: return a.map(flat).joined(separator: ", ")
        case let d as [String: Any]: return d.sorted { $0.key < $1.key }.map { "\($0.key)=\(flat($0.value))" }.joined(separator: "; ")
        default: return "none"
        }
    }
}

