import Foundation

/// A service-level objective checked against a run: `OP.METRIC CMP VALUE`, e.g.
/// `refresh.p99<20ms`, `login.p50<=150ms`, `refresh.error_rate<1%`, `access.throughput>=5000`.
/// `OP` is an operation (`login`, `access`, `refresh`, `logout`) or an in-process phase;
/// `METRIC` is `p50 p90 p99 p999 max mean` (a duration: `us`, `ms`, `s`), `error_rate`
/// (a ratio or a percentage) or `throughput` (per second).
public struct SLO: Sendable, Hashable, Codable {
    public enum Metric: String, Sendable, Hashable, Codable {
        case p50, p90, p99, p999, max, mean
        case errorRate = "error_rate"
        case throughput
    }

    public enum Comparison: String, Sendable, Hashable, Codable {
        case lt = "<", le = "<=", gt = ">", ge = ">="
        func holds(_ a: Double, _ b: Double) -> Bool {
            switch self {
            case .lt: a < b
            case .le: a <= b
            case .gt: a > b
            case .ge: a >= b
            }
        }
    }

    public var text: String
    public var operation: String
    public var metric: Metric
    public var comparison: Comparison
    /// µs for latency metrics, a ratio (0 … 1) for `error_rate`, per second for `throughput`.
    public var threshold: Double

    package static let accepted = "OP.METRIC<VALUE, e.g. refresh.p99<20ms, refresh.error_rate<1%, access.throughput>=5000"

    /// Parses one SLO.
    /// - Throws: ``SettingError`` for `--slo` with the accepted form.
    public init(parsing text: String) throws(SettingError) {
        let fail = SettingError(setting: "--slo", accepted: Self.accepted)
        let t = text.replacingOccurrences(of: " ", with: "")
        guard let opIndex = t.firstIndex(where: { "<>".contains($0) }) else { throw fail }
        let lhs = t[..<opIndex]
        var rest = t[opIndex...]
        let comparison: Comparison
        if rest.hasPrefix("<=") { comparison = .le; rest = rest.dropFirst(2) }
        else if rest.hasPrefix(">=") { comparison = .ge; rest = rest.dropFirst(2) }
        else if rest.hasPrefix("<") { comparison = .lt; rest = rest.dropFirst() }
        else { comparison = .gt; rest = rest.dropFirst() }
        let parts = lhs.split(separator: ".")
        guard parts.count == 2, let metric = Metric(rawValue: String(parts[1])) else { throw fail }
        let operation = String(parts[0])
        guard Operation(rawValue: operation) != nil || MeasuredPhase(rawValue: operation) != nil else { throw fail }
        let value = String(rest)
        let threshold: Double
        switch metric {
        case .errorRate:
            if value.hasSuffix("%"), let v = Double(value.dropLast()), v >= 0, v <= 100 { threshold = v / 100 }
            else if let v = Double(value), v >= 0, v <= 1 { threshold = v }
            else { throw fail }
        case .throughput:
            guard let v = Double(value.hasSuffix("/s") ? String(value.dropLast(2)) : value), v.isFinite, v >= 0 else { throw fail }
            threshold = v
        default:
            guard let seconds = DurationValue.seconds(value), value.last?.isLetter == true else { throw fail }
            threshold = seconds * 1_000_000
        }
        self.text = text
        self.operation = operation
        self.metric = metric
        self.comparison = comparison
        self.threshold = threshold
    }

    /// Checks the objective against a result.
    public func evaluate(_ result: RunResult) -> SLOResult {
        // An objective over an operation with no samples fails: it was never shown to hold.
        evaluate(summaries: [result.operations[operation] ?? result.phases[operation]].compactMap { $0 })
    }

    /// Checks the objective against the median of several runs' summaries of its operation
    /// (`compare` over repeated runs); those without samples do not count, and with none left
    /// the objective fails with `no samples`.
    public func evaluate(summaries: [OperationSummary]) -> SLOResult {
        let measured = summaries.filter { $0.count > 0 }
        guard !measured.isEmpty else { return SLOResult(slo: text, observed: nil, passed: false, note: "no samples") }
        let values = measured.map(observe).sorted()
        let observed = values.count % 2 == 1 ? values[values.count / 2] : (values[values.count / 2 - 1] + values[values.count / 2]) / 2
        return SLOResult(slo: text, observed: observed, passed: comparison.holds(observed, threshold))
    }

    /// The metric's value in one summary: µs, a ratio or per second.
    package func observe(_ summary: OperationSummary) -> Double {
        switch metric {
        case .p50: summary.latencyUs.p50
        case .p90: summary.latencyUs.p90
        case .p99: summary.latencyUs.p99
        case .p999: summary.latencyUs.p999
        case .max: summary.latencyUs.max
        case .mean: summary.latencyUs.mean
        case .errorRate: summary.count == 0 ? 0 : Double(summary.errors) / Double(summary.count)
        case .throughput: summary.throughputPerS
        }
    }
}

public struct SLOResult: Codable, Sendable, Hashable {
    public var slo: String
    /// The measured value (µs, ratio or per second); `nil` when the operation was not measured.
    public var observed: Double?
    public var passed: Bool
    /// `no samples` when the operation never happened in the measured window.
    public var note: String?

    public init(slo: String, observed: Double?, passed: Bool, note: String? = nil) {
        self.slo = slo
        self.observed = observed
        self.passed = passed
        self.note = note
    }
}

extension SLOResult {
    /// The objective this result checked, parsed again from its text (`nil` for text this
    /// version does not read).
    public var objective: SLO? { try? SLO(parsing: slo) }

    /// The observed value in its metric's unit: `0.50 %`, `1234/s`, `12.5 ms`, `850 µs`, or
    /// `n/a` when nothing was measured.
    public var observedText: String {
        guard let v = observed else { return "n/a" }
        switch objective?.metric {
        case .errorRate: return "\(Units.figure(v * 100)) %"
        case .throughput: return "\(Units.figure(v))/s"
        default: return Units.latency(us: v)
        }
    }
}

extension SLO.Metric {
    /// Whether the metric is a latency (µs).
    public var isLatency: Bool { ![.errorRate, .throughput].contains(self) }

    /// The percentile a latency metric names (`p99` → 99), `nil` for mean and the others.
    public var percentile: Double? {
        switch self {
        case .p50: 50
        case .p90: 90
        case .p99: 99
        case .p999: 99.9
        case .max: 100
        default: nil
        }
    }
}
