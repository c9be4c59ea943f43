import Foundation

/// One refresh-token family (a session): every refresh token descended from one login.
///
/// This is all a store keeps of a session. It holds no token, only the generation counter
/// and the SHA-256 digests of the current and the immediately previous token.
public struct RefreshFamily: Hashable, Sendable {
    /// Why a family was revoked.
    public enum RevocationReason: String, Sendable, Hashable, CaseIterable {
        /// The client logged out (RFC 7009 revocation).
        case logout
        /// Every session of the user was ended (logout everywhere, password change).
        case logoutAll = "logout_all"
        /// A spent refresh token was presented outside the grace window (RFC 9700 §4.14.2).
        case reuse
        /// The user was disabled or deleted: the refresh that found it revoked the family
        /// (GoTrue and Keycloak check the user on every refresh).
        case userDisabled = "user_disabled"
    }

    public var id: FamilyID
    /// The user (`sub`).
    public var subject: String
    /// The OAuth client the session was issued to, if known.
    public var clientID: String?
    /// Login time.
    public var createdAt: Date
    /// Absolute end of the family: `createdAt + refreshTokenLifetime`; never extended.
    public var expiresAt: Date
    /// End of the idle timeout, if one is configured: last use + idle timeout, capped at
    /// `expiresAt`.
    public var idleExpiresAt: Date?
    /// Generation of the current (only live) refresh token: 0 at login.
    public var generation: UInt64
    /// Digest of the current refresh token.
    public var currentDigest: TokenDigest
    /// Digest of the immediately previous refresh token (generation − 1), if any.
    public var previousDigest: TokenDigest?
    /// When the current generation was issued (login or last rotation).
    public var issuedAt: Date
    /// When the family was revoked, if it was.
    public var revokedAt: Date?
    public var revocationReason: RevocationReason?

    public init(
        id: FamilyID, subject: String, clientID: String?, createdAt: Date, expiresAt: Date,
        idleExpiresAt: Date?, generation: UInt64, currentDigest: TokenDigest, previousDigest: TokenDigest?,
        issuedAt: Date, revokedAt: Date? = nil, revocationReason: RevocationReason? = nil
    ) {
        self.id = id
        self.subject = subject
        self.clientID = clientID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.idleExpiresAt = idleExpiresAt
        self.generation = generation
        self.currentDigest = currentDigest
        self.previousDigest = previousDigest
        self.issuedAt = issuedAt
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
    }

    /// Whether the family is revoked.
    public var isRevoked: Bool { revokedAt != nil }

    /// Whether the family is past its absolute lifetime or its idle timeout at `now`.
    public func isExpired(at now: Date) -> Bool {
        if now >= expiresAt { return true }
        if let idle = idleExpiresAt, now >= idle { return true }
        return false
    }
}
