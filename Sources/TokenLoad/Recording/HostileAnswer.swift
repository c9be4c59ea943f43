import TokenResults

/// How the target answered one hostile request: refused (any 4xx but 429, by its status),
/// accepted, or unjudged (429, 5xx, no answer) with the reason. Every hostile request is one of
/// the three (docs/design.md, "Every request is accounted for").
package enum HostileAnswer: Sendable, Hashable {
    case refused(by: String)
    case accepted
    case unjudged(by: String)

    /// The answer `outcome` is: a refusal by its status (in-process: its error code), a 429 or a
    /// failure unjudged by its status or class.
    package init<Value>(_ outcome: TargetOutcome<Value>) {
        switch outcome {
        case .ok: self = .accepted
        case .rejected(.rateLimited, let d): self = .unjudged(by: d.status.map(String.init) ?? RejectionKind.rateLimited.rawValue)
        case .rejected(let kind, let d): self = .refused(by: d.status.map(String.init) ?? d.code ?? kind.rawValue)
        case .failed(let kind, let d): self = .unjudged(by: d.status.map(String.init) ?? kind.rawValue)
        }
    }

    package var isRefused: Bool {
        if case .refused = self { return true }
        return false
    }

    package var isUnjudged: Bool {
        if case .unjudged = self { return true }
        return false
    }
}
