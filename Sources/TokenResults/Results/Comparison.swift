import Foundation

/// `tokenbench compare BASELINE CURRENT`: a regression check of run results against a baseline.
///
/// Both sides are a `result.json` file or a directory searched recursively for them. Results
/// are grouped by scenario (the `scenario` field `run --scenario` writes, else the directory
/// that holds the file, relative to the side's root); when two single files are given they are
/// compared whatever their names. Within a group, each metric is the **median** over the runs
/// it holds (`run --repeat N`), so one noisy run does not fail a build.
///
/// Per operation (`login`, `access`, `refresh`, `logout`) and in-process phase (`sign`,
/// `store_rotate`, …) it reports p50, p99 (µs), throughput (per second) and error rate
/// (percent), the change (percent; percentage points for the error rate), and whether the
/// change passes its ``ComparisonThresholds`` limit. The error rate is what keeps a build whose
/// requests fail fast from passing as faster. A metric is
/// gated only when both sides have at least `minimumCount` samples of it: a p99 of a handful
/// of samples is noise. A latency change is a regression only if it is also larger than
/// `minimumLatencyDeltaUs` (default 5 µs): a p99 of 4.6 µs measured at 5.4 µs is +17 % and
/// scheduling noise, as two runs of the same build show on a shared machine. A current run that violated an invariant is a regression whatever its
/// speed.
public struct Comparison: Codable, Sendable {
    public static let schemaID = "tokenbench.compare/v1"

    public var schema = Comparison.schemaID
    public var baseline: String
    public var current: String
    /// The rules applied, e.g. `["p99=+10%", "throughput=-10%"]`.
    public var thresholds: [String]
    /// Samples each side needs before a metric is gated.
    public var minimumCount: Int
    /// Smallest latency change, µs, that can be a regression.
    public var minimumLatencyDeltaUs: Double
    public var scenarios: [ScenarioComparison]
    /// Scenarios found on one side only, files skipped, and similar.
    public var notes: [String]
    /// Whether any gated change passed its limit, or a current run violated an invariant.
    public var regressed: Bool
    /// Whether a run on either side could not judge its target (verdict `inconclusive`): its
    /// figures cannot show a regression or its absence, so compare says so (exit 3) unless a
    /// current run violated an invariant, which is a regression whatever else.
    public var inconclusive: Bool

    package init(baseline: String, current: String, thresholds: [String], minimumCount: Int, minimumLatencyDeltaUs: Double, scenarios: [ScenarioComparison], notes: [String], regressed: Bool, inconclusive: Bool) {
        self.baseline = baseline
        self.current = current
        self.thresholds = thresholds
        self.minimumCount = minimumCount
        self.minimumLatencyDeltaUs = minimumLatencyDeltaUs
        self.scenarios = scenarios
        self.notes = notes
        self.regressed = regressed
        self.inconclusive = inconclusive
    }

    enum CodingKeys: String, CodingKey {
        case schema, baseline, current, thresholds, scenarios, notes, regressed, inconclusive
        case minimumCount = "minimum_count"
        case minimumLatencyDeltaUs = "minimum_latency_delta_us"
    }
}

extension Comparison {
    /// The results under `path`, grouped by scenario.
    /// - Parameter path: a `result.json` file, or a directory searched recursively for `*.json`
    ///   files of schema `tokenbench.result/v1` (other JSON files are skipped).
    /// - Returns: runs by group name, and the files skipped.
    /// - Throws: ``ComparisonError`` if the path does not exist, a given file is not a readable
    ///   result, or a directory holds no result.
    public static func loadRuns(at path: String) throws(ComparisonError) -> (runs: [String: [ComparableRun]], skipped: [String]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ComparisonError("\(path): no such file or directory")
        }
        guard isDirectory.boolValue else {
            let run = try decode(path)
            return ([run.scenario ?? "result": [run]], [])
        }
        let root = URL(fileURLWithPath: path).standardizedFileURL
        var files: [String] = []
        if let walker = FileManager.default.enumerator(atPath: root.path) {
            while let relative = walker.nextObject() as? String {
                if relative.hasSuffix(".json") { files.append(relative) }
            }
        }
        var runs: [String: [ComparableRun]] = [:]
        var skipped: [String] = []
        for relative in files.sorted() {
            let full = root.appendingPathComponent(relative).path
            // JSON that does not claim to be a result (a scenario, a report) is skipped; a file
            // that claims the schema but cannot be read is an error, never a silent gap in the
            // medians.
            guard claimsResultSchema(full) else {
                skipped.append(relative)
                continue
            }
            let run = try decode(full)
            let directory = (relative as NSString).deletingLastPathComponent
            let group = run.scenario ?? (directory.isEmpty ? "result" : directory)
            runs[group, default: []].append(run)
        }
        guard !runs.isEmpty else {
            throw ComparisonError("\(path): no tokenbench.result/v1 file found")
        }
        return (runs, skipped)
    }

    /// Results larger than this are refused (a real one is tens of KiB).
    package static let maximumFileBytes = 64 << 20

    /// Whether the file names the `tokenbench.result` schema anywhere (a truncated result
    /// still does).
    package static func claimsResultSchema(_ path: String) -> Bool {
        guard isRegularFile(path),
              let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int,
              size <= maximumFileBytes,
              let data = FileManager.default.contents(atPath: path)
        else { return isRegularFile(path) } // unreadable or huge: let decode say why
        return data.range(of: Data("tokenbench.result".utf8)) != nil
    }

    package static func isRegularFile(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular
    }

    package static func decode(_ path: String) throws(ComparisonError) -> ComparableRun {
        guard isRegularFile(path) else { throw ComparisonError("\(path): not a regular file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maximumFileBytes else { throw ComparisonError("\(path): larger than 64 MiB, not a tokenbench result") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ComparisonError("\(path): cannot be read")
        }
        return try decode(data, path: path)
    }

    /// Decodes a result file's bytes; `path` only names it in errors.
    /// - Throws: ``ComparisonError`` for bytes that are not a result of this schema or that
    ///   hold figures no run produces.
    package static func decode(_ data: Data, path: String) throws(ComparisonError) -> ComparableRun {
        let run: ComparableRun
        do {
            run = try JSONDecoder().decode(ComparableRun.self, from: data)
        } catch {
            throw ComparisonError("\(path): not a tokenbench result (expected a result.json of schema \(RunResult.schemaID))")
        }
        guard run.schema == RunResult.schemaID else {
            throw ComparisonError("\(path): schema '\(run.schema)' is not \(RunResult.schemaID)")
        }
        // Values a real run cannot produce would trap in arithmetic or print nonsense.
        for summary in run.operations.values.concat(run.phases.values) {
            let numbers = [summary.throughputPerS, summary.latencyUs.p50, summary.latencyUs.p99]
            guard (0...(1 << 53)).contains(summary.count), (0...summary.count).contains(summary.errors),
                  numbers.allSatisfy({ $0.isFinite && $0 >= 0 && $0 < 1e15 }),
                  (0...(1 << 53)).contains(run.invariants.violations)
            else { throw ComparisonError("\(path): holds counts or figures no run produces") }
        }
        return run
    }

    /// Compares the results at two paths.
    /// - Parameters:
    ///   - baselinePath: a result file or a directory of them.
    ///   - currentPath: a result file or a directory of them.
    ///   - thresholds: the limits.
    ///   - minimumCount: samples both sides need before a metric is gated.
    ///   - minimumLatencyDeltaUs: a latency change of at most this many µs is never a regression.
    ///   - repeat: if set, every scenario compared must have at least this many current runs.
    /// - Throws: ``ComparisonError`` for unreadable inputs, no scenario in common, or fewer
    ///   current runs than `repeat`.
    public static func compare(
        baselinePath: String, currentPath: String, thresholds: ComparisonThresholds = ComparisonThresholds(),
        minimumCount: Int = 100, minimumLatencyDeltaUs: Double = 5, repeat: Int? = nil, slos: [SLO] = []
    ) throws(ComparisonError) -> Comparison {
        var baseline = try loadRuns(at: baselinePath)
        let current = try loadRuns(at: currentPath)
        var notes: [String] = []
        notes += baseline.skipped.map { "skipped \(baselinePath)/\($0): not a tokenbench result" }
        notes += current.skipped.map { "skipped \(currentPath)/\($0): not a tokenbench result" }
        // Two single files are one pair, whatever their scenario names.
        if baseline.runs.count == 1, current.runs.count == 1, !isDirectory(baselinePath), !isDirectory(currentPath) {
            let name = current.runs.keys.first!
            baseline.runs = [name: baseline.runs.values.first!]
        }
        let common = Set(baseline.runs.keys).intersection(current.runs.keys).sorted()
        for name in Set(baseline.runs.keys).subtracting(current.runs.keys).sorted() {
            notes.append("scenario \(name): in the baseline only, not compared")
        }
        for name in Set(current.runs.keys).subtracting(baseline.runs.keys).sorted() {
            notes.append("scenario \(name): in the current results only, not compared")
        }
        guard !common.isEmpty else {
            throw ComparisonError("no scenario in common between \(baselinePath) (\(baseline.runs.keys.sorted().joined(separator: ", "))) and \(currentPath) (\(current.runs.keys.sorted().joined(separator: ", ")))")
        }
        if let needed = `repeat` {
            for name in common where current.runs[name]!.count < needed {
                throw ComparisonError("scenario \(name): --repeat \(needed) needs \(needed) current runs, found \(current.runs[name]!.count)")
            }
        }
        let scenarios = common.map { name in
            compareScenario(name, baseline: baseline.runs[name]!, current: current.runs[name]!,
                            thresholds: thresholds, minimumCount: minimumCount, minimumLatencyDeltaUs: minimumLatencyDeltaUs, slos: slos)
        }
        return Comparison(
            baseline: baselinePath, current: currentPath, thresholds: thresholds.effectiveRules.map(\.text),
            minimumCount: minimumCount, minimumLatencyDeltaUs: minimumLatencyDeltaUs, scenarios: scenarios, notes: notes,
            regressed: scenarios.contains(where: \.regressed),
            inconclusive: scenarios.contains(where: \.inconclusive) && !scenarios.contains { $0.invariantViolations > 0 }
                && !scenarios.contains { !$0.slo.allSatisfy(\.passed) })
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    package static func compareScenario(
        _ name: String, baseline: [ComparableRun], current: [ComparableRun],
        thresholds: ComparisonThresholds, minimumCount: Int, minimumLatencyDeltaUs: Double = 5, slos: [SLO] = []
    ) -> ScenarioComparison {
        var notes: [String] = []
        var rows: [ComparisonRow] = []
        // Operations the baseline measured well that the current runs lost: a regression.
        var vanished: [String] = []
        if let b = baseline.first?.config, let c = current.first?.config, b != c {
            let keys = b.differences(from: c)
            notes.append("settings differ: " + keys.map { "\($0) \(b[$0]?.description ?? "absent") → \(c[$0]?.description ?? "absent")" }.joined(separator: ", "))
        }
        let backends = (baseline.first?.store?.backend, current.first?.store?.backend)
        if backends.0 != backends.1 {
            notes.append("store differs: baseline \(backends.0 ?? "none"), current \(backends.1 ?? "none")")
        }
        for (section, key) in [("operation", \ComparableRun.operations), ("phase", \ComparableRun.phases)] {
            let baseNames = Set(baseline.flatMap { $0[keyPath: key].filter { $0.value.count > 0 }.keys })
            let currentNames = Set(current.flatMap { $0[keyPath: key].filter { $0.value.count > 0 }.keys })
            for missing in baseNames.subtracting(currentNames).sorted() {
                let counts = baseline.compactMap { $0[keyPath: key][missing]?.count }.map(Double.init)
                if Int(median(counts)) >= minimumCount {
                    vanished.append("\(section) \(missing): \(Int(median(counts))) in the baseline, none in the current runs")
                } else {
                    notes.append("\(section) \(missing): measured in the baseline, absent from the current runs")
                }
            }
            for name in baseNames.intersection(currentNames).sorted(by: orderedNames) {
                let b = baseline.compactMap { $0[keyPath: key][name] }.filter { $0.count > 0 }
                let c = current.compactMap { $0[keyPath: key][name] }.filter { $0.count > 0 }
                let baseCount = Int(median(b.map { Double($0.count) }))
                let currentCount = Int(median(c.map { Double($0.count) }))
                for metric in ComparisonThresholds.Metric.allCases {
                    let baseValue = median(b.map { value(metric, $0) })
                    let currentValue = median(c.map { value(metric, $0) })
                    var change: Double? = metric == .errorRate ? currentValue - baseValue
                        : baseValue > 0 ? (currentValue - baseValue) / baseValue * 100 : nil
                    if let c = change, !c.isFinite { change = nil }
                    // Throughput and error rate are gated whenever the baseline is well
                    // measured: a collapse to a handful of operations is the worst regression.
                    // Percentiles of a handful of samples are noise.
                    let gated = metric == .throughput || metric == .errorRate
                        ? baseCount >= minimumCount
                        : baseCount >= minimumCount && currentCount >= minimumCount
                    let limit = gated ? thresholds.limit(for: metric, of: name) : nil
                    var regressed = false
                    if let limit, let change {
                        switch metric {
                        case .p50, .p99: regressed = change > limit && currentValue - baseValue > minimumLatencyDeltaUs
                        case .errorRate: regressed = change > limit
                        case .throughput: regressed = change < -limit
                        }
                    }
                    rows.append(ComparisonRow(
                        section: section, name: name, metric: metric, baseline: baseValue, current: currentValue,
                        changePercent: change.map { $0.rounded(toPlaces: 2) }, limitPercent: limit,
                        baselineCount: baseCount, currentCount: currentCount, regressed: regressed))
                }
            }
        }
        let violations = current.map(\.invariants.violations).reduce(0, &+)
        if violations > 0 {
            notes.append("REGRESSION: invariant violations in the current runs: \(violations)")
        }
        notes += vanished.map { "REGRESSION: \($0)" }
        var inconclusive = false
        for (side, runs) in [("baseline", baseline), ("current", current)] {
            for (i, run) in runs.enumerated() where run.verdict.flatMap(Verdict.init(rawValue:)) == .inconclusive {
                inconclusive = true
                notes.append("INCONCLUSIVE: \(side) run \(i + 1): \((run.inconclusive ?? []).joined(separator: "; "))")
            }
        }
        // Objectives over the current runs (medians); one with no samples fails and says so.
        let sloResults = slos.map { slo in
            slo.evaluate(summaries: current.compactMap { $0.operations[slo.operation] ?? $0.phases[slo.operation] })
        }
        for r in sloResults where !r.passed {
            notes.append("REGRESSION: SLO \(r.slo) breached by the current runs (\(r.note ?? "observed \(r.observedText)"))")
        }
        var comparison = ScenarioComparison(
            scenario: name, baselineRuns: baseline.count, currentRuns: current.count, rows: rows, notes: notes,
            regressed: violations > 0 || !vanished.isEmpty || rows.contains(where: \.regressed) || sloResults.contains { !$0.passed },
            inconclusive: inconclusive)
        comparison.slo = sloResults
        comparison.invariantViolations = violations
        comparison.vanished = vanished
        return comparison
    }

    package static func value(_ metric: ComparisonThresholds.Metric, _ summary: OperationSummary) -> Double {
        switch metric {
        case .p50: summary.latencyUs.p50
        case .p99: summary.latencyUs.p99
        case .throughput: summary.throughputPerS
        case .errorRate: summary.count > 0 ? Double(summary.errors) / Double(summary.count) * 100 : 0
        }
    }

    /// The median: the middle value, or the mean of the two middle values.
    package static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Operations in session order, then phases alphabetically.
    package static func orderedNames(_ a: String, _ b: String) -> Bool {
        let order = Operation.allCases.map(\.rawValue)
        switch (order.firstIndex(of: a), order.firstIndex(of: b)) {
        case let (x?, y?): return x < y
        case (_?, nil): return true
        case (nil, _?): return false
        default: return a < b
        }
    }
}

extension Comparison {
    /// Pretty, key-sorted JSON (`--format json`).
    public func jsonData() throws -> Data { try prettyJSON(self) }

    /// The terminal report: one table per scenario, regressions marked, then the verdict.
    public func render() -> String {
        var out = "baseline \(baseline)\ncurrent  \(current)\nthresholds \(thresholds.joined(separator: ", ")); gated from \(minimumCount) samples and latency changes over \(Units.compact(minimumLatencyDeltaUs)) µs\n"
        for scenario in scenarios {
            out += "\n\(scenario.scenario)  (\(scenario.baselineRuns) baseline run\(scenario.baselineRuns == 1 ? "" : "s"), \(scenario.currentRuns) current run\(scenario.currentRuns == 1 ? "" : "s"), medians)\n"
            let header = ["", "metric", "baseline", "current", "change", "limit", ""]
            var table = [header]
            for row in scenario.rows {
                let rate = row.metric == .errorRate
                let unit = switch row.metric {
                case .throughput: "/s"
                case .errorRate: " %"
                case .p50, .p99: " µs"
                }
                table.append([
                    row.name, row.metric.rawValue,
                    (rate ? String(format: "%.2f", row.baseline) : Units.compact(row.baseline)) + unit,
                    (rate ? String(format: "%.2f", row.current) : Units.compact(row.current)) + unit,
                    row.changePercent.map { String(format: rate ? "%+.2f pt" : "%+.1f %%", $0) } ?? "n/a",
                    row.limitPercent.map { "\(row.metric.largerIsWorse ? "+" : "-")\(ComparisonThresholds.Rule.format($0))\(rate ? " pt" : " %")" }
                        ?? (min(row.baselineCount, row.currentCount) < minimumCount && row.metric != .throughput && row.metric != .errorRate
                            ? "n<\(minimumCount)" : "—"),
                    row.regressed ? "REGRESSION" : "",
                ])
            }
            out += Self.align(table, left: [0, 1, 6])
            for r in scenario.slo {
                out += "  slo \(r.slo): \(r.passed ? "pass" : "BREACH") (\(r.note ?? "observed \(r.observedText)"))\n"
            }
            for note in scenario.notes { out += "  note: \(note)\n" }
        }
        if !notes.isEmpty { out += "\n" + notes.map { "note: \($0)\n" }.joined() }
        let count = scenarios.flatMap(\.rows).filter(\.regressed).count
        let other = scenarios.map { s in (s.invariantViolations > 0 ? 1 : 0) + s.vanished.count + s.slo.filter { !$0.passed }.count }.reduce(0, +)
        var reasons: [String] = []
        if count > 0 { reasons.append("\(count) metric\(count == 1 ? "" : "s") past \(count == 1 ? "its" : "their") limit") }
        if other > 0 { reasons.append("\(other) correctness or vanished-operation finding\(other == 1 ? "" : "s")") }
        if inconclusive {
            out += "\nINCONCLUSIVE: a run could not judge its target (see its notes): neither a regression nor its absence is shown\n"
        } else {
            out += regressed ? "\nREGRESSION: \(reasons.joined(separator: "; "))\n" : "\nno regression\n"
        }
        return out
    }

    /// Columns padded to a width; those in `left` left-aligned, the others right-aligned.
    package static func align(_ table: [[String]], left: Set<Int>) -> String {
        let widths = (0..<table[0].count).map { c in table.map { $0[c].count }.max()! }
        return table.map { row in
            "  " + row.enumerated().map { c, cell in
                left.contains(c) ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        }.joined()
    }
}

extension Sequence {
    package func concat<S: Sequence>(_ other: S) -> [Element] where S.Element == Element { Array(self) + Array(other) }
}

extension String {
    package func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

extension Comparison {
    /// What the comparison concludes: inconclusive (exit 3) when a run could not judge its
    /// target and no current run violated an invariant; a regression is ``Verdict/sloBreach``
    /// (exit 2); else a pass.
    public var verdict: Verdict {
        if inconclusive { return .inconclusive }
        return regressed ? .sloBreach : .pass
    }
}
