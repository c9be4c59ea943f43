import ArgumentParser
import Foundation
import TokenAuth
import TokenLoad
import TokenResults
import TokenReport
import TokenHTTPClient
import TokenProbe

/// `tokenbench compare BASELINE CURRENT`: the regression check of a CI run.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare run results with a baseline; exit 2 on a regression, 3 when a run on either side was inconclusive.",
        discussion: """
            BASELINE and CURRENT are result.json files or directories of them (searched recursively, \
            grouped by scenario). Per operation and phase: p50, p99, throughput and error rate, the change in \
            percent (error rate: in percentage points), and whether it passes its limit. Several runs of a scenario (run --repeat N) \
            are compared by their medians. Exit codes: 0 no regression; 2 a regression (a gated \
            change past its limit, or an invariant violation in the current runs); 64 unreadable \
            or incomparable inputs.
            """)

    @Argument(help: "Baseline: a result.json or a directory of results (e.g. results/baseline).")
    var baseline: String
    @Argument(help: "Current: a result.json or a directory of results.")
    var current: String
    @Option(name: .customLong("threshold"), help: ArgumentHelp(
        "A limit, repeatable: [OPERATION.]METRIC=LIMIT, METRIC p50, p99, throughput or error_rate (limit in percentage points), e.g. p99=+15%, throughput=-5%, refresh.p99=+25%, error_rate=+0.5%, p50=off. Defaults: p99=+10%, throughput=-10%, error_rate=+1%, p50 not gated.",
        valueName: "rule"))
    var thresholds: [String] = []
    @Option(name: .customLong("min-count"), help: "Samples both sides need before a metric is gated (fewer: reported only).")
    var minimumCount: Int = 100
    @Option(name: .customLong("min-latency-delta"), help: "A latency change no larger than this is never a regression (e.g. 5us, 0us).")
    var minimumLatencyDelta: String = "5us"
    @Option(name: .customLong("repeat"), help: "Require at least N current runs of every scenario compared (their medians are compared).")
    var repeatCount: Int?
    @Option(help: "Also require this of the current runs (their medians), e.g. 'refresh.p99<20ms'; a breach, or an operation with no samples, exits 2. Repeatable.")
    var slo: [String] = []
    @Option(help: "Output: text or json.")
    var format: String = "text"
    @Option(help: ArgumentHelp("Also write an HTML page of the comparison (regressions highlighted, spectra of both sides).", valueName: "file"))
    var html: String?

    func parsedThresholds() throws -> ComparisonThresholds {
        do throws(SettingError) {
            return try ComparisonThresholds(parsing: thresholds)
        } catch {
            throw ValidationError("\(error.setting): expected \(error.accepted)")
        }
    }

    /// `--min-latency-delta` in µs.
    func latencyDeltaUs() throws -> Double {
        guard let seconds = DurationValue.seconds(minimumLatencyDelta), seconds <= 60 else {
            throw ValidationError("--min-latency-delta: expected a duration of 0 ... 60s such as 5us, 1ms (got '\(minimumLatencyDelta)')")
        }
        return seconds * 1_000_000
    }

    func parsedSLOs() throws -> [SLO] {
        try slo.map { text in
            do throws(SettingError) { return try SLO(parsing: text) } catch {
                throw ValidationError("--slo: expected \(error.accepted) (got '\(text)')")
            }
        }
    }

    func validate() throws {
        _ = try parsedThresholds()
        _ = try parsedSLOs()
        guard ["text", "json"].contains(format) else { throw ValidationError("--format: expected text or json (got '\(format)')") }
        _ = try latencyDeltaUs()
        if let html, html.isEmpty { throw ValidationError("--html: expected a file path such as compare.html") }
        guard minimumCount >= 0 else { throw ValidationError("--min-count: expected an integer ≥ 0 (got \(minimumCount))") }
        if let repeatCount, !(1...100).contains(repeatCount) {
            throw ValidationError("--repeat: expected an integer 1 ... 100 (got \(repeatCount))")
        }
    }

    func run() throws {
        let thresholds = try parsedThresholds()
        let latencyDelta = try latencyDeltaUs()
        let slos = try parsedSLOs()
        let comparison: Comparison
        do throws(ComparisonError) {
            comparison = try Comparison.compare(
                baselinePath: baseline, currentPath: current, thresholds: thresholds,
                minimumCount: minimumCount, minimumLatencyDeltaUs: latencyDelta, repeat: repeatCount, slos: slos)
        } catch {
            throw ValidationError("compare: \(error.description)")
        }
        if format == "json" {
            print(String(decoding: try comparison.jsonData(), as: UTF8.self))
        } else {
            print(comparison.render(), terminator: "")
        }
        if let html {
            var baselineRuns = ReportInput.fullRuns(at: baseline)
            let currentRuns = ReportInput.fullRuns(at: current)
            // Two single files are one pair, whatever their scenario names (as the comparison).
            if let name = comparison.scenarios.first?.scenario, baselineRuns.count == 1, currentRuns.count == 1,
               baselineRuns.keys.first != name, !baseline.hasSuffix("/") {
                baselineRuns = [name: baselineRuns.values.first!]
            }
            do {
                try writeAtomically(Data(HTMLReport.comparison(comparison, baseline: baselineRuns, current: currentRuns).utf8),
                                    to: URL(fileURLWithPath: html))
            } catch {
                throw ValidationError("--html: cannot write '\(html)'")
            }
            if format == "text" { print("report: \(html)") }
        }
        try comparison.verdict.exitUnlessPass()
    }
}
