import Foundation
import Testing
@testable import TokenResults

@Suite("compare: thresholds, medians, grouping")
struct ComparisonTests {
    /// A minimal `tokenbench.result/v1` document: the fields `compare` reads.
    static func result(
        scenario: String? = "steady", refreshP50: Double = 400, refreshP99: Double = 1_000, refreshPerS: Double = 500,
        refreshCount: Int = 5_000, refreshErrors: Int = 0, violations: Int = 0, users: Int = 1_000
    ) -> [String: Any] {
        func summary(_ count: Int, _ p50: Double, _ p99: Double, _ perS: Double, errors: Int = 0) -> [String: Any] {
            ["count": count, "errors": errors, "errors_by_kind": [String: Int](), "throughput_per_s": perS,
             "latency_us": ["p50": p50, "p90": p99 * 0.8, "p99": p99, "p999": p99 * 2, "max": p99 * 3, "mean": p50]]
        }
        var json: [String: Any] = [
            "schema": "tokenbench.result/v1",
            "config": ["model": "closed", "users": users, "duration": 15, "target": "in-process", "alg": "HS256", "workers": 2],
            "operations": ["refresh": summary(refreshCount, refreshP50, refreshP99, refreshPerS, errors: refreshErrors),
                           "access": summary(10_000, 50, 200, 1_000)],
            "phases": ["sign": summary(5_000, 5, 12, 500)],
            "invariants": ["checked": 100, "violations": violations, "by_kind": [String: Int]()],
            "verdict": violations > 0 ? "invariant_violation" : "pass",
        ]
        if let scenario { json["scenario"] = scenario }
        return json
    }

    final class Folder {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("compare-\(UUID().uuidString)").path
        init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        @discardableResult
        func write(_ relative: String, _ json: [String: Any]) throws -> String {
            let url = URL(fileURLWithPath: path).appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: json).write(to: url)
            return url.path
        }
    }

    func row(_ c: Comparison, _ name: String, _ metric: ComparisonThresholds.Metric) throws -> ComparisonRow {
        try #require(c.scenarios.first?.rows.first { $0.name == name && $0.metric == metric })
    }

    @Test("an inconclusive run on either side: compare shows neither a regression nor its absence")
    func inconclusiveRuns() throws {
        let folder = Folder()
        let base = try folder.write("base.json", Self.result())
        var unjudged = Self.result(refreshP99: 5_000)
        unjudged["verdict"] = "inconclusive"
        unjudged["inconclusive"] = ["the driver was saturated: its scheduling lag p99 was 900 ms"]
        let current = try folder.write("current.json", unjudged)
        let c = try Comparison.compare(baselinePath: base, currentPath: current, thresholds: ComparisonThresholds())
        #expect(c.inconclusive)
        #expect(c.regressed, "the p99 change is still shown as past its limit")
        #expect(c.scenarios.first?.notes.contains("INCONCLUSIVE: current run 1: the driver was saturated: its scheduling lag p99 was 900 ms") == true)
        #expect(c.render().contains("INCONCLUSIVE: a run could not judge its target"))
        // A violation in the current run is a regression whatever else.
        unjudged["invariants"] = ["checked": 100, "violations": 2, "by_kind": ["spent_token_accepted": 2]]
        let violating = try folder.write("violating.json", unjudged)
        let v = try Comparison.compare(baselinePath: base, currentPath: violating, thresholds: ComparisonThresholds())
        #expect(!v.inconclusive)
        #expect(v.regressed)
    }

    @Test func defaultThresholds() throws {
        let t = ComparisonThresholds()
        #expect(t.limit(for: .p99, of: "refresh") == 10)
        #expect(t.limit(for: .throughput, of: "refresh") == 10)
        #expect(t.limit(for: .p50, of: "refresh") == nil)
        #expect(t.limit(for: .errorRate, of: "refresh") == 1)
        #expect(t.rules.map(\.text) == ["p99=+10%", "throughput=-10%", "error_rate=+1pt"])
    }

    @Test func scopedRulesWin() throws {
        let t = try ComparisonThresholds(parsing: ["p99=+15%", "refresh.p99=+25%", "p50=20%", "throughput=off", "sign.throughput=-5%"])
        #expect(t.limit(for: .p99, of: "refresh") == 25)
        #expect(t.limit(for: .p99, of: "access") == 15)
        #expect(t.limit(for: .p50, of: "login") == 20)
        #expect(t.limit(for: .throughput, of: "refresh") == nil)
        #expect(t.limit(for: .throughput, of: "sign") == 5)
    }

    @Test(arguments: ["p99=-10%", "throughput=+5%", "error_rate=-1%", "p98=10%", "p99=10", "p99=", "=10%", "refresh.p99=abc%",
                      "nothing.p99=5%", "a.b.p99=5%", "p99=nan%", "p99=-inf%", ""])
    func badThresholds(_ text: String) {
        #expect(throws: SettingError.self) { try ComparisonThresholds(parsing: [text]) }
    }

    @Test func p99PastItsLimitIsARegression() throws {
        let folder = Folder()
        let base = try folder.write("base.json", Self.result(refreshP99: 1_000))
        let worse = try folder.write("worse.json", Self.result(refreshP99: 1_250))
        let slightly = try folder.write("slightly.json", Self.result(refreshP99: 1_050))
        let c = try Comparison.compare(baselinePath: base, currentPath: worse)
        #expect(c.regressed)
        let p99 = try row(c, "refresh", .p99)
        #expect(p99.regressed && p99.changePercent == 25 && p99.limitPercent == 10)
        #expect(try row(c, "access", .p99).regressed == false)
        #expect(c.render().contains("REGRESSION"))
        let ok = try Comparison.compare(baselinePath: base, currentPath: slightly)
        #expect(!ok.regressed)
        #expect(try row(ok, "refresh", .p99).changePercent == 5)
        // The same change passes a looser limit scoped to refresh.
        let loose = try Comparison.compare(baselinePath: base, currentPath: worse,
                                           thresholds: ComparisonThresholds(parsing: ["refresh.p99=+30%"]))
        #expect(!loose.regressed)
    }

    @Test func latencyChangesWithinTheAbsoluteFloorAreNotRegressions() throws {
        let folder = Folder()
        // +17 % but 0.8 µs: scheduling noise on a shared machine, not a regression by default.
        let base = try folder.write("base.json", Self.result(refreshP99: 4.6))
        let noisy = try folder.write("noisy.json", Self.result(refreshP99: 5.4))
        let c = try Comparison.compare(baselinePath: base, currentPath: noisy)
        #expect(!c.regressed)
        #expect(try row(c, "refresh", .p99).limitPercent == 10)
        #expect(try Comparison.compare(baselinePath: base, currentPath: noisy, minimumLatencyDeltaUs: 0).regressed)
    }

    @Test func errorRateIsGatedInPercentagePoints() throws {
        let folder = Folder()
        let base = try folder.write("base.json", Self.result(refreshCount: 10_000))
        // Failing fast: p99 and throughput look fine, 5 % of refreshes fail.
        let failing = try folder.write("failing.json", Self.result(refreshP99: 500, refreshCount: 10_000, refreshErrors: 500))
        let c = try Comparison.compare(baselinePath: base, currentPath: failing)
        #expect(c.regressed)
        let rate = try row(c, "refresh", .errorRate)
        #expect(rate.regressed && rate.current == 5 && rate.changePercent == 5 && rate.limitPercent == 1)
        #expect(c.render().contains("+5.00 pt"))
        let few = try folder.write("few.json", Self.result(refreshCount: 10_000, refreshErrors: 50)) // 0.5 %
        #expect(!(try Comparison.compare(baselinePath: base, currentPath: few).regressed))
        #expect(try Comparison.compare(baselinePath: base, currentPath: few,
                                       thresholds: ComparisonThresholds(parsing: ["error_rate=+0.25%"])).regressed)
    }

    @Test func throughputDropIsARegressionAndARiseIsNot() throws {
        let folder = Folder()
        let base = try folder.write("base.json", Self.result(refreshPerS: 500))
        let down = try folder.write("down.json", Self.result(refreshPerS: 425))
        let up = try folder.write("up.json", Self.result(refreshPerS: 800))
        let c = try Comparison.compare(baselinePath: base, currentPath: down)
        #expect(c.regressed)
        #expect(try row(c, "refresh", .throughput).changePercent == -15)
        let better = try Comparison.compare(baselinePath: base, currentPath: up)
        #expect(!better.regressed)
    }

    @Test func fewSamplesAreReportedNotGated() throws {
        let folder = Folder()
        let base = try folder.write("base.json", Self.result(refreshP99: 1_000, refreshCount: 50))
        let worse = try folder.write("worse.json", Self.result(refreshP99: 3_000, refreshCount: 50))
        let c = try Comparison.compare(baselinePath: base, currentPath: worse)
        #expect(!c.regressed)
        #expect(try row(c, "refresh", .p99).limitPercent == nil)
        #expect(try Comparison.compare(baselinePath: base, currentPath: worse, minimumCount: 10).regressed)
    }

    @Test func mediansOfRepeatedRunsIgnoreOneNoisyRun() throws {
        let folder = Folder()
        try folder.write("baseline/steady/result.json", Self.result(refreshP99: 1_000))
        try folder.write("current/steady/result-1.json", Self.result(refreshP99: 1_020))
        try folder.write("current/steady/result-2.json", Self.result(refreshP99: 4_000)) // one noisy run
        try folder.write("current/steady/result-3.json", Self.result(refreshP99: 980))
        let c = try Comparison.compare(baselinePath: folder.path + "/baseline", currentPath: folder.path + "/current", repeat: 3)
        #expect(!c.regressed)
        #expect(c.scenarios.first?.currentRuns == 3)
        #expect(try row(c, "refresh", .p99).current == 1_020)
        // Two of three runs slow: the median moves.
        try folder.write("current/steady/result-3.json", Self.result(refreshP99: 3_000))
        #expect(try Comparison.compare(baselinePath: folder.path + "/baseline", currentPath: folder.path + "/current").regressed)
        // --repeat 4 with three runs is refused.
        #expect(throws: ComparisonError.self) {
            try Comparison.compare(baselinePath: folder.path + "/baseline", currentPath: folder.path + "/current", repeat: 4)
        }
    }

    @Test func aCollapseIsARegressionNotANote() throws {
        let folder = Folder()
        let base = try folder.write("base.json", Self.result(refreshPerS: 500, refreshCount: 7_500))
        // 17 refreshes instead of 7,500: too few for a p99, but throughput is gated on the baseline.
        let collapsed = try folder.write("collapsed.json", Self.result(refreshPerS: 1.1, refreshCount: 17))
        let c = try Comparison.compare(baselinePath: base, currentPath: collapsed)
        #expect(c.regressed)
        #expect(try row(c, "refresh", .throughput).regressed)
        #expect(try row(c, "refresh", .p99).limitPercent == nil)
        // The operation gone altogether.
        var gone = Self.result()
        var operations = gone["operations"] as! [String: Any]
        operations["refresh"] = nil
        gone["operations"] = operations
        let vanished = try folder.write("vanished.json", gone)
        let v = try Comparison.compare(baselinePath: base, currentPath: vanished)
        #expect(v.regressed)
        #expect(v.scenarios[0].notes.contains { $0.hasPrefix("REGRESSION: operation refresh") })
    }

    @Test func aBrokenResultInADirectoryIsAnErrorNotAGap() throws {
        let folder = Folder()
        try folder.write("b/steady/result.json", Self.result())
        try folder.write("c/steady/result-1.json", Self.result())
        let truncated = URL(fileURLWithPath: folder.path).appendingPathComponent("c/steady/result-2.json")
        try Data(#"{"schema": "tokenbench.result/v1", "operations": {"#.utf8).write(to: truncated)
        #expect(throws: ComparisonError.self) {
            try Comparison.compare(baselinePath: folder.path + "/b", currentPath: folder.path + "/c")
        }
        // Figures no run produces are refused, not trapped on.
        var absurd = Self.result()
        var operations = absurd["operations"] as! [String: Any]
        var refresh = operations["refresh"] as! [String: Any]
        refresh["count"] = Int.max
        operations["refresh"] = refresh
        absurd["operations"] = operations
        let file = try folder.write("absurd.json", absurd)
        #expect(throws: ComparisonError.self) {
            try Comparison.compare(baselinePath: folder.path + "/b/steady/result.json", currentPath: file)
        }
    }

    @Test func invariantViolationsAreARegression() throws {
        let folder = Folder()
        let base = try folder.write("base.json", Self.result())
        let broken = try folder.write("broken.json", Self.result(violations: 3))
        let c = try Comparison.compare(baselinePath: base, currentPath: broken)
        #expect(c.regressed)
        #expect(c.scenarios[0].rows.allSatisfy { !$0.regressed })
        #expect(c.scenarios[0].notes.contains { $0.contains("invariant violations in the current runs: 3") })
    }

    @Test func directoriesAreMatchedByScenario() throws {
        let folder = Folder()
        try folder.write("b/one.json", Self.result(scenario: "login-storm"))
        try folder.write("b/two.json", Self.result(scenario: "steady"))
        try folder.write("b/scenario.json", ["users": 10]) // not a result: skipped
        try folder.write("c/x/result.json", Self.result(scenario: "steady", refreshP99: 2_000, users: 2_000))
        let c = try Comparison.compare(baselinePath: folder.path + "/b", currentPath: folder.path + "/c")
        #expect(c.scenarios.map(\.scenario) == ["steady"])
        #expect(c.regressed)
        #expect(c.notes.contains("scenario login-storm: in the baseline only, not compared"))
        #expect(c.notes.contains { $0.contains("scenario.json: not a tokenbench result") })
        #expect(c.scenarios[0].notes.contains("settings differ: users 1000 → 2000"), "\(c.scenarios[0].notes)")
        // Results without a scenario name are grouped by their directory.
        try folder.write("d/steady/result.json", Self.result(scenario: nil))
        let byDirectory = try Comparison.compare(baselinePath: folder.path + "/b", currentPath: folder.path + "/d")
        #expect(byDirectory.scenarios.map(\.scenario) == ["steady"])
    }

    @Test func unusableInputsAreErrors() throws {
        let folder = Folder()
        let base = try folder.write("base.json", Self.result())
        let garbage = URL(fileURLWithPath: folder.path).appendingPathComponent("garbage.json")
        try Data("{not json".utf8).write(to: garbage)
        #expect(throws: ComparisonError.self) { try Comparison.compare(baselinePath: base, currentPath: garbage.path) }
        #expect(throws: ComparisonError.self) { try Comparison.compare(baselinePath: base, currentPath: folder.path + "/nothing") }
        var other = Self.result()
        other["schema"] = "tokenbench.result/v9"
        let future = try folder.write("future.json", other)
        #expect(throws: ComparisonError.self) { try Comparison.compare(baselinePath: base, currentPath: future) }
        try FileManager.default.createDirectory(atPath: folder.path + "/empty", withIntermediateDirectories: true)
        #expect(throws: ComparisonError.self) { try Comparison.compare(baselinePath: base, currentPath: folder.path + "/empty") }
    }

    @Test func jsonOutputRoundTrips() throws {
        let folder = Folder()
        let base = try folder.write("base.json", Self.result())
        let worse = try folder.write("worse.json", Self.result(refreshP99: 1_500))
        let data = try Comparison.compare(baselinePath: base, currentPath: worse).jsonData()
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["schema"] as? String == "tokenbench.compare/v1")
        #expect(json["regressed"] as? Bool == true)
        let rows = try #require((json["scenarios"] as? [[String: Any]])?.first?["rows"] as? [[String: Any]])
        #expect(rows.contains { $0["name"] as? String == "refresh" && $0["metric"] as? String == "p99" && $0["change_percent"] as? Double == 50 })
    }

    @Test func medianOfEvenAndOddCounts() {
        #expect(Comparison.median([3, 1, 2]) == 2)
        #expect(Comparison.median([4, 1, 3, 2]) == 2.5)
        #expect(Comparison.median([]) == 0)
    }
}
