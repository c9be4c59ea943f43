/// The operations of a virtual user's session that are measured.
public enum Operation: String, CaseIterable, Sendable, Codable {
    case login, access, refresh, logout
    var index: Int {
        switch self {
        case .login: 0
        case .access: 1
        case .refresh: 2
        case .logout: 3
        }
    }
}

/// The kinds of invariant the shadow model checks (DESIGN.md, "Correctness under load").
public enum InvariantKind: String, CaseIterable, Sendable, Codable {
    /// A spent refresh token was accepted outside the grace window.
    case spentTokenAccepted = "spent_token_accepted"
    /// After a replay was refused, the family's newest token still refreshed: not revoked.
    case familyNotRevokedAfterReplay = "family_not_revoked_after_replay"
    /// A benign concurrent ("two-tab") refresh was refused or got different successors.
    case benignConcurrentRefreshRevoked = "benign_concurrent_refresh_revoked"
    /// The current refresh token of a live family was refused (lost rotation, spurious revocation).
    case currentTokenRejected = "current_token_rejected"
    /// A refresh succeeded after the family's revocation (logout) was acknowledged.
    case mintedAfterRevocation = "minted_after_revocation"
    /// An expired access token opened the resource.
    case expiredAccessAccepted = "expired_access_accepted"
    /// A forged access token opened the resource.
    case forgedAccessAccepted = "forged_access_accepted"
}
