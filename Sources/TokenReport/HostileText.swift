import TokenResults

/// The hostile traffic of a run as text, for the console and the HTML report alike: the
/// attacks the user asked for (replays, expired and forged access tokens) on one line, the
/// checks the scenario makes on its own (two-tab pairs, the refresh after each logout) on
/// another; each line's totals are the sums of its kinds, and every request is refused,
/// accepted or unjudged, with the statuses (`forged_access 307 sent: 307 refused (422 ×307)`).
package enum HostileText {
    /// `(label, text)`: the attacks always (`none sent` when there were none), the scenario's
    /// checks when it made any.
    package static func lines(_ h: HostileSummary) -> [(label: String, text: String)] {
        let byKind = h.byKind ?? [:]
        var out: [(String, String)] = []
        for (label, checks) in [("hostile requests", false), ("scenario checks", true)] {
            let kinds = HostileKind.allCases.filter { $0.isScenarioCheck == checks }.compactMap { k in byKind[k.rawValue].map { (k, $0) } }
                .filter { $0.1.sent > 0 }
            guard !kinds.isEmpty else {
                if !checks { out.append((label, byKind.isEmpty && h.attempts > 0 ? "\(h.attempts) sent, \(h.rejected) refused" : "none sent")) }
                continue
            }
            let total = kinds.map(\.1).reduce(HostileCount(sent: 0, refused: 0), +)
            func by(_ b: HostileBreakdown?, _ names: [HostileKind]) -> [String: Int] {
                names.reduce(into: [:]) { sum, k in sum.merge(b?[k.rawValue] ?? [:], uniquingKeysWith: +) }
            }
            let parts = kinds.map { "\($0.0.rawValue) \(count($0.1, refusedBy: by(h.refusedBy, [$0.0]), unjudgedBy: by(h.unjudgedBy, [$0.0])))" }
            let all = kinds.map(\.0)
            out.append((label, kinds.count == 1 ? parts[0]
                : "\(count(total, refusedBy: by(h.refusedBy, all), unjudgedBy: by(h.unjudgedBy, all))) (\(parts.joined(separator: "; ")))"))
        }
        return out
    }

    /// `N sent: R refused (401 ×R), A accepted, U unjudged (503 ×U)`; results written before
    /// the breakdown was kept: `N sent, R refused`.
    package static func count(_ c: HostileCount, refusedBy: [String: Int] = [:], unjudgedBy: [String: Int] = [:]) -> String {
        guard let accepted = c.accepted else { return "\(c.sent) sent, \(c.refused) refused" }
        func by(_ d: [String: Int]) -> String {
            guard !d.isEmpty else { return "" }
            return " (" + d.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ") + ")"
        }
        var text = "\(c.sent) sent: \(c.refused) refused\(by(refusedBy)), \(accepted) accepted"
        let unjudged = c.unjudged ?? 0
        if unjudged > 0 { text += ", \(unjudged) unjudged\(by(unjudgedBy))" }
        return text
    }
}
