import Foundation

/// Settings of an ``AuthService``. All durations are in seconds.
public struct AuthConfiguration: Sendable, Hashable {
    /// `iss` of issued access tokens, and the only issuer accepted (RFC 9068 §4).
    public var issuer: String = "tokenbench"
    /// `aud` of issued access tokens, and the audience required on verification (RFC 9068 §4).
    public var audience: String = "tokenbench-api"
    /// Access-token lifetime (`exp - iat`), seconds. Default 300 s.
    public var accessTokenLifetime: TimeInterval = 300
    /// Absolute lifetime of a refresh-token family from login, seconds; rotation never extends
    /// it. Default 30 days.
    public var refreshTokenLifetime: TimeInterval = 30 * 24 * 3600
    /// Optional idle timeout of a family, seconds: a family not refreshed for this long
    /// expires. `nil` disables it (default).
    public var idleTimeout: TimeInterval? = nil
    /// Grace window, seconds (default 10 s, 0 disables): the immediately previous refresh token,
    /// presented again within this time after its rotation, gets the same successor back
    /// instead of triggering reuse detection (RFC 9700 §4.14.2 leaves this to the server).
    public var graceWindow: TimeInterval = 10
    /// Clock-skew leeway for `exp`, `nbf` and `iat`, seconds; default 30 s, at most 60 s
    /// (RFC 7519 §4.1.4 "small leeway").
    public var leeway: TimeInterval = 30
    /// When `true`, ``AuthService/authenticate(accessToken:)`` also checks in the store that
    /// the token's session (`sid`) is live, so a logout takes effect before `exp`. Costs one
    /// store read per request. Default `false` (stateless access tokens, RFC 9068).
    public var checkSessionOnAccess: Bool = false
    /// Longest password accepted at login, bytes of UTF-8 (default 1024). Longer passwords get
    /// `invalid_request` without hashing, so a huge password cannot buy CPU time.
    public var maxPasswordBytes: Int = 1024
    /// Longest access or refresh token looked at, bytes (default 8192). Longer input is
    /// rejected before any decoding.
    public var maxTokenBytes: Int = 8192
    /// `client_id` written into access tokens when the caller names none.
    public var defaultClientID: String? = nil

    public init() {}

    /// Checks every setting against its accepted range.
    /// - Throws: ``ConfigurationError`` naming the first setting out of range.
    public func validate() throws(ConfigurationError) {
        func check(_ ok: Bool, _ setting: String, _ accepted: String) throws(ConfigurationError) {
            if !ok { throw ConfigurationError(setting: setting, accepted: accepted) }
        }
        try check(!issuer.isEmpty, "issuer", "a non-empty string")
        try check(!audience.isEmpty, "audience", "a non-empty string")
        try check(accessTokenLifetime.isFinite && accessTokenLifetime >= 1 && accessTokenLifetime <= 86_400,
                  "accessTokenLifetime", "1 ... 86400 seconds")
        try check(refreshTokenLifetime.isFinite && refreshTokenLifetime >= 1 && refreshTokenLifetime <= 400 * 86_400,
                  "refreshTokenLifetime", "1 ... 34560000 seconds (400 days)")
        if let idle = idleTimeout {
            try check(idle.isFinite && idle >= 1, "idleTimeout", "at least 1 second, or nil")
        }
        try check(graceWindow.isFinite && graceWindow >= 0 && graceWindow <= 300, "graceWindow", "0 ... 300 seconds")
        try check(leeway.isFinite && leeway >= 0 && leeway <= 60, "leeway", "0 ... 60 seconds")
        try check(maxPasswordBytes >= 1 && maxPasswordBytes <= 65_536, "maxPasswordBytes", "1 ... 65536 bytes")
        try check(maxTokenBytes >= 256 && maxTokenBytes <= 65_536, "maxTokenBytes", "256 ... 65536 bytes")
    }
}
