/// The one error type the service throws. A `code` says what the caller must do (it maps to
/// the RFC 6749 §5.2 / RFC 6750 §3 error codes in the HTTP layer); a `reason` gives the
/// context for logs, metrics and tests. Neither ever carries a token, password or secret.
public struct AuthError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, from the client's point of view.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Bad credentials, or a refresh token that is malformed, unknown, expired, revoked or
        /// reused (RFC 6749 §5.2 `invalid_grant`, HTTP 400).
        case invalidGrant = "invalid_grant"
        /// The request is missing a parameter or has one of an unacceptable shape
        /// (RFC 6749 §5.2 `invalid_request`, HTTP 400).
        case invalidRequest = "invalid_request"
        /// The access token is malformed, expired, forged or of the wrong type
        /// (RFC 6750 §3.1 `invalid_token`, HTTP 401).
        case invalidToken = "invalid_token"
        /// The refresh-token store could not be reached or failed; the request was not
        /// treated as valid (fail closed; HTTP 503).
        case temporarilyUnavailable = "temporarily_unavailable"
    }

    /// Why, in more detail. Stable strings: they label metrics and audit events.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        // credentials
        case badCredentials = "bad_credentials"
        case passwordTooLong = "password_too_long"
        case passwordInvalidCharacter = "password_invalid_character"
        case missingParameter = "missing_parameter"
        // refresh tokens
        case malformedToken = "malformed_token"
        case unknownToken = "unknown_token"
        case familyExpired = "family_expired"
        case familyRevoked = "family_revoked"
        case reuseDetected = "reuse_detected"
        /// The family's user was disabled or deleted; the family is revoked.
        case userDisabled = "user_disabled"
        /// No user has this name or subject (administration).
        case unknownUser = "unknown_user"
        // access tokens
        case unknownKey = "unknown_kid"
        case algorithmMismatch = "alg_mismatch"
        case unsecuredAlgorithm = "alg_none"
        case wrongTokenType = "wrong_typ"
        case badSignature = "bad_signature"
        case tokenExpired = "token_expired"
        case tokenNotYetValid = "token_not_yet_valid"
        case wrongIssuer = "wrong_iss"
        case wrongAudience = "wrong_aud"
        case missingClaim = "missing_claim"
        case sessionRevoked = "session_revoked"
        // infrastructure
        case storeUnavailable = "store_unavailable"
        case signingFailed = "signing_failed"
    }

    public var code: Code
    public var reason: Reason

    public init(_ code: Code, _ reason: Reason) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue) (\(reason.rawValue))" }

    static func invalidGrant(_ reason: Reason) -> AuthError { AuthError(.invalidGrant, reason) }
    static func invalidToken(_ reason: Reason) -> AuthError { AuthError(.invalidToken, reason) }
    static func invalidRequest(_ reason: Reason) -> AuthError { AuthError(.invalidRequest, reason) }
    static let storeUnavailable = AuthError(.temporarilyUnavailable, .storeUnavailable)
}

/// A configuration value outside its accepted range.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The setting, by its name in ``AuthConfiguration`` or the CLI flag.
    public var setting: String
    /// What is accepted, e.g. "0 ... 60 seconds".
    public var accepted: String

    public init(setting: String, accepted: String) {
        self.setting = setting
        self.accepted = accepted
    }

    public var description: String { "invalid \(setting): accepted \(accepted)" }
}
