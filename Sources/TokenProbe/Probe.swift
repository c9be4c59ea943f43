import Crypto
import ExtrasBase64
import Foundation
import NIOCore
import NIOHTTP1
import TokenLoad
import TokenResults
import TokenHTTPClient

/// Runs every case of `docs/cases.md` that has an HTTP face against a
/// server, through an ``HTTPProfile``: reuse detection, family revocation, grace window,
/// token confusion, `alg: none`, key confusion, logout, error shapes and bad input. A server
/// that lacks a feature shows as failing or not applicable for that case; the probe never
/// stops at the first surprise.
public struct Probe: Sendable {
    package let target: HTTPTarget
    package let credentials: Credentials
    /// The server's grace window, seconds (C1–C3 depend on it); `nil`: unknown, and the cases
    /// that depend on it are not applicable (never judged against TokenBench's own default).
    package let grace: Double?
    /// How long C2 waits before its retry, seconds.
    package let retryDelay: Double
    /// The server's leeway for `exp`, seconds (E1 waits past `exp` + leeway); `nil`: unknown.
    package let leeway: Double?
    /// The longest the probe waits for an access token to expire (E1), seconds.
    package let maxWait: Double
    /// `tokenbench serve`'s admin secret (`--admin-secret-file`): U1 disables a user through
    /// `POST /admin/users/disable` with it. `nil`: U1 is not applicable. Never printed.
    public var adminSecret: String?
    /// Whether the server rotates refresh tokens, as R1 found (`nil`: not known). A server that
    /// keeps its tokens spends none: the reuse cases (C1–C5) are then not applicable.
    package var rotates: Bool?

    /// - Parameters:
    ///   - target: the server and its profile, its `defaultExpiresIn` the access-token
    ///     lifetime the preflight found (``Preflight``).
    ///   - credentials: accounts to log in with (user 0 … 9 are used).
    ///   - grace: the server's grace window, seconds (0: the server has none; `nil`: unknown).
    ///   - leeway: the server's clock-skew leeway for `exp`, seconds (`nil`: unknown).
    ///   - maxWait: E1 runs only if an access token expires (with leeway) within this many seconds.
    public init(target: HTTPTarget, credentials: Credentials, grace: Double?, leeway: Double? = nil, maxWait: Double = 30) {
        self.target = target
        self.credentials = credentials
        self.grace = grace
        self.retryDelay = min(3, (grace ?? 0) * 0.3)
        self.leeway = leeway
        self.maxWait = maxWait
    }

    /// Runs every case, in order; slow ones (C3 waits for the grace window to pass) last.
    public func run(progress: @Sendable (String) -> Void = { _ in }) async -> [ProbeResult] {
        var results: [ProbeResult] = []
        progress("R1")
        let rotation = await r1()
        results.append(rotation.result)
        var probe = self
        probe.rotates = rotation.rotates
        let cases: [(String, () async -> ProbeResult)] = [
            ("T6", t6), ("C1", probe.c1), ("C2", probe.c2), ("C4", probe.c4), ("C5", probe.c5), ("C6", c6),
            ("T1", t1), ("T2", t2), ("T3", t3), ("T4", t4), ("T5", t5), ("T7", t7),
            ("E1", e1),
            ("E2", { notApplicable("E2", "iat / nbf in the future, with leeway", "needs tokens signed with a chosen iat/nbf: the in-process suite covers it") }),
            ("E3", { notApplicable("E3", "family past its absolute lifetime", "needs the family lifetime to pass: the in-process suite covers it") }),
            ("S1", s1), ("S2", s2), ("S3", s3), ("S4", s4), ("X1", probe.x1),
            ("X2", { notApplicable("X2", "store unreachable → 503", "needs a store outage: the store fault tests cover it") }),
            ("X4", x4), ("X5", x5), ("X6", x6), ("U1", u1), ("C3", probe.c3),
        ]
        for (id, run) in cases {
            progress(id)
            results.append(await run())
        }
        return results
    }

    // MARK: Rotation

    /// R1: does a refresh answer carry a new refresh token? RFC 6749 §6 leaves it to the server;
    /// RFC 9700 §4.14.2 (and OAuth 2.1) require a public client's refresh tokens to rotate or be
    /// sender-constrained. Three refreshes in a row, so that a server that rotates only
    /// sometimes is reported with the evidence. `rotates` is `nil` when the set-up failed.
    package func r1() async -> (result: ProbeResult, rotates: Bool?) {
        let title = "rotates refresh tokens (RFC 9700 §4.14.2)"
        guard let tokens = await login(3) else { return (noLogin("R1", title), nil) }
        var current = tokens.refreshToken
        var seen: [Bool] = []
        for _ in 0..<3 {
            guard case .ok(let next) = await refresh(current) else { break }
            seen.append(next.refreshToken != current)
            current = next.refreshToken
        }
        guard !seen.isEmpty else { return (noLogin("R1", title), nil) }
        let rotated = seen.filter { $0 }.count
        if rotated == seen.count {
            return (result("R1", title, true, "\(rotated) of \(seen.count) refreshes issued a new refresh token"), true)
        }
        if rotated == 0 {
            return (result("R1", title, false, "\(seen.count) of \(seen.count) refreshes kept the presented refresh token (a public client's must rotate or be sender-constrained)"), false)
        }
        return (result("R1", title, false, "rotates only sometimes: \(rotated) of \(seen.count) refreshes issued a new refresh token"), true)
    }

    // MARK: Helpers

    /// Not applicable, when R1 found that the server keeps its refresh tokens: no token is
    /// spent, so there is no reuse to detect (R1 says whether keeping them is allowed).
    private func keepsTokens(_ id: String, _ title: String) -> ProbeResult? {
        rotates == false ? notApplicable(id, title, "the server keeps its refresh tokens (R1): no token is spent, so there is no reuse to detect") : nil
    }

    private func login(_ n: Int) async -> IssuedTokens? {
        let account = credentials.credentials(n)
        if case .ok(let tokens) = await target.login(username: account.username, password: account.password) { return tokens }
        return nil
    }

    private func refresh(_ token: String) async -> TargetOutcome<IssuedTokens> { await target.refresh(refreshToken: token) }

    private func notApplicable(_ id: String, _ title: String, _ why: String) -> ProbeResult {
        ProbeResult(id: id, title: title, verdict: .notApplicable, evidence: why)
    }

    private func result(_ id: String, _ title: String, _ ok: Bool, _ evidence: String) -> ProbeResult {
        ProbeResult(id: id, title: title, verdict: ok ? .pass : .fail, evidence: evidence)
    }

    private func noLogin(_ id: String, _ title: String) -> ProbeResult {
        ProbeResult(id: id, title: title, verdict: .fail, evidence: "its set-up failed: a login, or a refresh of a fresh token, was refused")
    }

    /// A short, safe description of an outcome (never a token): `200`, or the class, the
    /// status and the server's code, e.g. `invalid_grant (401 token_not_valid)`.
    package static func describe<T>(_ outcome: TargetOutcome<T>) -> String {
        let d = outcome.detail ?? FailureDetail()
        let kind: String
        switch outcome {
        case .ok: return "200"
        case .rejected(let k, _): kind = k.rawValue
        case .failed(let k, _): kind = k.rawValue
        }
        var inner: [String] = []
        if let status = d.status { inner.append(String(status)) }
        if let code = d.code, code != kind { inner.append(code) }
        if d.status == nil, let message = d.message { inner.append(message) }
        return inner.isEmpty ? kind : "\(kind) (\(inner.joined(separator: " ")))"
    }

    /// Refused is refused (docs/design.md, "Other people's servers"): a security case is judged
    /// by whether the server accepted (2xx) or refused (any 4xx but 429) the request, whatever
    /// the status; how it refused (RFC 6749 §5.2, RFC 6750 §3) is judged by the conformance
    /// cases X1, X5 and X6.
    private func isRefusal<T>(_ outcome: TargetOutcome<T>) -> Bool { outcome.isRefusal }

    /// ``isRefusal(_:)`` for a raw answer: a status of 400 … 499 but 429, and the statuses the
    /// profile names (``HTTPProfile/refusalStatuses``).
    package func refused(_ status: Int) -> Bool {
        (400..<500).contains(status) && status != 429 || target.profile.refusalStatuses.contains(status)
    }

    /// A raw answer's status and the server's message, for evidence: `422 "Not enough segments"`.
    private static func evidence(_ answer: HTTPTarget.Answer?) -> String {
        guard let answer else { return "no answer" }
        if let message = answer.message { return "\(answer.status) \"\(message)\"" }
        return String(answer.status)
    }

    /// A request of the probe's own, with the profile's extra headers.
    private func raw(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: ByteBuffer? = nil) async -> HTTPTarget.Answer? {
        var request = HTTPRequestSpec(method: method, path: target.basePath + path, body: body)
        target.addHeaders(&request.headers)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return await target.send(request)
    }

    private func unknownGrace(_ id: String, _ title: String) -> ProbeResult {
        notApplicable(id, title, "the server's grace window is unknown: give --grace (0s if it has none)")
    }

    /// The resource with `accessToken` in the profile's access transport (Bearer or cookie).
    private func resource(_ accessToken: String) async -> HTTPTarget.Answer? {
        await target.send(target.resourceRequest(accessToken))
    }

    // MARK: Concurrency and retries

    /// C1: ten refreshes of one token at once, in up to five rounds (a fresh login each): a race
    /// shows only now and then, and one fork in any round fails the case.
    ///
    /// A refusal counts against a server with a grace window only when it was surely inside
    /// the window: answered at most `grace` after the ten were sent (the rotation happened after
    /// they were sent, the refused request reached the server before it was answered). On a
    /// slow machine a refusal answered later may be right; such a round is not judged.
    package func c1() async -> ProbeResult {
        var kept: ProbeResult?
        for round in 1...5 {
            let r = await c1Round(round)
            if r.verdict == .fail { return r }
            // A judged pass outweighs a round not judged.
            if r.verdict == .pass || kept?.verdict != .pass { kept = r }
        }
        return kept!
    }

    private func c1Round(_ round: Int) async -> ProbeResult {
        let title = "10 concurrent refreshes of one token"
        if let skipped = keepsTokens("C1", title) { return skipped }
        guard let first = await login(1) else { return noLogin("C1", title) }
        let sent = ContinuousClock.now
        let outcomes = await withTaskGroup(of: (TargetOutcome<IssuedTokens>, Duration).self) { group in
            for _ in 0..<10 { group.addTask { let o = await self.refresh(first.refreshToken); return (o, ContinuousClock.now - sent) } }
            var all: [(TargetOutcome<IssuedTokens>, Duration)] = []
            for await o in group { all.append(o) }
            return all
        }
        var successors = Set<String>()
        var refused = 0, failed = 0
        var latestRefusal = Duration.zero
        for (o, answeredAfter) in outcomes {
            switch o {
            case .ok(let t): successors.insert(t.refreshToken)
            case .rejected:
                refused += 1
                latestRefusal = max(latestRefusal, answeredAfter)
            case .failed: failed += 1
            }
        }
        let counts = "round \(round) of 5: \(10 - refused - failed) × 200 with \(successors.count) distinct successor\(successors.count == 1 ? "" : "s"), \(refused) refused"
            + (failed > 0 ? ", \(failed) failed" : "")
        if successors.count > 1 {
            // Which successors still work? Two or more: one login became several sessions.
            var alive = 0
            for s in successors { if case .ok = await refresh(s) { alive += 1 } }
            return result("C1", title, alive <= 1, "\(counts); \(alive) of them then refresh" + (alive > 1 ? ": forked (concurrent_refresh_forked)" : ""))
        }
        guard let successor = successors.first else {
            return result("C1", title, false, "\(counts): no refresh succeeded")
        }
        let after = await refresh(successor)
        let alive = after.succeeded
        if refused == 0 && failed == 0 {
            return result("C1", title, alive, "\(counts); the successor then refreshes: \(Self.describe(after))")
        }
        switch grace {
        case .some(let g) where g > 0:
            let late = Double(latestRefusal.components.seconds) + Double(latestRefusal.components.attoseconds) / 1e18
            if refused > 0, late > g {
                return notApplicable("C1", title, "\(counts), no fork; a refusal was answered \(Units.figure(late)) s after the ten were sent, beyond the grace window of \(Units.figure(g)) s: not judged (a slow round)")
            }
            return result("C1", title, false, "\(counts): with a grace window of \(Units.figure(g)) s every caller must get the successor")
        case .some:
            // No grace window: the other nine are reuse, refused by design (RFC 9700 §4.14.2).
            return result("C1", title, true, "\(counts) (no grace window: the duplicates are reuse); one successor, no fork")
        case .none:
            return notApplicable("C1", title, "\(counts), no fork; right without a grace window, wrong with one: the server's grace window is unknown (give --grace)")
        }
    }

    // MARK: Users

    /// U1: a disabled user's session is refused at its next refresh with `invalid_grant`, and
    /// stays refused after the user is enabled again (the family was revoked); a new login
    /// works again (GoTrue and Keycloak check the user on refresh). Uses `tokenbench serve`'s
    /// admin routes, so only with ``adminSecret``.
    package func u1() async -> ProbeResult {
        let title = "a disabled user's refresh is refused and revokes the session"
        guard let secret = adminSecret else {
            return notApplicable("U1", title, "needs a way to disable a user: give serve's admin secret (--admin-secret-file)")
        }
        let account = credentials.credentials(8)
        guard let first = await login(8) else { return noLogin("U1", title) }
        func admin(_ action: String) async -> Int? {
            let body = ByteBuffer(string: FormURLEncoding.body([("username", account.username)]))
            return await raw(.POST, "/admin/users/\(action)", headers: [
                ("Authorization", "Bearer \(secret)"), ("Content-Type", "application/x-www-form-urlencoded"),
            ], body: body)?.status
        }
        let disabled = await admin("disable")
        guard disabled == 200 else {
            _ = await admin("enable")
            return result("U1", title, false, "POST /admin/users/disable answered \(disabled.map(String.init) ?? "nothing"), not 200: a wrong secret or no admin routes")
        }
        let whileDisabled = await refresh(first.refreshToken)
        let enabled = await admin("enable")
        let afterEnable = await refresh(first.refreshToken)
        let relogin = await login(8)
        let ok = isRefusal(whileDisabled) && afterEnable.isRefusal && enabled.map { (200..<300).contains($0) } == true && relogin != nil
        return result("U1", title, ok, "refresh while disabled: \(Self.describe(whileDisabled)); enabled again (\(enabled.map(String.init) ?? "no answer")): "
            + "the old session \(Self.describe(afterEnable)), a new login \(relogin != nil ? "200" : "refused")")
    }

    package func c2() async -> ProbeResult {
        let title = "lost response: retry inside grace"
        if let skipped = keepsTokens("C2", title) { return skipped }
        guard let grace else { return unknownGrace("C2", title) }
        guard grace > 0 else { return notApplicable("C2", title, "the server has no grace window (--grace 0)") }
        guard let first = await login(2), case .ok(let second) = await refresh(first.refreshToken) else { return noLogin("C2", title) }
        try? await Task.sleep(nanoseconds: UInt64(retryDelay * 1e9))
        let retry = await refresh(first.refreshToken)
        guard case .ok(let again) = retry else {
            return result("C2", title, false, "retry after \(retryDelay) s: \(Self.describe(retry)), expected 200 with the same successor")
        }
        let same = again.refreshToken == second.refreshToken
        let intact = await refresh(second.refreshToken)
        let alive = { if case .ok = intact { return true }; return false }()
        return result("C2", title, same && alive,
                      "retry after \(retryDelay) s: 200, \(same ? "same" : "a different") successor; the successor then refreshes: \(Self.describe(intact))")
    }

    package func c3() async -> ProbeResult {
        let title = "retry after grace + 1 s revokes the family"
        if let skipped = keepsTokens("C3", title) { return skipped }
        guard let grace else { return unknownGrace("C3", title) }
        guard let first = await login(3), case .ok(let second) = await refresh(first.refreshToken) else { return noLogin("C3", title) }
        try? await Task.sleep(nanoseconds: UInt64((grace + 1) * 1e9))
        let retry = await refresh(first.refreshToken)
        let after = await refresh(second.refreshToken)
        return result("C3", title, isRefusal(retry) && isRefusal(after),
                      "replay after \(grace + 1) s: \(Self.describe(retry)); then the newest token: \(Self.describe(after))")
    }

    package func c4() async -> ProbeResult {
        let title = "older token inside grace is reuse"
        if let skipped = keepsTokens("C4", title) { return skipped }
        guard let r1 = await login(4), case .ok(let r2) = await refresh(r1.refreshToken),
              case .ok(let r3) = await refresh(r2.refreshToken) else { return noLogin("C4", title) }
        let replay = await refresh(r1.refreshToken)
        let newest = await refresh(r3.refreshToken)
        return result("C4", title, isRefusal(replay) && isRefusal(newest),
                      "R1 after R1→R2→R3: \(Self.describe(replay)); then R3: \(Self.describe(newest))")
    }

    package func c5() async -> ProbeResult {
        let title = "revocation wins over the grace window"
        if let skipped = keepsTokens("C5", title) { return skipped }
        guard let r1 = await login(5), case .ok(let r2) = await refresh(r1.refreshToken),
              case .ok(let r3) = await refresh(r2.refreshToken) else { return noLogin("C5", title) }
        _ = await refresh(r1.refreshToken) // the replay that revokes
        try? await Task.sleep(nanoseconds: 200_000_000)
        let newest = await refresh(r3.refreshToken)
        let previous = await refresh(r2.refreshToken)
        return result("C5", title, isRefusal(newest) && isRefusal(previous),
                      "after a replay, R3 0.2 s later: \(Self.describe(newest)); R2 (inside grace): \(Self.describe(previous))")
    }

    package func c6() async -> ProbeResult {
        let title = "logout racing refresh (20 rounds)"
        guard target.profile.revokePath != nil else { return notApplicable("C6", title, "the profile has no revocation path") }
        var usable = 0, raced = 0, accessAlive = 0
        var refusedLogouts = 0, firstRefusal = ""
        for round in 0..<20 {
            guard let tokens = await login(6 + round % 3) else { return noLogin("C6", title) }
            async let refreshed = refresh(tokens.refreshToken)
            async let logout = target.logout(refreshToken: tokens.refreshToken, accessToken: tokens.accessToken)
            let (r, l) = await (refreshed, logout)
            // A logout refused because the racing refresh spent the token first says nothing
            // of what happens after an acknowledged logout (S3 judges the refusal itself).
            guard case .ok = l else {
                if refusedLogouts == 0 { firstRefusal = Self.describe(l) }
                refusedLogouts += 1
                continue
            }
            if case .ok(let minted) = r {
                raced += 1
                // After the logout returned, no refresh token the racing refresh minted may work.
                if case .ok = await refresh(minted.refreshToken) { usable += 1 }
                // Its access token is reported, not judged: stateless access tokens live until
                // their exp by design (RFC 9068); only a server that checks the session on
                // every call refuses them at once.
                if let answer = await resource(minted.accessToken), answer.status == 200 { accessAlive += 1 }
            }
        }
        let refused = refusedLogouts == 0 ? "" : "; \(refusedLogouts) logouts refused (\(firstRefusal)), not judged"
        guard refusedLogouts < 20 else {
            return result("C6", title, false, "no logout racing a refresh was acknowledged: 20 refused (\(firstRefusal))")
        }
        return result("C6", title, usable == 0,
                      "\(raced) of \(20 - refusedLogouts) acknowledged logouts had a racing refresh succeed; \(usable) of those refreshes' tokens still refresh after logout; "
                        + "\(accessAlive) of their access tokens still open the resource (stateless access tokens do until exp)" + refused)
    }

    // MARK: Token confusion and forgery

    package func t1() async -> ProbeResult {
        let title = "refresh token as Bearer at the resource"
        guard let tokens = await login(0) else { return noLogin("T1", title) }
        let answer = await resource(HTTPTarget.unpack(tokens.refreshToken).token)
        return result("T1", title, refused(answer?.status ?? 0), "GET \(target.profile.resourcePath) with the refresh token: \(Self.evidence(answer))")
    }

    package func t2() async -> ProbeResult {
        let title = "access token as refresh token"
        guard let tokens = await login(0) else { return noLogin("T2", title) }
        let outcome = await refresh(tokens.accessToken)
        return result("T2", title, isRefusal(outcome), "refresh with the access token: \(Self.describe(outcome))")
    }

    /// Splits a compact JWS (``JWSClaims/split(_:)``), or `nil`.
    private func parts(_ jws: String) -> (header: [String: Any], payload: Substring, signature: Substring)? {
        JWSClaims.split(jws)
    }

    private func encodeHeader(_ header: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data()
        return Base64.encodeToString(bytes: data, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    package func t3() async -> ProbeResult {
        let title = "alg: none, signature stripped or kept"
        guard let tokens = await login(0) else { return noLogin("T3", title) }
        guard let jws = parts(tokens.accessToken) else { return notApplicable("T3", title, "the access token is not a JWS") }
        var header = jws.header
        header["alg"] = "none"
        let unsigned = encodeHeader(header) + "." + jws.payload
        let stripped = await resource(unsigned + ".")
        let kept = await resource(unsigned + "." + jws.signature)
        return result("T3", title, refused(stripped?.status ?? 0) && refused(kept?.status ?? 0),
                      "alg none, stripped: \(Self.evidence(stripped)); alg none, signature kept: \(Self.evidence(kept))")
    }

    package func t4() async -> ProbeResult {
        let title = "HS256 signed with the RSA public key"
        guard let tokens = await login(0) else { return noLogin("T4", title) }
        guard let jws = parts(tokens.accessToken) else { return notApplicable("T4", title, "the access token is not a JWS") }
        guard let jwksPath = target.profile.jwksPath else {
            return notApplicable("T4", title, "the server's JWK Set is unknown: give --issuer (its jwks_uri) or --jwks-path")
        }
        guard let jwks = await raw(.GET, jwksPath), jwks.status == 200,
              let keys = (jwks.json as? [String: Any])?["keys"] as? [[String: Any]],
              let rsa = keys.first(where: { $0["kty"] as? String == "RSA" }),
              let n = rsa["n"] as? String else {
            return notApplicable("T4", title, "the server publishes no RSA key (it does not use RS256)")
        }
        var header = jws.header
        header["alg"] = "HS256"
        if let kid = rsa["kid"] as? String { header["kid"] = kid }
        let input = encodeHeader(header) + "." + jws.payload
        // Two spellings of "the public key bytes": the JWK's modulus text and its raw bytes.
        let modulus = (try? Base64.decode(string: n, options: [.base64UrlAlphabet, .omitPaddingCharacter])) ?? []
        var statuses: [Int] = []
        for secret in [Array(n.utf8), modulus] {
            let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: secret))
            let signature = Base64.encodeToString(bytes: Array(mac), options: [.base64UrlAlphabet, .omitPaddingCharacter])
            statuses.append(await resource(input + "." + signature)?.status ?? 0)
        }
        return result("T4", title, statuses.allSatisfy { refused($0) }, "HS256 with the RSA key as secret (2 spellings): \(statuses)")
    }

    package func t5() async -> ProbeResult {
        let title = "unknown kid, no fallback key"
        guard let tokens = await login(0) else { return noLogin("T5", title) }
        guard let jws = parts(tokens.accessToken) else { return notApplicable("T5", title, "the access token is not a JWS") }
        var header = jws.header
        header["kid"] = "tokenbench-probe-unknown-kid"
        let forged = encodeHeader(header) + "." + jws.payload + "." + jws.signature
        let status = await resource(forged)?.status ?? 0
        // Changing the header invalidates the signature under every key, so a 401 cannot tell
        // "unknown kid refused" from "fallback key tried and failed": only a 200 is conclusive.
        if status == 200 || status == 0 {
            return result("T5", title, false, "original signature under an unknown kid: \(status == 0 ? "no answer" : "200 (accepted)")")
        }
        return notApplicable("T5", title, "unknown kid answered \(status); whether another key was tried cannot be seen from outside (the in-process suite covers it)")
    }

    package func t6() async -> ProbeResult {
        let title = "two logins in one second differ"
        guard let a = await login(0), let b = await login(0) else { return noLogin("T6", title) }
        let differ = a.accessToken != b.accessToken && a.refreshToken != b.refreshToken
        return result("T6", title, differ, differ ? "access and refresh tokens differ" : "tokens repeat across logins")
    }

    package func t7() async -> ProbeResult {
        let title = "tampered refresh tokens, nothing written"
        guard let tokens = await login(7) else { return noLogin("T7", title) }
        // The token alone is tampered with; its CSRF value (double-submit) stays right, so that
        // what is refused is the token.
        let (t, csrf) = HTTPTarget.unpack(tokens.refreshToken)
        var changed = Array(t)
        if !changed.isEmpty { changed[changed.count / 2] = changed[changed.count / 2] == "A" ? "B" : "A" }
        let inputs: [(String, String)] = [
            ("one character changed", String(changed)), ("truncated", String(t.dropLast(3))), ("empty", ""),
            ("100 KB", String(repeating: "A", count: 100_000)), ("non-ASCII", "é🙂" + t.dropFirst(2)),
        ]
        var notes: [String] = []
        var ok = true
        for (name, value) in inputs {
            let outcome = await refresh(HTTPTarget.hold(value, csrf: csrf))
            if !outcome.isRefusal { ok = false }
            notes.append("\(name): \(Self.describe(outcome))")
        }
        let original = await refresh(tokens.refreshToken)
        let intact = { if case .ok = original { return true }; return false }()
        return result("T7", title, ok && intact, notes.joined(separator: ", ") + "; the real token then: \(Self.describe(original))")
    }

    // MARK: Time

    package func e1() async -> ProbeResult {
        let title = "expired access token refused after leeway"
        guard let leeway else { return notApplicable("E1", title, "the server's leeway is unknown: give --leeway (0s if it has none)") }
        guard let tokens = await login(0) else { return noLogin("E1", title) }
        // `exp` is whole seconds and may lie up to 1 s after now + expires_in: wait 2 s past.
        let wait = tokens.expiresIn + leeway + 2
        guard wait <= maxWait else {
            return notApplicable("E1", title, "access tokens live \(Units.figure(tokens.expiresIn)) s + leeway \(Units.figure(leeway)) s, longer than --max-wait \(Units.figure(maxWait)) s")
        }
        let fresh = await resource(tokens.accessToken)?.status ?? 0
        try? await Task.sleep(nanoseconds: UInt64(wait * 1e9))
        let expired = await resource(tokens.accessToken)?.status ?? 0
        return result("E1", title, (200..<300).contains(fresh) && refused(expired),
                      "fresh: \(fresh); \(Units.figure(wait)) s later (expires_in + leeway + 2 s): \(expired)")
    }

    // MARK: Session state

    package func s1() async -> ProbeResult {
        let withAccess = target.profile.revokeWith == .access
        let title = withAccess ? "logout with the access token ends the refresh token" : "logout with the refresh token only"
        guard target.profile.revokePath != nil else { return notApplicable("S1", title, "the profile has no revocation path") }
        guard let tokens = await login(8) else { return noLogin("S1", title) }
        let logout = await target.logout(refreshToken: tokens.refreshToken, accessToken: tokens.accessToken)
        let after = await refresh(tokens.refreshToken)
        return result("S1", title, { if case .ok = logout { return true }; return false }() && isRefusal(after),
                      "revoke (\(withAccess ? "with the access token" : "no access token")): \(Self.describe(logout)); refresh then: \(Self.describe(after))")
    }

    package func s2() async -> ProbeResult {
        let title = "log out everywhere, 3 sessions"
        guard let path = target.profile.logoutAllPath else { return notApplicable("S2", title, "the profile has no 'log out everywhere' path") }
        var sessions: [IssuedTokens] = []
        for _ in 0..<3 { if let s = await login(9) { sessions.append(s) } }
        guard sessions.count == 3 else { return noLogin("S2", title) }
        let answer = await raw(.POST, path, headers: [("Authorization", "Bearer \(sessions[0].accessToken)")])
        var refused = 0
        for s in sessions where isRefusal(await refresh(s.refreshToken)) { refused += 1 }
        let status = answer?.status ?? 0
        return result("S2", title, (200..<300).contains(status) && refused == 3,
                      "POST \(path): \(status); \(refused) of 3 sessions' refresh tokens refused")
    }

    package func s3() async -> ProbeResult {
        let title = "revoke unknown or revoked token → 200"
        guard target.profile.revokePath != nil else { return notApplicable("S3", title, "the profile has no revocation path") }
        let unknown = await target.logout(refreshToken: "tokenbench-probe-unknown-token", accessToken: "tokenbench-probe-unknown-token")
        guard let tokens = await login(0) else { return noLogin("S3", title) }
        let first = await target.logout(refreshToken: tokens.refreshToken, accessToken: tokens.accessToken)
        let again = await target.logout(refreshToken: tokens.refreshToken, accessToken: tokens.accessToken)
        let revoked = isRefusal(await refresh(tokens.refreshToken))
        let ok = { if case .ok = unknown, case .ok = first, case .ok = again { return revoked }; return false }()
        return result("S3", title, ok, "unknown token: \(Self.describe(unknown)); first revoke: \(Self.describe(first)); already revoked: \(Self.describe(again))")
    }

    /// S4: a revoked JWS refresh token with `=` appended stays revoked. Lenient base64url
    /// decoders ignore the padding, so the server verifies the same token; a blocklist keyed by
    /// the token's text rather than by its `jti` lets the copy through (RFC 7009 §2: a revoked
    /// token is no longer usable).
    package func s4() async -> ProbeResult {
        let title = "revoked token with '=' appended stays revoked"
        guard target.profile.revokePath != nil else { return notApplicable("S4", title, "the profile has no revocation path") }
        guard let tokens = await login(8) else { return noLogin("S4", title) }
        let (token, csrf) = HTTPTarget.unpack(tokens.refreshToken)
        guard JWSClaims.isJWS(token) else { return notApplicable("S4", title, "the refresh token is not a JWS") }
        let logout = await target.logout(refreshToken: tokens.refreshToken, accessToken: tokens.accessToken)
        guard case .ok = logout else { return result("S4", title, false, "logout: \(Self.describe(logout))") }
        let plain = await refresh(tokens.refreshToken)
        let padded = await refresh(HTTPTarget.hold(token + "=", csrf: csrf))
        return result("S4", title, isRefusal(plain) && isRefusal(padded),
                      "after logout, the token: \(Self.describe(plain)); with '=' appended: \(Self.describe(padded))")
    }

    // MARK: Errors

    package func x1() async -> ProbeResult {
        let title = "reused token: 400 JSON invalid_grant"
        if let kept = keepsTokens("X1", title) { return kept }
        // R1 → R2 → R3: R1 is two steps old, so it is reuse whatever the grace window.
        guard let r1 = await login(0), case .ok(let r2) = await refresh(r1.refreshToken),
              case .ok = await refresh(r2.refreshToken) else { return noLogin("X1", title) }
        var (request, fields) = target.refreshRequest(r1.refreshToken)
        target.addClient(&fields, &request.headers)
        target.setBody(&request, fields)
        guard let answer = await target.send(request) else { return result("X1", title, false, "no answer") }
        let json = answer.headers["Content-Type"].first?.hasPrefix("application/json") ?? false
        return result("X1", title, answer.status == 400 && answer.error == "invalid_grant" && json,
                      "replayed token: \(answer.status) error=\(answer.error ?? "none")\(json ? "" : " (not application/json)")")
    }

    /// X5: a refused access token gets RFC 6750 §3's answer: 401 with `WWW-Authenticate: Bearer`
    /// and `error="invalid_token"`. Conformance only: the refusal itself is T1–T3's.
    package func x5() async -> ProbeResult {
        let title = "refused access token: 401 Bearer invalid_token"
        guard target.profile.accessTokenIn == .bearer else {
            return notApplicable("X5", title, "the access token travels in a cookie: RFC 6750's Bearer challenge is for the Authorization header")
        }
        guard let answer = await resource("tokenbench-probe-not-a-token") else { return result("X5", title, false, "no answer") }
        let challenge = answer.headers["WWW-Authenticate"].first ?? ""
        let bearer = challenge.lowercased().hasPrefix("bearer")
        let invalid = challenge.contains("error=\"invalid_token\"")
        return result("X5", title, answer.status == 401 && bearer && invalid,
                      "GET \(target.profile.resourcePath) with a made-up token: \(Self.evidence(answer)); WWW-Authenticate: "
                        + (challenge.isEmpty ? "none" : HTTPTarget.Answer.oneLine(challenge)))
    }

    /// X6: a token answer is JSON and not cached (RFC 6749 §5.1: `Content-Type:
    /// application/json`, `Cache-Control: no-store`).
    package func x6() async -> ProbeResult {
        let title = "token answer: JSON, Cache-Control no-store"
        let account = credentials.credentials(0)
        guard let answer = await target.send(target.loginRequest(username: account.username, password: account.password)),
              (200..<300).contains(answer.status) else { return noLogin("X6", title) }
        let type = answer.headers["Content-Type"].first ?? ""
        let cache = answer.headers["Cache-Control"].joined(separator: ", ")
        let json = type.lowercased().hasPrefix("application/json")
        let noStore = cache.lowercased().contains("no-store")
        return result("X6", title, json && noStore,
                      "login: Content-Type \(type.isEmpty ? "none" : HTTPTarget.Answer.oneLine(type)); Cache-Control \(cache.isEmpty ? "none" : HTTPTarget.Answer.oneLine(cache))")
    }

    package func x4() async -> ProbeResult {
        let title = "malformed requests: 400/413 with JSON error"
        guard target.profile.refreshTokenIn == .body else {
            return notApplicable("X4", title, "the refresh token travels in \(target.profile.refreshTokenIn == .bearer ? "the Authorization header" : "a cookie"), not the body: a refresh request's body is not the server's to read")
        }
        let path = target.profile.refreshPath
        let form = ("Content-Type", "application/x-www-form-urlencoded")
        // Every request authenticates the client as the profile does, so that what is judged
        // is the answer to the malformed part, not to a missing client credential.
        func wellFormed(_ fields: [(String, String)]) -> ([(String, String)], ByteBuffer) {
            var request = HTTPRequestSpec(method: .POST, path: path)
            var fields = fields
            target.addClient(&fields, &request.headers)
            target.setBody(&request, fields)
            return (request.headers.map { ($0.name, $0.value) }, request.body ?? ByteBuffer())
        }
        var client: [(String, String)] = []
        if let basic = target.basicAuthorization { client.append(("Authorization", basic)) }
        let grant = target.profile.refreshGrantType
        let missing = wellFormed(grant.map { [("grant_type", $0)] } ?? [])
        let unknown = wellFormed([("grant_type", "tokenbench_probe"), (target.profile.refreshTokenField, "tokenbench-probe")])
        var probes: [(String, [(String, String)], ByteBuffer, Set<Int>)] = [
            ("malformed JSON", client + [("Content-Type", "application/json")], ByteBuffer(string: "{\"grant_type\": "), [400]),
            ("wrong content type", client + [("Content-Type", "text/plain")], ByteBuffer(string: "grant_type=refresh_token"), [400, 415]),
            ("1 MB body", client + [form], ByteBuffer(repeating: UInt8(ascii: "a"), count: 1 << 20), [400, 413]),
            ("missing field", missing.0, missing.1, [400]),
        ]
        if grant != nil { probes.append(("unknown grant_type", unknown.0, unknown.1, [400])) }
        var notes: [String] = []
        var ok = true
        for (name, headers, body, expected) in probes {
            let answer = await raw(.POST, path, headers: headers, body: body)
            let status = answer?.status ?? 0
            let hasError = answer?.error != nil
            if !expected.contains(status) || !hasError { ok = false }
            notes.append("\(name): \(status)\(hasError ? " \(answer?.error ?? "")" : " (no JSON error)")")
        }
        return result("X4", title, ok, notes.joined(separator: ", "))
    }
}
