import TokenAuth
import TokenResults
import TokenHTTPClient

/// Protocol-level refusals.
public enum RejectionKind: String, Sendable, Hashable, Codable, CaseIterable {
    case invalidGrant = "invalid_grant"
    case invalidToken = "invalid_token"
    case invalidRequest = "invalid_request"
    case rateLimited = "rate_limited"
}
