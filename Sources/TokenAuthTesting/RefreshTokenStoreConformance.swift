import Crypto
import ExtrasBase64
import Foundation
import Testing
import TokenAuth

/// The cases of `docs/cases.md` that apply to the core, runnable against
/// any ``RefreshTokenStore``. Each backend's test target runs every case:
///
/// ```swift
/// @Test(arguments: RefreshTokenCase.allCases)
/// func conformance(_ c: RefreshTokenCase) async throws {
///     try await RefreshTokenStoreConformance { MemoryRefreshTokenStore() }.run(c)
/// }
/// ```
public enum RefreshTokenCase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case c1ConcurrentRefresh = "C1"
    case c2LostResponseRetryInsideGrace = "C2"
    case c3RetryAfterGrace = "C3"
    case c4OlderTokenInsideGrace = "C4"
    case c5RevocationBeatsGrace = "C5"
    case c6LogoutRefreshRace = "C6"
    case t1RefreshTokenAsAccessToken = "T1"
    case t2AccessTokenAsRefreshToken = "T2"
    case t3AlgNone = "T3"
    case t4AlgorithmConfusion = "T4"
    case t5UnknownOrForeignKid = "T5"
    case t6SameSecondLogins = "T6"
    case t7MalformedRefreshTokens = "T7"
    case e1ExpiryLeeway = "E1"
    case e2FutureIatNbf = "E2"
    case e3FamilyPastLifetime = "E3"
    case s1LogoutWithExpiredAccessToken = "S1"
    case s2LogoutEverywhere = "S2"
    case s3RevokeUnknownOrRevoked = "S3"
    case x1InvalidGrantShapes = "X1"
    case u1DisabledOrDeletedUser = "U1"

    public var testDescription: String { rawValue }
}

public struct RefreshTokenStoreConformance<Store: RefreshTokenStore>: Sendable {
    let makeStore: @Sendable () async throws -> Store

    /// - Parameter makeStore: makes a fresh, empty store (or a fresh namespace of one).
    public init(makeStore: @escaping @Sendable () async throws -> Store) {
        self.makeStore = makeStore
    }

    func harness(_ algorithm: AccessTokenAlgorithm = .hs256,
                 configure: (inout AuthConfiguration) -> Void = { _ in }) async throws -> ConformanceHarness<Store> {
        try await ConformanceHarness(store: makeStore(), algorithm: algorithm, configure: configure)
    }

    /// Runs one case; failures are recorded as Swift Testing issues.
    public func run(_ c: RefreshTokenCase) async throws {
        switch c {
        case .c1ConcurrentRefresh: try await c1()
        case .c2LostResponseRetryInsideGrace: try await c2()
        case .c3RetryAfterGrace: try await c3()
        case .c4OlderTokenInsideGrace: try await c4()
        case .c5RevocationBeatsGrace: try await c5()
        case .c6LogoutRefreshRace: try await c6()
        case .t1RefreshTokenAsAccessToken: try await t1()
        case .t2AccessTokenAsRefreshToken: try await t2()
        case .t3AlgNone: try await t3()
        case .t4AlgorithmConfusion: try await t4()
        case .t5UnknownOrForeignKid: try await t5()
        case .t6SameSecondLogins: try await t6()
        case .t7MalformedRefreshTokens: try await t7()
        case .e1ExpiryLeeway: try await e1()
        case .e2FutureIatNbf: try await e2()
        case .e3FamilyPastLifetime: try await e3()
        case .s1LogoutWithExpiredAccessToken: try await s1()
        case .s2LogoutEverywhere: try await s2()
        case .s3RevokeUnknownOrRevoked: try await s3()
        case .x1InvalidGrantShapes: try await x1()
        case .u1DisabledOrDeletedUser: try await u1()
        }
    }

    // MARK: Concurrency and retries

    /// C1: 2, 10 and 100 concurrent refreshes of one token: exactly one rotation, every caller
    /// gets the same successor pair, the family stays live.
    func c1() async throws {
        for n in [2, 10, 100] {
            let h = try await harness()
            let first = try await h.login()
            let service = h.service
            let results = await withTaskGroup(of: Result<TokenPair, AuthError>.self) { group in
                for _ in 0..<n {
                    group.addTask {
                        do throws(AuthError) { return .success(try await service.refresh(refreshToken: first.refreshToken)) }
                        catch { return .failure(error) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let pairs = results.compactMap { try? $0.get() }
            #expect(pairs.count == n, "every one of \(n) concurrent refreshes succeeds")
            #expect(Set(pairs.map(\.refreshToken)).count == 1, "one successor refresh token for \(n) callers")
            #expect(Set(pairs.map(\.accessToken)).count == 1, "one successor access token for \(n) callers")
            let family = try #require(try await h.family(first))
            #expect(family.generation == 1, "exactly one rotation")
            #expect(!family.isRevoked)
            // The successor works.
            let next = try await h.service.refresh(refreshToken: try #require(pairs.first).refreshToken)
            #expect(try await h.family(next)?.generation == 2)
        }
    }

    /// C2: the response of R1 → R2 is lost; R1 again after 3 s gets R2 again; family intact.
    func c2() async throws {
        let h = try await harness()
        let r1 = try await h.login()
        let r2 = try await h.service.refresh(refreshToken: r1.refreshToken)
        h.clock.advance(by: 3)
        let retry = try await h.service.refresh(refreshToken: r1.refreshToken)
        #expect(retry.refreshToken == r2.refreshToken)
        #expect(retry.accessToken == r2.accessToken)
        #expect(try await h.family(r1)?.isRevoked == false)
        let r3 = try await h.service.refresh(refreshToken: r2.refreshToken)
        #expect(r3.refreshToken != r2.refreshToken)
    }

    /// C3: as C2 but the retry comes after grace + 1 s: `invalid_grant`, family revoked.
    func c3() async throws {
        let h = try await harness()
        let r1 = try await h.login()
        let r2 = try await h.service.refresh(refreshToken: r1.refreshToken)
        h.clock.advance(by: 11)
        let replay = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: r1.refreshToken) }
        #expect(replay == AuthError(.invalidGrant, .reuseDetected))
        let successor = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: r2.refreshToken) }
        #expect(successor == AuthError(.invalidGrant, .familyRevoked))
        let family = try #require(try await h.family(r1))
        #expect(family.revocationReason == .reuse)
    }

    /// C4: R1 → R2 → R3, then R1 1 s later (inside grace, not the immediate predecessor): reuse.
    func c4() async throws {
        let h = try await harness()
        let r1 = try await h.login()
        let r2 = try await h.service.refresh(refreshToken: r1.refreshToken)
        let r3 = try await h.service.refresh(refreshToken: r2.refreshToken)
        h.clock.advance(by: 1)
        let replay = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: r1.refreshToken) }
        #expect(replay == AuthError(.invalidGrant, .reuseDetected))
        let newest = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: r3.refreshToken) }
        #expect(newest == AuthError(.invalidGrant, .familyRevoked))
    }

    /// C5: family revoked by a replay; its newest token 0.2 s later: `invalid_grant`
    /// (revocation wins over any grace window), and so does the grace-eligible predecessor.
    func c5() async throws {
        let h = try await harness()
        let r1 = try await h.login()
        let r2 = try await h.service.refresh(refreshToken: r1.refreshToken)
        let r3 = try await h.service.refresh(refreshToken: r2.refreshToken)
        h.clock.advance(by: 11)
        _ = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: r1.refreshToken) }
        h.clock.advance(by: 0.2)
        let newest = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: r3.refreshToken) }
        #expect(newest == AuthError(.invalidGrant, .familyRevoked))
        let predecessor = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: r2.refreshToken) }
        #expect(predecessor == AuthError(.invalidGrant, .familyRevoked))
    }

    /// C6: logout and refresh of one family race 100 times: after the revoke returns, no
    /// refresh succeeds and no token minted by a racing refresh is usable.
    func c6() async throws {
        let h = try await harness { $0.checkSessionOnAccess = true }
        let service = h.service
        var refreshWonRace = 0
        for _ in 0..<100 {
            let pair = try await h.login()
            async let raced = authResult { () async throws(AuthError) in try await service.refresh(refreshToken: pair.refreshToken) }
            async let revoked = authResult { () async throws(AuthError) in try await service.revoke(token: pair.refreshToken) }
            let (refreshResult, revokeResult) = await (raced, revoked)
            #expect((try? revokeResult.get()) != nil, "revocation succeeds")
            // After both returned, nothing of this family works any more.
            let again = await authError { () async throws(AuthError) in try await service.refresh(refreshToken: pair.refreshToken) }
            #expect(again?.code == .invalidGrant)
            if case .success(let minted) = refreshResult {
                refreshWonRace += 1
                let next = await authError { () async throws(AuthError) in try await service.refresh(refreshToken: minted.refreshToken) }
                #expect(next?.code == .invalidGrant, "a refresh token minted by the racing refresh is dead")
                let access = await authError { () async throws(AuthError) in try await service.authenticate(accessToken: minted.accessToken) }
                #expect(access == AuthError(.invalidToken, .sessionRevoked), "its access token is dead too")
            }
            let old = await authError { () async throws(AuthError) in try await service.authenticate(accessToken: pair.accessToken) }
            #expect(old == AuthError(.invalidToken, .sessionRevoked))
        }
        _ = refreshWonRace
    }

    // MARK: Token confusion and forgery

    /// T1: a refresh token as a Bearer access token: `invalid_token`.
    func t1() async throws {
        let h = try await harness()
        let pair = try await h.login()
        let error = await authError { () async throws(AuthError) in try await h.service.authenticate(accessToken: pair.refreshToken) }
        #expect(error?.code == .invalidToken)
    }

    /// T2: an access token as a refresh token: `invalid_grant`, nothing written.
    func t2() async throws {
        let h = try await harness()
        let pair = try await h.login()
        let before = h.store.snapshot
        let error = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: pair.accessToken) }
        #expect(error == AuthError(.invalidGrant, .malformedToken))
        #expect(h.store.snapshot == before, "the store was not touched")
        #expect(try await h.family(pair)?.generation == 0)
    }

    /// T3: `alg: none` with the signature stripped, and with it kept: rejected.
    func t3() async throws {
        let h = try await harness()
        let pair = try await h.login()
        let parts = pair.accessToken.split(separator: ".", omittingEmptySubsequences: false)
        let kid = h.service.keys.currentKey.kid
        let noneHeader = b64(#"{"alg":"none","kid":"\#(kid)","typ":"at+jwt"}"#)
        let stripped = "\(noneHeader).\(parts[1])."
        let kept = "\(noneHeader).\(parts[1]).\(parts[2])"
        let e1 = await authError { () async throws(AuthError) in try await h.service.authenticate(accessToken: stripped) }
        let e2 = await authError { () async throws(AuthError) in try await h.service.authenticate(accessToken: kept) }
        #expect(e1?.code == .invalidToken)
        #expect(e2 == AuthError(.invalidToken, .unsecuredAlgorithm))
        let noneUpper = "\(b64(#"{"alg":"NONE","kid":"\#(kid)","typ":"at+jwt"}"#)).\(parts[1]).\(parts[2])"
        let e3 = await authError { () async throws(AuthError) in try await h.service.authenticate(accessToken: noneUpper) }
        #expect(e3 == AuthError(.invalidToken, .unsecuredAlgorithm))
    }

    /// T4: the server uses RS256; the attacker signs HS256 with the RSA public key as HMAC secret.
    func t4() async throws {
        let h = try await harness(.rs256)
        let pair = try await h.login()
        let genuine = try await h.service.authenticate(accessToken: pair.accessToken)
        #expect(genuine.sub == "user0")
        let jwk = try #require(h.service.keys.currentKey.publicJWK)
        let publicKeyBytes = Array(try JSONEncoder().encode(jwk))
        let parts = pair.accessToken.split(separator: ".")
        let header = b64(#"{"alg":"HS256","kid":"\#(h.service.keys.currentKey.kid)","typ":"at+jwt"}"#)
        let input = "\(header).\(parts[1])"
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: publicKeyBytes))
        let forged = "\(input).\(b64(Array(mac)))"
        let error = await authError { () async throws(AuthError) in try await h.service.authenticate(accessToken: forged) }
        #expect(error == AuthError(.invalidToken, .algorithmMismatch))
    }

    /// T5: an unknown `kid`, and a `kid` naming a key of another algorithm: rejected, no
    /// fallback key tried.
    func t5() async throws {
        let h = try await harness(.es256)
        let pair = try await h.login()
        let parts = pair.accessToken.split(separator: ".")
        let unknown = "\(b64(#"{"alg":"ES256","kid":"no-such-key","typ":"at+jwt"}"#)).\(parts[1]).\(parts[2])"
        let e1 = await authError { () async throws(AuthError) in try await h.service.authenticate(accessToken: unknown) }
        #expect(e1 == AuthError(.invalidToken, .unknownKey))
        let missing = "\(b64(#"{"alg":"ES256","typ":"at+jwt"}"#)).\(parts[1]).\(parts[2])"
        let e2 = await authError { () async throws(AuthError) in try await h.service.authenticate(accessToken: missing) }
        #expect(e2 == AuthError(.invalidToken, .unknownKey))
        // Rotate to an HS256 key; the ES256 key stays in the ring as retired. A token whose
        // header names the ES256 key but claims HS256 is refused before any signature check.
        let es256Kid = h.service.keys.currentKey.kid
        h.service.keys.rotate(to: try await SigningKey.generate(.hs256), at: h.clock.now)
        let foreign = "\(b64(#"{"alg":"HS256","kid":"\#(es256Kid)","typ":"at+jwt"}"#)).\(parts[1]).\(parts[2])"
        let e3 = await authError { () async throws(AuthError) in try await h.service.authenticate(accessToken: foreign) }
        #expect(e3 == AuthError(.invalidToken, .algorithmMismatch))
        // The genuine ES256 token still verifies through its retired key.
        #expect(try await h.service.authenticate(accessToken: pair.accessToken).sid == pair.sessionID.string)
    }

    /// T6: two logins of one user within one second: different access tokens (`jti`) and
    /// refresh tokens.
    func t6() async throws {
        let h = try await harness()
        let a = try await h.login()
        let b = try await h.login()
        #expect(a.accessToken != b.accessToken)
        #expect(a.refreshToken != b.refreshToken)
        let ca = try await h.service.authenticate(accessToken: a.accessToken)
        let cb = try await h.service.authenticate(accessToken: b.accessToken)
        #expect(ca.jti != cb.jti)
        #expect(ca.iat == cb.iat, "both in the same second")
    }

    /// T7: a refresh token with one character changed, truncated, empty, 100 KB long,
    /// non-ASCII: `invalid_grant` / `invalid_request`, nothing written to the store.
    func t7() async throws {
        let h = try await harness()
        let pair = try await h.login()
        let token = pair.refreshToken
        let before = h.store.snapshot
        var variants: [(String, AuthError)] = []
        for index in [0, 10, 40, token.utf8.count - 1] {
            var chars = Array(token)
            chars[index] = chars[index] == "A" ? "B" : "A"
            variants.append((String(chars), AuthError(.invalidGrant, .malformedToken)))
        }
        variants.append((String(token.dropLast()), AuthError(.invalidGrant, .malformedToken)))
        variants.append((String(token.prefix(20)), AuthError(.invalidGrant, .malformedToken)))
        variants.append(("", AuthError(.invalidRequest, .missingParameter)))
        variants.append((String(repeating: "A", count: 100_000), AuthError(.invalidGrant, .malformedToken)))
        variants.append((String(token.dropLast(2)) + "é", AuthError(.invalidGrant, .malformedToken)))
        variants.append(("ключ-🔑-" + token, AuthError(.invalidGrant, .malformedToken)))
        variants.append((token + "\u{0}", AuthError(.invalidGrant, .malformedToken)))
        for (bad, expected) in variants {
            let error = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: bad) }
            #expect(error == expected, "variant of \(bad.utf8.count) bytes")
        }
        #expect(h.store.snapshot == before, "no store call for malformed tokens")
        #expect(try await h.family(pair)?.generation == 0)
        #expect(try await h.family(pair)?.isRevoked == false)
    }

    // MARK: Time

    /// E1: an access token 20 s past `exp` with leeway 30 s is accepted; 40 s past is not.
    func e1() async throws {
        let h = try await harness()
        let pair = try await h.login()
        h.clock.advance(by: 60 + 20)
        #expect(try await h.service.authenticate(accessToken: pair.accessToken).sub == "user0")
        h.clock.advance(by: 20)
        let error = await authError { () async throws(AuthError) in try await h.service.authenticate(accessToken: pair.accessToken) }
        #expect(error == AuthError(.invalidToken, .tokenExpired))
    }

    /// E2: `iat` or `nbf` 20 s in the future with leeway 30 s is accepted; 40 s is not.
    func e2() async throws {
        let h = try await harness()
        let pair = try await h.login()
        let verified = try await h.service.authenticate(accessToken: pair.accessToken)
        let now = Int64(h.clock.now.timeIntervalSince1970)
        for (skew, accepted) in [(Int64(20), true), (40, false)] {
            var futureIat = verified
            futureIat.iat = now + skew
            futureIat.exp = now + skew + 60
            var futureNbf = verified
            futureNbf.nbf = now + skew
            for claims in [futureIat, futureNbf] {
                let token = try h.service.keys.sign(claims)
                let error = await authError { () async throws(AuthError) in try await h.service.authenticate(accessToken: token) }
                if accepted {
                    #expect(error == nil, "skew \(skew) s accepted")
                } else {
                    #expect(error == AuthError(.invalidToken, .tokenNotYetValid), "skew \(skew) s refused")
                }
            }
        }
    }

    /// E3: a refresh token of a family past its absolute lifetime: `invalid_grant`, and no
    /// reuse revocation.
    func e3() async throws {
        let h = try await harness()
        let r1 = try await h.login()
        h.clock.advance(by: 1800)
        let r2 = try await h.service.refresh(refreshToken: r1.refreshToken)
        h.clock.advance(by: 1801) // 3601 s after login: past the 3600 s lifetime
        let error = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: r2.refreshToken) }
        #expect(error == AuthError(.invalidGrant, .familyExpired))
        let family = try #require(try await h.family(r1))
        #expect(family.revokedAt == nil, "expiry is not a reuse revocation")
        #expect(family.generation == 1)
    }

    // MARK: Session state

    /// S1: logout with only the refresh token while the access token has expired.
    func s1() async throws {
        let h = try await harness()
        let pair = try await h.login()
        h.clock.advance(by: 600)
        #expect(try await h.service.revoke(token: pair.refreshToken) == .revoked)
        #expect(try await h.family(pair)?.revocationReason == .logout)
        let error = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: pair.refreshToken) }
        #expect(error == AuthError(.invalidGrant, .familyRevoked))
    }

    /// S2: password change (and logout everywhere) with 3 live sessions revokes all 3.
    func s2() async throws {
        let h = try await harness()
        let sessions = [try await h.login(1), try await h.login(1), try await h.login(1)]
        let other = try await h.login(2)
        #expect(try await h.service.changePassword(subject: "user1", newPassword: "new-password-1") == 3)
        for s in sessions {
            let error = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: s.refreshToken) }
            #expect(error == AuthError(.invalidGrant, .familyRevoked))
            #expect(try await h.family(s)?.revocationReason == .logoutAll)
        }
        #expect(try await h.service.refresh(refreshToken: other.refreshToken).subject == "user2", "other users untouched")
        let old = await authError { () async throws(AuthError) in try await h.service.login(username: "user1", password: "pw-1") }
        #expect(old == AuthError(.invalidGrant, .badCredentials))
        let fresh = try await h.service.login(username: "user1", password: "new-password-1")
        #expect(try await h.service.revokeAll(subject: "user1") == 1)
        #expect(try await h.family(fresh)?.isRevoked == true)
    }

    /// S3: revoking an unknown or an already revoked token succeeds (RFC 7009 §2.2).
    func s3() async throws {
        let h = try await harness()
        let pair = try await h.login()
        #expect(try await h.service.revoke(token: "not-a-token") == .unknownToken)
        #expect(try await h.service.revoke(token: String(repeating: "x", count: 100_000)) == .unknownToken)
        let other = try RefreshTokenCodec(secret: [UInt8](repeating: 7, count: 32))
        let foreign = other.mint(family: pair.sessionID, generation: 0).token
        #expect(try await h.service.revoke(token: foreign) == .unknownToken, "a token MACed with another secret is unknown")
        #expect(try await h.family(pair)?.isRevoked == false)
        #expect(try await h.service.revoke(token: pair.refreshToken) == .revoked)
        #expect(try await h.service.revoke(token: pair.refreshToken) == .alreadyRevoked)
        #expect(try await h.service.revoke(token: pair.accessToken) == .alreadyRevoked, "by access token (its sid)")
    }

    // MARK: Errors

    /// X1: expired, unknown, revoked and reused refresh tokens all give `invalid_grant`.
    func x1() async throws {
        let h = try await harness()
        // unknown: well-formed, MAC-valid, but no such family in the store
        let ghost = await authError { () async throws(AuthError) in
            try await h.service.refresh(refreshToken: h.service.unknownFamilyToken())
        }
        #expect(ghost == AuthError(.invalidGrant, .unknownToken))
        // revoked
        let a = try await h.login()
        try await h.service.revoke(token: a.refreshToken)
        #expect(await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: a.refreshToken) }?.code == .invalidGrant)
        // reused
        let b = try await h.login()
        _ = try await h.service.refresh(refreshToken: b.refreshToken)
        h.clock.advance(by: 30)
        #expect(await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: b.refreshToken) }?.code == .invalidGrant)
        // expired
        let c = try await h.login()
        h.clock.advance(by: 4000)
        #expect(await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: c.refreshToken) }?.code == .invalidGrant)
    }
}

extension RefreshTokenStoreConformance {
    // MARK: Users

    /// U1: a refresh for a user who was disabled or deleted in the directory (not through the
    /// service, so no session was revoked yet) is refused with `invalid_grant` and revokes the
    /// family, its grace-window replay too; other users are untouched; a disabled user cannot
    /// log in; ``AuthService/disableUser(subject:)`` revokes every session at once; enabled
    /// again, the user logs in but the old sessions stay revoked.
    func u1() async throws {
        let h = try await harness()
        let disabled = try await h.login(3)
        let rotated = try await h.service.refresh(refreshToken: disabled.refreshToken)
        let deleted = try await h.login(4)
        let bystander = try await h.login(5)
        #expect(try await h.users.setDisabled(true, subject: "user3"))
        #expect(h.users.remove(subject: "user4"))

        // The grace-window replay of the previous token must not escape either.
        let replay = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: disabled.refreshToken) }
        #expect(replay == AuthError(.invalidGrant, .userDisabled))
        #expect(try await h.family(rotated)?.revocationReason == .userDisabled)
        let current = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: rotated.refreshToken) }
        #expect(current?.code == .invalidGrant, "the revoked family stays refused")

        let gone = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: deleted.refreshToken) }
        #expect(gone == AuthError(.invalidGrant, .userDisabled))
        #expect(try await h.family(deleted)?.revocationReason == .userDisabled)
        #expect(try await h.service.refresh(refreshToken: bystander.refreshToken).subject == "user5", "other users untouched")

        let login = await authError { () async throws(AuthError) in try await h.service.login(username: "user3", password: "pw-3") }
        #expect(login == AuthError(.invalidGrant, .userDisabled))
        let loginDeleted = await authError { () async throws(AuthError) in try await h.service.login(username: "user4", password: "pw-4") }
        #expect(loginDeleted == AuthError(.invalidGrant, .badCredentials))

        // Through the service: every session revoked at once.
        let a = try await h.login(6)
        let b = try await h.login(6)
        #expect(try await h.service.disableUser(subject: "user6") == 2)
        #expect(try await h.family(a)?.revocationReason == .logoutAll)
        #expect(try await h.family(b)?.isRevoked == true)
        let unknown = await authError { () async throws(AuthError) in try await h.service.disableUser(subject: "nobody") }
        #expect(unknown == AuthError(.invalidRequest, .unknownUser))
        try await h.service.enableUser(subject: "user6")
        let again = try await h.login(6)
        #expect(try await h.service.refresh(refreshToken: again.refreshToken).subject == "user6")
        let old = await authError { () async throws(AuthError) in try await h.service.refresh(refreshToken: a.refreshToken) }
        #expect(old?.code == .invalidGrant, "sessions revoked while disabled stay revoked")
    }
}

/// Runs `body` and returns its result or its ``AuthError``.
func authResult<T: Sendable>(_ body: () async throws(AuthError) -> T) async -> Result<T, AuthError> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

func b64(_ s: String) -> String { b64(Array(s.utf8)) }
func b64(_ bytes: [UInt8]) -> String { Base64.encodeToString(bytes: bytes, options: [.base64UrlAlphabet, .omitPaddingCharacter]) }

extension AuthService {
    /// A well-formed, correctly MACed refresh token of a family that was never created.
    func unknownFamilyToken() -> String {
        refreshTokens.mint(family: FamilyID.random(using: SystemRandomSource()), generation: 0).token
    }
}
