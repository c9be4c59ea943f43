import Foundation

/// What a successful login or refresh returns (RFC 6749 §5.1).
public struct TokenPair: Sendable, Hashable {
    /// The JWS access token (RFC 9068).
    public var accessToken: String
    /// The opaque refresh token.
    public var refreshToken: String
    /// Seconds until the access token expires, from the request time (`expires_in`).
    public var expiresIn: Int
    /// The session (refresh-token family) this pair belongs to: the `sid` claim.
    public var sessionID: FamilyID
    /// The user: the `sub` claim.
    public var subject: String

    /// Always `"Bearer"` (RFC 6750).
    public var tokenType: String { "Bearer" }
}

/// What a revocation did (RFC 7009 §2.2: the client sees 200 in every case).
public enum RevocationOutcome: String, Sendable, Hashable {
    /// This call revoked a live family.
    case revoked
    /// The family was already revoked, or expired and purged.
    case alreadyRevoked = "already_revoked"
    /// The token is not one of ours (malformed, forged or unknown).
    case unknownToken = "unknown_token"
}
