/// The operations of a virtual user's session that are measured.
public enum Operation: String, CaseIterable, Sendable, Codable {
    case login, access, refresh, logout
    package var index: Int {
        switch self {
        case .login: 0
        case .access: 1
        case .refresh: 2
        case .logout: 3
        }
    }
}

/// The kinds of invariant the shadow model checks (docs/verdicts.md, "Invariants").
public enum InvariantKind: String, CaseIterable, Sendable, Codable {
    /// A spent refresh token was accepted outside the grace window.
    case spentTokenAccepted = "spent_token_accepted"
    /// After a replay was refused, the family's newest token still refreshed: not revoked.
    case familyNotRevokedAfterReplay = "family_not_revoked_after_replay"
    /// A benign concurrent ("two-tab") refresh was refused while the server has a grace window.
    case benignConcurrentRefreshRevoked = "benign_concurrent_refresh_revoked"
    /// Concurrent refreshes of one token got two different successors that both kept working:
    /// one login became two sessions (RFC 9700 §4.14.2 allows one successor per token).
    case concurrentRefreshForked = "concurrent_refresh_forked"
    /// The current refresh token of a live family was refused (lost rotation, spurious revocation).
    case currentTokenRejected = "current_token_rejected"
    /// A refresh answered with a refresh token this family had already spent: the successor
    /// was not new (a rotation that went backwards, or another session's token).
    case successorNotNew = "successor_not_new"
    /// An access token that had opened the resource was refused before its `exp` (RFC 9068:
    /// valid until it expires), its session alive.
    case validAccessRejected = "valid_access_rejected"
    /// A refresh succeeded after the family's revocation (logout) was acknowledged.
    case mintedAfterRevocation = "minted_after_revocation"
    /// An expired access token opened the resource.
    case expiredAccessAccepted = "expired_access_accepted"
    /// A forged access token opened the resource.
    case forgedAccessAccepted = "forged_access_accepted"
    /// After a fault run, a family the shadow model holds alive was refused (the audit).
    case familyLost = "family_lost"
    /// After a fault run, a family answered with a successor it had spent, or an access
    /// token that does not open the resource (the audit).
    case familyCorrupted = "family_corrupted"

    /// Position in `allCases` (array-indexed counters on the hot path).
    package var index: Int {
        switch self {
        case .spentTokenAccepted: 0
        case .familyNotRevokedAfterReplay: 1
        case .benignConcurrentRefreshRevoked: 2
        case .concurrentRefreshForked: 3
        case .currentTokenRejected: 4
        case .successorNotNew: 5
        case .validAccessRejected: 6
        case .mintedAfterRevocation: 7
        case .expiredAccessAccepted: 8
        case .forgedAccessAccepted: 9
        case .familyLost: 10
        case .familyCorrupted: 11
        }
    }
}

/// The kinds of hostile (and benign but racy) traffic the driver mixes in, counted apart.
public enum HostileKind: String, CaseIterable, Sendable, Codable {
    /// A replay of a spent refresh token (a thief): must be refused, and revoke the family.
    case replay
    /// Two refreshes of one token at once ("two tabs").
    case concurrentRefresh = "concurrent_refresh"
    /// A resource call with an expired access token: must be refused.
    case expiredAccess = "expired_access"
    /// A resource call with an access token whose signature was altered: must be refused.
    case forgedAccess = "forged_access"
    /// A refresh with the token just revoked by a logout: must be refused.
    case postLogoutRefresh = "post_logout_refresh"

    /// Whether the scenario makes these requests on its own, as checks (two-tab pairs, the
    /// refresh after each logout), rather than as attacks the user asked for (replays, expired
    /// and forged access tokens).
    public var isScenarioCheck: Bool { self == .concurrentRefresh || self == .postLogoutRefresh }

    package var index: Int {
        switch self {
        case .replay: 0
        case .concurrentRefresh: 1
        case .expiredAccess: 2
        case .forgedAccess: 3
        case .postLogoutRefresh: 4
        }
    }
}

/// The in-process phases a result names (`phases` of `result.json`): the record of the core's
/// `AuthPhase`, by the same names, so that results code needs no core (a test keeps the two
/// lists equal).
public enum MeasuredPhase: String, CaseIterable, Sendable, Hashable, Codable {
    case passwordHash = "password_hash"
    case sign
    case verify
    case storeLookup = "store_lookup"
    case storeRotate = "store_rotate"
    case storeCreate = "store_create"
    case storeRevoke = "store_revoke"
    case storeRevokeAll = "store_revoke_all"
}
