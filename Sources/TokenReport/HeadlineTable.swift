import Foundation
import TokenResults

/// The headline figures of a set of results, one row per scenario (medians over its runs):
/// the table of `results/README.md` (`tokenbench report DIR --format markdown`).
public struct HeadlineTable: Sendable {
    public struct Row: Sendable, Hashable {
        public var scenario: String
        public var runs: Int
        /// `memory`, `sqlite`, `postgres`, `redis`, or the target for HTTP and no-op runs.
        public var store: String
        /// `closed, 2000 users` or `open, 5000/s`.
        public var load: String
        /// Operations per second, all kinds together, and per kind.
        public var throughput: Double
        public var loginPerS: Double
        public var refreshPerS: Double
        public var accessPerS: Double
        /// Latency, µs (shown as "—" when the operation did not occur).
        public var loginP99: Double
        public var refreshP50: Double
        public var refreshP99: Double
        public var errors: Int
        public var violations: Int
    }

    public var rows: [Row]

    /// Reads the results under `path`.
    /// - Throws: ``ComparisonError`` as ``Comparison/loadRuns(at:)``.
    public init(path: String) throws(ComparisonError) {
        let loaded = try Comparison.loadRuns(at: path)
        rows = loaded.runs.keys.sorted().map { name in
            let runs = loaded.runs[name]!
            func median(_ f: (ComparableRun) -> Double) -> Double { Comparison.median(runs.map(f)) }
            func operation(_ op: String, _ f: (OperationSummary) -> Double) -> Double {
                median { $0.operations[op].map(f) ?? 0 }
            }
            let settings = runs[0].config
            func setting(_ key: String) -> String { settings[key]?.description ?? "?" }
            let load = setting("model") == "open" ? "open, \(setting("rate"))/s" : "closed, \(setting("users")) users"
            return Row(
                scenario: name, runs: runs.count,
                store: runs[0].store?.backend ?? (setting("target") == "in-process" ? "memory" : setting("target")),
                load: load,
                throughput: median { $0.operations.values.map(\.throughputPerS).reduce(0, +) },
                loginPerS: operation("login", \.throughputPerS), refreshPerS: operation("refresh", \.throughputPerS),
                accessPerS: operation("access", \.throughputPerS),
                loginP99: operation("login", \.latencyUs.p99), refreshP50: operation("refresh", \.latencyUs.p50),
                refreshP99: operation("refresh", \.latencyUs.p99),
                errors: Int(median { Double($0.operations.values.map(\.errors).reduce(0, +)) }),
                violations: runs.map(\.invariants.violations).reduce(0, &+))
        }
    }

    package static let header = ["scenario", "runs", "store", "load", "ops/s", "login/s", "refresh/s", "access/s",
                         "login p99", "refresh p50", "refresh p99", "errors", "violations"]

    package func cells(_ row: Row) -> [String] {
        [row.scenario, String(row.runs), row.store, row.load, Units.shortRate(row.throughput), Units.shortRate(row.loginPerS),
         Units.shortRate(row.refreshPerS), Units.shortRate(row.accessPerS),
         row.loginPerS > 0 ? Units.shortLatency(us: row.loginP99) : "—",
         row.refreshPerS > 0 ? Units.shortLatency(us: row.refreshP50) : "—",
         row.refreshPerS > 0 ? Units.shortLatency(us: row.refreshP99) : "—",
         String(row.errors), String(row.violations)]
    }

    /// A GitHub-flavoured Markdown table.
    public func markdown() -> String {
        var out = "| " + Self.header.joined(separator: " | ") + " |\n"
        out += "|" + Self.header.enumerated().map { i, _ in i < 4 ? "---|" : "---:|" }.joined() + "\n"
        for row in rows { out += "| " + cells(row).joined(separator: " | ") + " |\n" }
        return out
    }

    /// Aligned columns for a terminal.
    public func text() -> String {
        Comparison.align([Self.header] + rows.map(cells), left: [0, 1, 2, 3])
    }

}
