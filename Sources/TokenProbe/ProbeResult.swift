import TokenLoad
import TokenResults
import TokenHTTPClient
/// The verdict on one case of `docs/cases.md` against a server.
public struct ProbeResult: Sendable, Hashable, Codable {
    public enum Verdict: String, Sendable, Hashable, Codable {
        case pass
        case fail
        /// The case has no HTTP face on this server (a feature it lacks, or a case that needs
        /// the signing key, a manual clock or a store outage).
        case notApplicable = "n/a"
    }

    /// The case id, e.g. `C1`.
    public var id: String
    public var title: String
    public var verdict: Verdict
    /// One line of evidence: what was sent and what came back (never a whole token).
    public var evidence: String

    public init(id: String, title: String, verdict: Verdict, evidence: String) {
        self.id = id
        self.title = title
        self.verdict = verdict
        self.evidence = evidence
    }

    /// A table: one line per case.
    public static func table(_ results: [ProbeResult]) -> String {
        // The title column is as wide as the longest title: a title is never cut.
        let width = max(47, (results.map(\.title.count).max() ?? 0) + 1)
        var lines = ["case  result  " + "title".padding(toLength: width, withPad: " ", startingAt: 0) + "evidence",
                     String(repeating: "-", count: 63 + width)]
        for r in results {
            lines.append("\(r.id.padding(toLength: 6, withPad: " ", startingAt: 0))\(r.verdict.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))\(r.title.padding(toLength: width, withPad: " ", startingAt: 0))\(r.evidence)")
        }
        let passed = results.filter { $0.verdict == .pass }.count
        let failed = results.filter { $0.verdict == .fail }.count
        let skipped = results.filter { $0.verdict == .notApplicable }.count
        lines.append("")
        lines.append("\(passed) passed, \(failed) failed, \(skipped) not applicable")
        return lines.joined(separator: "\n")
    }
}
