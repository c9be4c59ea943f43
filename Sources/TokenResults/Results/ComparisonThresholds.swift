
/// How far a metric may move against a baseline before `tokenbench compare` calls it a
/// regression. Limits are percentages of the baseline value, in the metric's bad direction:
/// latency up (`p50`, `p99`), throughput down.
///
/// `error_rate` is different: its limit is in **percentage points** of the operation's error
/// rate, because a relative change of a rate that is usually 0 means nothing.
///
/// Defaults: `p99` +10 %, `throughput` −10 %, `error_rate` +1 point, `p50` reported but not
/// gated. A rule may be
/// scoped to one operation or phase (`refresh.p99=+25%`); a scoped rule wins over the
/// unscoped one of the same metric.
public struct ComparisonThresholds: Sendable, Hashable {
    /// The compared metrics of an operation or phase.
    public enum Metric: String, Sendable, Hashable, Codable, CaseIterable {
        /// Median latency, µs.
        case p50
        /// 99th-percentile latency, µs.
        case p99
        /// Completed operations per second.
        case throughput
        /// Failed operations, percent of all.
        case errorRate = "error_rate"

        /// Whether a larger value is worse.
        public var largerIsWorse: Bool { self != .throughput }
    }

    /// One limit.
    public struct Rule: Sendable, Hashable {
        /// An operation or phase name (`refresh`, `store_rotate`), or `nil` for all.
        public var scope: String?
        public var metric: Metric
        /// The allowed change in the bad direction, percent (≥ 0); `nil` turns gating off.
        public var limitPercent: Double?

        public init(scope: String? = nil, metric: Metric, limitPercent: Double?) {
            self.scope = scope
            self.metric = metric
            self.limitPercent = limitPercent
        }

        /// `[SCOPE.]METRIC=LIMIT`, e.g. `p99=+10%`.
        public var text: String {
            let limit = limitPercent.map { "\(metric.largerIsWorse ? "+" : "-")\(Self.format($0))\(metric == .errorRate ? "pt" : "%")" } ?? "off"
            return "\(scope.map { "\($0)." } ?? "")\(metric.rawValue)=\(limit)"
        }

        static func format(_ value: Double) -> String {
            value == value.rounded() ? String(Int(value)) : String(value)
        }
    }

    public static let accepted = "[OPERATION.]METRIC=LIMIT with METRIC p50, p99, throughput or error_rate and LIMIT a percentage (points for error_rate) or 'off', e.g. p99=+10%, throughput=-5%, refresh.p99=+25%, error_rate=+0.5%, p50=off"

    /// The rules in force, later ones overriding earlier ones of the same scope and metric.
    public private(set) var rules: [Rule]

    /// The defaults: `p99=+10%`, `throughput=-10%`, `error_rate=+1%` (one point).
    public init() {
        rules = [Rule(metric: .p99, limitPercent: 10), Rule(metric: .throughput, limitPercent: 10),
                 Rule(metric: .errorRate, limitPercent: 1)]
    }

    /// The defaults, then `texts` in order.
    /// - Parameter texts: `--threshold` values.
    /// - Throws: ``SettingError`` for `--threshold` with the accepted form: an unknown
    ///   metric, a limit that is not a percentage ≥ 0, or a sign against the metric's bad
    ///   direction (`p99=-10%`: latency regresses upwards).
    public init(parsing texts: [String]) throws(SettingError) {
        self.init()
        for text in texts { try add(parsing: text) }
    }

    /// Adds one rule.
    /// - Throws: ``SettingError`` as ``init(parsing:)``.
    public mutating func add(parsing text: String) throws(SettingError) {
        let fail = SettingError(setting: "--threshold", accepted: Self.accepted)
        let t = text.replacingOccurrences(of: " ", with: "")
        let sides = t.split(separator: "=", omittingEmptySubsequences: false)
        guard sides.count == 2 else { throw fail }
        let left = sides[0].split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(left.count), let metric = Metric(rawValue: String(left.last!)) else { throw fail }
        var scope: String?
        if left.count == 2 {
            let name = String(left[0])
            guard Operation(rawValue: name) != nil || MeasuredPhase(rawValue: name) != nil else { throw fail }
            scope = name
        }
        var value = Substring(sides[1])
        if value == "off" {
            rules.append(Rule(scope: scope, metric: metric, limitPercent: nil))
            return
        }
        if metric == .errorRate, value.hasSuffix("pt") {
            value = value.dropLast(2)
        } else {
            guard value.hasSuffix("%") else { throw fail }
            value = value.dropLast()
        }
        if value.hasPrefix("+") {
            guard metric.largerIsWorse else { throw fail }
            value = value.dropFirst()
        } else if value.hasPrefix("-") {
            guard !metric.largerIsWorse else { throw fail }
            value = value.dropFirst()
        }
        guard let limit = Double(value), limit.isFinite, limit >= 0, limit <= 10_000 else { throw fail }
        rules.append(Rule(scope: scope, metric: metric, limitPercent: limit))
    }

    /// The rules in force: the last of each scope and metric, in first-seen order.
    public var effectiveRules: [Rule] {
        var seen: [String: Int] = [:]
        var out: [Rule] = []
        for rule in rules {
            let key = "\(rule.scope ?? "").\(rule.metric.rawValue)"
            if let i = seen[key] { out[i] = rule } else { seen[key] = out.count; out.append(rule) }
        }
        return out
    }

    /// The limit for `metric` of operation or phase `name`: the last scoped rule, else the last
    /// unscoped one, else none (not gated).
    public func limit(for metric: Metric, of name: String) -> Double? {
        if let rule = rules.last(where: { $0.metric == metric && $0.scope == name }) { return rule.limitPercent }
        return rules.last(where: { $0.metric == metric && $0.scope == nil })?.limitPercent
    }
}
