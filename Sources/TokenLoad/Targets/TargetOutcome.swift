import TokenAuth
import TokenResults
import TokenHTTPClient

/// How an operation against a target ended.
public enum TargetOutcome<Value: Sendable>: Sendable {
    /// Success.
    case ok(Value)
    /// The target refused the request the way the protocol says it should refuse a bad one
    /// (`invalid_grant`, `invalid_token`, 400/401): expected for hostile traffic, an error otherwise.
    case rejected(RejectionKind, FailureDetail = FailureDetail())
    /// The target failed: unavailable store, 5xx, transport error, wrong endpoint.
    case failed(ErrorKind, FailureDetail = FailureDetail())

    /// Whether the outcome is a success.
    public var succeeded: Bool {
        if case .ok = self { return true }
        return false
    }

    /// Whether the target refused the request: TokenBench's one refusal rule. A refusal is a
    /// protocol rejection (4xx: `invalid_grant`, `invalid_token`, 401, 403, 422, …), whatever
    /// its status; a rate limit (429) is not a refusal of the request itself, and a failure
    /// (5xx, transport) never is (refused is refused: a 5xx is not a refusal).
    public var isRefusal: Bool {
        if case .rejected(let kind, _) = self { return kind != .rateLimited }
        return false
    }

    /// The detail of a refusal or failure, `nil` on success.
    public var detail: FailureDetail? {
        switch self {
        case .ok: nil
        case .rejected(_, let d), .failed(_, let d): d
        }
    }
}
