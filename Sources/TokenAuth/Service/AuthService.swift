import Foundation
import Logging
import Metrics

/// The refresh-token authentication core.
///
/// - ``login(username:password:clientID:)`` checks a password and opens a session: an access
///   token (RFC 9068 JWT) and a refresh token (opaque, MAC-protected) of a new family.
/// - ``authenticate(accessToken:)`` verifies an access token for a protected resource.
/// - ``refresh(refreshToken:)`` rotates: spends the presented refresh token and returns a
///   successor pair, with the grace window and reuse detection of RFC 9700 §4.14.2.
/// - ``revoke(token:)`` logs out one session (RFC 7009); ``revokeAll(subject:)`` every session
///   of a user; ``changePassword(subject:newPassword:)`` does both.
///
/// Generic over its store and user directory so the hot path is specialised (STYLE.md rule 3).
public struct AuthService<Store: RefreshTokenStore, Users: UserDirectory>: Sendable {
    public let configuration: AuthConfiguration
    public let store: Store
    public let users: Users
    public let keys: SigningKeyRing
    public let hashing: PasswordHashing
    /// The refresh-token codec (its MAC secret never leaves it).
    public let refreshTokens: RefreshTokenCodec
    /// The time source every decision uses.
    public let clock: any AuthClock
    let random: any RandomSource
    let audit: AuditTrail
    let policy: AccessTokenPolicy
    /// `[configuration.audience]`, made once: the `aud` of every access token.
    let audiences: [String]
    /// A hash of a random password, checked when a username is unknown so that an unknown user
    /// costs the same one hash as a wrong password (no timing oracle).
    let decoyHash: String
    /// Phase timings for load runs; `nil` in production.
    let instrumentation: (any AuthInstrumentation)?

    /// - Parameters:
    ///   - configuration: lifetimes, grace window, leeway, limits; validated here.
    ///   - store: where families live.
    ///   - users: where users live.
    ///   - keys: access-token signing keys.
    ///   - hashing: the password algorithm for the decoy hash and password changes.
    ///   - refreshTokens: the refresh-token MAC codec; share its secret across nodes of one store.
    ///   - clock: the time source (``SystemClock`` in production).
    ///   - random: the random source for family ids (``SystemRandomSource`` in production).
    ///   - logger: audit log; defaults to a no-op logger.
    ///   - metrics: where audit counters go; defaults to the bootstrapped `MetricsSystem`.
    ///   - instrumentation: receives phase timings (load runs); `nil` by default.
    /// - Throws: ``ConfigurationError`` for a setting out of range.
    public init(
        configuration: AuthConfiguration = AuthConfiguration(),
        store: Store,
        users: Users,
        keys: SigningKeyRing,
        hashing: PasswordHashing,
        refreshTokens: RefreshTokenCodec,
        clock: any AuthClock = SystemClock(),
        random: any RandomSource = SystemRandomSource(),
        logger: Logger = Logger(label: "tokenauth", factory: { _ in SwiftLogNoOpLogHandler() }),
        metrics: any MetricsFactory = MetricsSystem.factory,
        instrumentation: (any AuthInstrumentation)? = nil
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        self.store = store
        self.users = users
        self.keys = keys
        self.hashing = hashing
        self.refreshTokens = refreshTokens
        self.clock = clock
        self.random = random
        self.audit = AuditTrail(logger: logger, metrics: metrics)
        self.instrumentation = instrumentation
        self.audiences = [configuration.audience]
        self.policy = AccessTokenPolicy(issuer: configuration.issuer, audience: configuration.audience,
                                        leeway: configuration.leeway, maxTokenBytes: configuration.maxTokenBytes)
        self.decoyHash = try hashing.hash(String(decoding: random.bytes(12).map { 0x61 + $0 % 26 }, as: UTF8.self),
                                          random: random)
    }
}

// MARK: - Login

extension AuthService {
    /// Logs a user in (docs/design.md, "The flow", step 1): checks the password and opens a new session.
    ///
    /// An unknown user costs one hash, like a wrong password. Over-long passwords are refused
    /// before hashing (never truncated).
    /// - Parameters:
    ///   - username: the login name.
    ///   - password: the password.
    ///   - clientID: the OAuth client, written as `client_id` into access tokens.
    /// - Returns: the access and refresh token of the new session.
    /// - Throws: ``AuthError``: `.invalidRequest` (empty or over-long fields, NUL in password),
    ///   `.invalidGrant(.badCredentials)`, `.temporarilyUnavailable` when the store or the
    ///   directory cannot be reached.
    public func login(username: String, password: String, clientID: String? = nil) async throws(AuthError) -> TokenPair {
        guard !username.isEmpty, !password.isEmpty else { throw .invalidRequest(.missingParameter) }
        guard username.utf8.count <= 256 else { throw .invalidGrant(.badCredentials) }
        guard password.utf8.count <= configuration.maxPasswordBytes else { throw .invalidRequest(.passwordTooLong) }
        guard !password.utf8.contains(0) else { throw .invalidRequest(.passwordInvalidCharacter) }

        let user: UserRecord?
        do { user = try await users.user(named: username) } catch { throw .storeUnavailable }
        let hashTimer = PhaseTimer(instrumentation)
        let matched = hashing.verify(password, against: user?.passwordHash ?? decoyHash)
        hashTimer.stop(.passwordHash)
        guard let user, matched else {
            audit.record(.loginFailed, ["reason": "\(user == nil ? "unknown_user" : "bad_password")"])
            throw .invalidGrant(.badCredentials)
        }
        guard !user.isDisabled else {
            audit.record(.loginFailed, ["sub": "\(user.subject)", "reason": "user_disabled"])
            throw .invalidGrant(.userDisabled)
        }
        let pair = try await openSession(subject: user.subject, clientID: clientID ?? configuration.defaultClientID)
        audit.record(.loginSucceeded, ["sub": "\(user.subject)", "sid": "\(pair.sessionID)"])
        return pair
    }

    /// Opens a session for an already authenticated subject (e.g. after an external login).
    /// - Throws: ``AuthError`` `.temporarilyUnavailable` when the store fails.
    public func openSession(subject: String, clientID: String? = nil) async throws(AuthError) -> TokenPair {
        let now = clock.now
        let id = FamilyID.random(using: random)
        let first = refreshTokens.mint(family: id, generation: 0)
        let family = RefreshFamily(
            id: id, subject: subject, clientID: clientID, createdAt: now,
            expiresAt: now.addingTimeInterval(configuration.refreshTokenLifetime),
            idleExpiresAt: configuration.idleTimeout.map { min(now.addingTimeInterval($0), now.addingTimeInterval(configuration.refreshTokenLifetime)) },
            generation: 0, currentDigest: first.digest, previousDigest: nil, issuedAt: now)
        let timer = PhaseTimer(instrumentation)
        do { try await store.create(family) } catch { throw .storeUnavailable }
        timer.stop(.storeCreate)
        return try pair(for: family, refreshToken: first.token, now: now)
    }

    /// The token pair of a family's current generation. Deterministic: the access token's
    /// claims depend only on the family (`jti = sid.generation`, `iat` = when the generation
    /// was issued), so a grace-window replay gets the very same pair back (byte-identical for
    /// HS256, EdDSA and RS256; ES256 signatures are randomized, the claims are identical).
    func pair(for family: RefreshFamily, refreshToken: String, now: Date) throws(AuthError) -> TokenPair {
        // NumericDates are whole seconds: `iat` rounds down, `exp` rounds up, so a token lives
        // at least the configured lifetime; `expires_in` rounds down, so clients refresh in time.
        let issued = family.issuedAt.timeIntervalSince1970
        let iat = Int64(issued.rounded(.down))
        let exp = Int64((issued + configuration.accessTokenLifetime).rounded(.up))
        let sid = family.id.string
        let claims = AccessTokenClaims(
            iss: configuration.issuer, sub: family.subject, aud: audiences,
            exp: exp, iat: iat, jti: "\(sid).\(family.generation)", sid: sid, clientID: family.clientID)
        let accessToken: String
        let timer = PhaseTimer(instrumentation)
        do { accessToken = try keys.sign(claims) } catch { throw AuthError(.temporarilyUnavailable, .signingFailed) }
        timer.stop(.sign)
        let expiresIn = max(0, Int((Double(exp) - now.timeIntervalSince1970).rounded(.down)))
        return TokenPair(accessToken: accessToken, refreshToken: refreshToken, expiresIn: expiresIn,
                         sessionID: family.id, subject: family.subject)
    }
}

// MARK: - Protected resources

extension AuthService {
    /// Verifies an access token for a protected resource (docs/design.md, "The flow", steps 2 and 3).
    ///
    /// Strict: see ``SigningKeyRing/verify(_:now:policy:)``. With
    /// ``AuthConfiguration/checkSessionOnAccess`` the session must also be live in the store.
    /// A refresh token never passes (it is not a JWS).
    /// - Returns: the verified claims.
    /// - Throws: ``AuthError`` `.invalidToken` with the reason (RFC 6750 §3.1), or
    ///   `.temporarilyUnavailable` when the session check cannot reach the store.
    public func authenticate(accessToken: String) async throws(AuthError) -> AccessTokenClaims {
        let now = clock.now
        let verifyTimer = PhaseTimer(instrumentation)
        let claims = try await keys.verify(accessToken, now: now, policy: policy)
        verifyTimer.stop(.verify)
        if configuration.checkSessionOnAccess {
            guard let id = FamilyID(string: claims.sid) else { throw .invalidToken(.missingClaim) }
            let family: RefreshFamily?
            let timer = PhaseTimer(instrumentation)
            do { family = try await store.family(id) } catch { throw .storeUnavailable }
            timer.stop(.storeLookup)
            guard let family, !family.isRevoked, !family.isExpired(at: now), family.subject == claims.sub else {
                throw .invalidToken(.sessionRevoked)
            }
        }
        return claims
    }
}

// MARK: - Refresh

extension AuthService {
    /// Refreshes (docs/design.md, "The flow", steps 4–6): spends the presented refresh token and returns the
    /// successor pair, in one atomic compare-and-swap of the store (RFC 9700 §4.14.2).
    ///
    /// - The current token rotates: a new access token and refresh token.
    /// - The immediately previous token, within the grace window of its rotation, gets the
    ///   **same** successor back: no new token, no revocation.
    /// - Any other spent token revokes the whole family (reuse detection).
    /// - A revoked or expired family, an unknown or malformed token: `invalid_grant`.
    ///   Malformed input never reaches the store.
    /// - A family whose user is disabled or deleted (``UserDirectory``) is revoked (reason
    ///   `user_disabled`) and the refresh refused with `invalid_grant`, as GoTrue and Keycloak
    ///   do: the user is looked up after the store has answered, one directory read per refresh.
    /// - Returns: the successor pair.
    /// - Throws: ``AuthError``: `.invalidRequest(.missingParameter)` for an empty token;
    ///   `.invalidGrant` with `.malformedToken`, `.unknownToken`, `.familyExpired`,
    ///   `.familyRevoked`, `.reuseDetected`, `.userDisabled`; `.temporarilyUnavailable` when the
    ///   store or the directory fails.
    public func refresh(refreshToken: String) async throws(AuthError) -> TokenPair {
        guard !refreshToken.isEmpty else { throw .invalidRequest(.missingParameter) }
        guard let handle = refreshTokens.parse(refreshToken) else { throw .invalidGrant(.malformedToken) }
        let now = clock.now
        let successor = refreshTokens.mint(family: handle.family, generation: handle.generation &+ 1)
        let request = RotationRequest(
            family: handle.family, presentedGeneration: handle.generation, presentedDigest: handle.digest,
            successorDigest: successor.digest, now: now, graceWindow: configuration.graceWindow,
            idleTimeout: configuration.idleTimeout)
        let outcome: RotationOutcome
        let timer = PhaseTimer(instrumentation)
        do { outcome = try await store.rotate(request) } catch { throw .storeUnavailable }
        timer.stop(.storeRotate)

        switch outcome {
        case .rotated(let family):
            try await requireActiveUser(family, now: now)
            audit.record(.tokenRefreshed, ["sub": "\(family.subject)", "sid": "\(family.id)"])
            return try pair(for: family, refreshToken: successor.token, now: now)
        case .graceReplay(let family):
            try await requireActiveUser(family, now: now)
            audit.record(.refreshReuseTolerated, ["sub": "\(family.subject)", "sid": "\(family.id)"])
            let current = refreshTokens.mint(family: family.id, generation: family.generation)
            return try pair(for: family, refreshToken: current.token, now: now)
        case .reuseDetected(let family):
            audit.record(.refreshReuseDetected, ["sub": "\(family.subject)", "sid": "\(family.id)"])
            audit.record(.familyRevoked, ["sub": "\(family.subject)", "sid": "\(family.id)", "reason": "reuse"])
            throw .invalidGrant(.reuseDetected)
        case .revoked:
            throw .invalidGrant(.familyRevoked)
        case .expired:
            throw .invalidGrant(.familyExpired)
        case .notFound, .mismatch:
            throw .invalidGrant(.unknownToken)
        }
    }
}

extension AuthService {
    /// Refuses a family whose user is disabled or deleted, and revokes it (fail closed: the
    /// refusal stands even when the revocation cannot be written; the next refresh tries again).
    /// - Throws: `.invalidGrant(.userDisabled)`; `.temporarilyUnavailable` when the directory
    ///   cannot be read.
    func requireActiveUser(_ family: RefreshFamily, now: Date) async throws(AuthError) {
        let user: UserRecord?
        do { user = try await users.user(subject: family.subject) } catch { throw .storeUnavailable }
        if let user, !user.isDisabled { return }
        let revoked = (try? await store.revoke(family.id, at: now, reason: .userDisabled)) ?? false
        if revoked { audit.record(.familyRevoked, ["sub": "\(family.subject)", "sid": "\(family.id)", "reason": "user_disabled"]) }
        throw .invalidGrant(.userDisabled)
    }
}

// MARK: - Revocation

extension AuthService {
    /// Logs out one session (RFC 7009): revokes the family of a refresh token, or of the
    /// `sid` of a valid access token. Needs no access token (case S1).
    ///
    /// Unknown, malformed and already revoked tokens are not errors (RFC 7009 §2.2): the
    /// outcome says what happened; the HTTP layer answers 200 for every outcome.
    /// - Returns: what the call did.
    /// - Throws: ``AuthError`` `.temporarilyUnavailable` when the store fails.
    @discardableResult
    public func revoke(token: String) async throws(AuthError) -> RevocationOutcome {
        let now = clock.now
        let id: FamilyID
        if let handle = refreshTokens.parse(token) {
            id = handle.family
        } else if token.utf8.count <= configuration.maxTokenBytes,
                  let claims = try? await keys.verify(token, now: now, policy: policy),
                  let sid = FamilyID(string: claims.sid) {
            id = sid
        } else {
            return .unknownToken
        }
        let revoked: Bool
        let timer = PhaseTimer(instrumentation)
        do { revoked = try await store.revoke(id, at: now, reason: .logout) } catch { throw .storeUnavailable }
        timer.stop(.storeRevoke)
        if revoked { audit.record(.familyRevoked, ["sid": "\(id)", "reason": "logout"]) }
        return revoked ? .revoked : .alreadyRevoked
    }

    /// Logs a user out everywhere: revokes every live family of the subject.
    /// - Returns: how many families this call revoked.
    /// - Throws: ``AuthError`` `.temporarilyUnavailable` when the store fails.
    @discardableResult
    public func revokeAll(subject: String) async throws(AuthError) -> Int {
        let count: Int
        let timer = PhaseTimer(instrumentation)
        do { count = try await store.revokeAll(subject: subject, at: clock.now) } catch { throw .storeUnavailable }
        timer.stop(.storeRevokeAll)
        if count > 0 { audit.record(.familyRevoked, ["sub": "\(subject)", "reason": "logout_all", "count": "\(count)"], count: count) }
        return count
    }

    /// Changes a user's password and revokes every session of the user (case S2).
    /// - Returns: how many sessions were revoked.
    /// - Throws: ``AuthError``: `.invalidRequest` when the password cannot be hashed (too long,
    ///   NUL for bcrypt) or the user is unknown; `.temporarilyUnavailable` when a store fails.
    @discardableResult
    public func changePassword(subject: String, newPassword: String) async throws(AuthError) -> Int {
        guard !newPassword.isEmpty else { throw .invalidRequest(.missingParameter) }
        let hash: String
        do throws(PasswordHashingError) { hash = try hashing.hash(newPassword, random: random) } catch {
            throw .invalidRequest(error.code == .invalidCharacter ? .passwordInvalidCharacter : .passwordTooLong)
        }
        let known: Bool
        do { known = try await users.setPasswordHash(hash, subject: subject) } catch { throw .storeUnavailable }
        guard known else { throw .invalidRequest(.missingParameter) }
        return try await revokeAll(subject: subject)
    }

    /// Disables a user (``UserDirectory/setDisabled(_:subject:)``) and revokes every session of
    /// the user at once; a refresh of a session that escaped (another node's race) is refused
    /// and revoked anyway.
    /// - Returns: how many sessions were revoked.
    /// - Throws: ``AuthError`` `.invalidRequest(.unknownUser)` when there is no such user;
    ///   `.temporarilyUnavailable` when the directory or the store fails.
    @discardableResult
    public func disableUser(subject: String) async throws(AuthError) -> Int {
        let known: Bool
        do { known = try await users.setDisabled(true, subject: subject) } catch { throw .storeUnavailable }
        guard known else { throw .invalidRequest(.unknownUser) }
        audit.record(.userDisabled, ["sub": "\(subject)"])
        return try await revokeAll(subject: subject)
    }

    /// Enables a disabled user again; its revoked sessions stay revoked.
    /// - Throws: ``AuthError`` `.invalidRequest(.unknownUser)` when there is no such user;
    ///   `.temporarilyUnavailable` when the directory fails.
    public func enableUser(subject: String) async throws(AuthError) {
        let known: Bool
        do { known = try await users.setDisabled(false, subject: subject) } catch { throw .storeUnavailable }
        guard known else { throw .invalidRequest(.unknownUser) }
    }

    /// Deletes families past their absolute lifetime. Run it periodically for durable stores.
    /// - Returns: how many were deleted.
    public func purgeExpired() async throws(AuthError) -> Int {
        do { return try await store.purgeExpired(asOf: clock.now) } catch { throw .storeUnavailable }
    }
}
