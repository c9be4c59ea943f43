import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TokenAuth
@testable import TokenLoad
@testable import TokenResults
@testable import TokenReport

/// What a report holds, read back with an XML parser (the report is well-formed XML).
final class ReportDocument: NSObject, XMLParserDelegate {
    struct Chart {
        var id: String
        var axisLabels: [String] = []
        /// Per series: its name, `data-points` and `d`.
        var series: [(name: String, points: Int, d: String)] = []
        var rules: [String] = []
    }

    var charts: [Chart] = []
    var tables = 0
    var elements: [String: Int] = [:]
    var externalReferences: [String] = []
    private var inAxisLabel = false
    private var text = ""

    static func parse(_ html: String) throws -> ReportDocument {
        let document = ReportDocument()
        let parser = XMLParser(data: Data(html.utf8))
        parser.delegate = document
        guard parser.parse() else {
            throw ParseFailure(message: parser.parserError.map { "\($0)" } ?? "unknown", line: parser.lineNumber)
        }
        return document
    }

    struct ParseFailure: Error { var message: String; var line: Int }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements[name, default: 0] += 1
        for (key, value) in attributes where ["src", "href", "xlink:href", "action"].contains(key) { externalReferences.append(value) }
        switch name {
        case "svg":
            charts.append(Chart(id: attributes["data-chart"] ?? ""))
        case "path" where attributes["class"] == "series":
            charts[charts.count - 1].series.append((attributes["data-series"] ?? "", Int(attributes["data-points"] ?? "") ?? -1, attributes["d"] ?? ""))
        case "line" where (attributes["class"] ?? "").hasPrefix("rule"):
            charts[charts.count - 1].rules.append(attributes["data-rule"] ?? "")
        case "text" where (attributes["class"] ?? "").hasPrefix("axis-label"):
            inAxisLabel = true
            text = ""
        case "table":
            tables += 1
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inAxisLabel { text += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text", inAxisLabel {
            charts[charts.count - 1].axisLabels.append(text)
            inAxisLabel = false
        }
    }

    func chart(_ id: String) -> Chart? { charts.first { $0.id == id } }
}

@Suite("HTML reports: self-contained, well-formed, every chart with units and real numbers", .serialized)
struct HTMLReportTests {
    /// A real in-process run with every operation, a replay mix and an SLO.
    static func realRun(seconds: Double = 3) async throws -> RunResult {
        var c = LoadConfiguration()
        c.users = 60
        c.duration = seconds
        c.thinkTime = 0.05
        c.accessTTL = 1
        c.refreshLead = 0.3
        c.refreshJitter = 0.2
        c.sessionLength = 1.5
        c.replayRatio = 0.1
        c.passwordHashCost = 4
        c.workers = 2
        try c.validate()
        let phases = PhaseRecorder(stripes: c.workers)
        let target = try await InProcessTarget.make(c, phases: phases)
        var driver = LoadDriver(configuration: c, target: target, phases: phases, slos: [try SLO(parsing: "refresh.p99<20ms")])
        driver.store = (backend: "memory", statistics: nil)
        return await driver.run()
    }

    /// The checks every report passes: parses, no script, no external reference, no NaN or
    /// Infinity, no empty path, every axis labelled with a unit in parentheses.
    static func checkCommon(_ html: String) throws -> ReportDocument {
        let document = try ReportDocument.parse(html)
        #expect(document.elements["script"] == nil)
        #expect(document.externalReferences.isEmpty, "\(document.externalReferences)")
        #expect(!html.contains("NaN") && !html.contains("Infinity"))
        #expect(!html.lowercased().contains("@import") && !html.contains("url("))
        #expect(html.contains("Content-Security-Policy"))
        #expect(!document.charts.isEmpty)
        for chart in document.charts {
            #expect(!chart.id.isEmpty)
            #expect(chart.axisLabels.count == 2, "\(chart.id)")
            for label in chart.axisLabels {
                #expect(label.contains("(") && label.contains(")"), "\(chart.id): axis label '\(label)' names no unit")
            }
            #expect(!chart.series.isEmpty, "\(chart.id)")
            for s in chart.series {
                #expect(!s.d.isEmpty && s.d.hasPrefix("M"), "\(chart.id)/\(s.name): empty path")
                #expect(!s.d.contains("nan") && !s.d.contains("inf"), "\(chart.id)/\(s.name): \(s.d)")
                #expect(s.d.split(separator: "L").count == s.points, "\(chart.id)/\(s.name): \(s.points) points claimed")
            }
        }
        // Each chart's numbers are also a table.
        #expect(document.tables >= document.charts.count)
        return document
    }

    @Test("a run report: the spectrum per operation with the SLO marked, per-second series as long as the timeline, phases")
    func runReport() async throws {
        let r = try await Self.realRun()
        let html = HTMLReport.run(r)
        let document = try Self.checkCommon(html)
        #expect(html.contains("id=\"verdict\">\(r.verdict)<"))
        for op in ["login", "access", "refresh", "logout"] {
            let spectrum = try #require(document.chart("spectrum-\(op)"), "spectrum-\(op)")
            #expect(spectrum.series.first?.points == PercentilePoint.levels.count)
            let latency = try #require(document.chart("latency-\(op)"))
            #expect(latency.axisLabels.contains { $0.contains("(µs)") || $0.contains("(ms)") })
            let throughput = try #require(document.chart("throughput-\(op)"))
            #expect(throughput.series.first?.points == r.timeline.count, "one point per second of the timeline")
        }
        #expect(document.chart("spectrum-refresh")?.rules.contains("SLO refresh.p99<20ms") == true)
        #expect(document.chart("spectrum-refresh")?.rules.contains("p99") == true)
        #expect(document.chart("spectrum-phases")?.series.map(\.name).contains("password_hash") == true)
        #expect(html.contains("id=\"configuration\"") && html.contains("id=\"environment\""))
        #expect(html.contains("invariants"))
        #expect(html.contains("hostile requests"))
    }

    @Test("result.json keeps the whole percentile spectrum up to p99.99 and the max, and per-operation seconds")
    func spectrumInResult() async throws {
        let r = try await Self.realRun(seconds: 2)
        let refresh = try #require(r.operations["refresh"])
        let spectrum = try #require(refresh.percentilesUs)
        #expect(spectrum.map(\.p) == PercentilePoint.levels)
        #expect(spectrum.contains { $0.p == 99.99 })
        #expect(spectrum.last?.us == refresh.latencyUs.max)
        #expect(zip(spectrum, spectrum.dropFirst()).allSatisfy { $0.us <= $1.us }, "monotonic")
        #expect(spectrum.first { $0.p == 99 }?.us == refresh.latencyUs.p99)
        let counted = r.timeline.reduce(0) { $0 + ($1.byOperation?["refresh"]?.count ?? 0) }
        #expect(counted == r.timeline.reduce(0) { $0 + ($1.operations["refresh"] ?? 0) })
        // It survives a round trip, and a result without it (an older file) still decodes.
        let decoded = try JSONDecoder().decode(RunResult.self, from: try r.jsonData())
        #expect(decoded.operations["refresh"]?.percentilesUs == spectrum)
        var object = try #require(try JSONSerialization.jsonObject(with: try r.jsonData()) as? [String: Any])
        var operations = try #require(object["operations"] as? [String: [String: Any]])
        for key in operations.keys { operations[key]?["percentiles_us"] = nil }
        object["operations"] = operations
        let old = try JSONDecoder().decode(RunResult.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(old.operations["refresh"]?.percentilesUs == nil)
        #expect(!HTMLReport.run(old).contains("data-chart=\"spectrum-refresh\""), "no spectrum, no chart, no empty path")
    }

    @Test("a ten-minute run's report stays under 1 MB")
    func tenMinutes() async throws {
        var r = try await Self.realRun(seconds: 2)
        let second = try #require(r.timeline.last)
        r.timeline = (1...600).map { n in
            var entry = second
            entry.second = n
            return entry
        }
        r.measuredSeconds = 600
        let html = HTMLReport.run(r)
        #expect(html.utf8.count < 1_000_000, "\(html.utf8.count) bytes")
        let document = try Self.checkCommon(html)
        #expect(document.chart("throughput-access")?.series.first?.points == 600)
    }

    @Test("a capacity report: rates and p99 per step, the SLO line, the answer marked")
    func capacityReport() async throws {
        let run = try await Self.realRun(seconds: 2)
        func step(_ i: Int, _ rate: Double, _ verdict: StepVerdict, stage: String) -> CapacityStep {
            var r = run
            r.achievedRatePerS = verdict == .pass ? rate : rate * 0.8
            return CapacityStep(index: i, stage: stage, intendedRate: rate, achievedRate: r.achievedRatePerS!, verdict: verdict,
                                reasons: verdict == .pass ? [] : ["refresh.p99<20ms breached"], result: r)
        }
        let steps = [step(1, 100, .pass, stage: "double"), step(2, 200, .fail, stage: "double"), step(3, 150, .pass, stage: "bisect"),
                     step(4, 150, .pass, stage: "confirm")]
        let c = CapacityResult(scenario: nil, config: run.config, environment: run.environment, slo: ["refresh.p99<20ms"],
                               search: CapacitySettings(startRate: 100, maxRate: 1000, stepDuration: 2, stepWarmup: 1),
                               judgesDriverLag: false, steps: steps,
                               answer: CapacityAnswer(outcome: .found, rate: 150, throughputPerS: 150, operationsPerS: nil, confirmed: 1,
                                                      confirmations: 1, stepDowns: 0, line: "capacity: 150 ops/s at refresh.p99<20ms, confirmed 1/1", reason: nil))
        let html = HTMLReport.capacity(c)
        let document = try Self.checkCommon(html)
        let rates = try #require(document.chart("capacity-rates"))
        #expect(rates.series.map(\.name) == ["intended", "achieved"])
        #expect(rates.series.allSatisfy { $0.points == steps.count })
        #expect(rates.rules == ["answer 150 ops/s"])
        let p99 = try #require(document.chart("capacity-p99"))
        #expect(p99.rules.contains("SLO refresh.p99<20ms") && p99.rules.contains("answer 150 ops/s"))
        #expect(p99.series.first?.points == steps.count)
        #expect(html.contains("capacity: 150 ops/s at refresh.p99&lt;20ms, confirmed 1/1"))
        #expect(document.chart("answer-spectrum-refresh") != nil, "the answer step's spectra")
    }

    @Test("several runs side by side: one spectrum per operation with a series per run")
    func runsPage() async throws {
        let a = try await Self.realRun(seconds: 2)
        var b = a
        b.store = StoreSummary(backend: "sqlite", operations: [:], counters: nil)
        let html = HTMLReport.runs([("memory", a), ("sqlite", b)], title: "two stores")
        let document = try Self.checkCommon(html)
        #expect(document.chart("spectrum-refresh")?.series.map(\.name) == ["memory", "sqlite"])
        #expect(document.chart("spectrum-store_rotate") != nil)
    }

    @Test("text is escaped: a hostile scenario name stays text")
    func escaping() async throws {
        var r = try await Self.realRun(seconds: 1)
        r.scenario = "<script>alert(1)</script>&\"'"
        let html = HTMLReport.run(r)
        let document = try Self.checkCommon(html)
        #expect(document.elements["script"] == nil)
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;"))
    }
    @Test("a crafted latency past Int.max renders with exponent labels instead of trapping (found by the result fuzz target)")
    func hugeValues() async throws {
        var r = try await Self.realRun(seconds: 1)
        // The fuzzer's input had a p50 of 2.48e46 µs in one second of the timeline: the log
        // axis' top tick, 1e47, went through Int(_:), which traps past Int.max.
        r.timeline[0].byOperation?["access"]?.p50Us = 24833333333333333333333333333333333333333333330.1
        let html = HTMLReport.run(r)
        let document = try Self.checkCommon(html)
        let latency = try #require(document.chart("latency-access"))
        #expect(latency.series.map(\.name) == ["p50", "p99", "max"])
        #expect(html.contains("e+"), "the top ticks are labelled in exponent form")
        #expect(SVGChart.label(1e47) == "1e+41M")
        #expect(SVGChart.label(-9.3e22) == "-9.3e+16M")
        #expect(SVGChart.label(2_500_000) == "2.5M" && SVGChart.label(12) == "12" && SVGChart.label(0.5) == "0.5")
    }
}
