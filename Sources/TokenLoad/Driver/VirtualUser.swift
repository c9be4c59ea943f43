import TokenResults
/// One simulated client: its session state and its slice of the shadow model (what the
/// server *must* answer next, given what it answered before).
package struct VirtualUser {
    package enum Phase { case loggedOut, active }

    /// The account number `n` (``Credentials`` turns it into a username and password).
    package let number: Int32
    package var rng: SplitMix64
    package var phase: Phase = .loggedOut
    package var accessToken = ""
    package var refreshToken = ""
    /// Monotonic ns at which the access token expires, the refresh is due, the session ends.
    package var accessExpiresAt: UInt64 = 0
    /// Until when (monotonic ns) the access token is valid beyond doubt: the request that got
    /// it was sent no earlier than the server issued it, so `sent + expires_in − 2 s` is before
    /// its `exp` whatever the latency (2 s for whole-second rounding).
    package var accessSurelyValidUntil: UInt64 = 0
    /// Whether the current access token has opened the resource once: only then is a later
    /// refusal before ``accessSurelyValidUntil`` a violation (a resource that refuses every
    /// token is a misconfigured profile, never judged).
    package var accessAccepted = false
    package var refreshDueAt: UInt64 = .max
    package var sessionEndsAt: UInt64 = .max
    /// The two most recently spent refresh tokens of this family and when they were spent
    /// (index 0: the immediate predecessor of the current token).
    package var spent: [(token: String, at: UInt64)] = []
    /// The first access token of this session and its expiry, for expired-token probes.
    package var oldAccess: (token: String, expiresAt: UInt64)?
    /// When the family (session) ends for good: login + refresh-token lifetime; 0 when the
    /// server's refresh-token lifetime is unknown.
    package var familyExpiresAt: UInt64 = .max
    /// Open model: how many of this user's arrivals have been served (user `n` of `N` takes
    /// arrivals `n, n + N, …` of ``LoadSchedule/arrival(_:)``).
    package var arrivals: UInt32 = 0
    /// Open model with a refresh rate: how many of this user's refresh arrivals have been
    /// served or missed (it takes refresh arrivals `n + 1.5N, n + 2.5N, …`).
    package var refreshArrivals: UInt32 = 0

    package init(number: Int32, seed: UInt64) {
        self.number = number
        self.rng = SplitMix64(seed: seed ^ (UInt64(UInt32(bitPattern: number)) &* 0xD6E8_FEB8_6659_FD93))
    }


    /// A new session began (login) at `now`.
    /// - Parameter sent: when the login request was sent (monotonic ns).
    package mutating func begin(_ tokens: IssuedTokens, sent: UInt64, at now: UInt64, configuration c: LoadConfiguration) {
        phase = .active
        spent.removeAll(keepingCapacity: true)
        oldAccess = nil
        sessionEndsAt = add(now, ns(c.sessionLength * (0.5 + rng.unit())))
        familyExpiresAt = c.refreshTTL.map { add(now, ns($0)) } ?? 0
        adopt(tokens, sent: sent, at: now, configuration: c)
    }

    /// A refresh succeeded at `now`: the presented token is spent, the successor adopted.
    /// - Parameter sent: when the refresh request was sent (monotonic ns).
    package mutating func rotate(to tokens: IssuedTokens, spending token: String, sent: UInt64, at now: UInt64, configuration c: LoadConfiguration) {
        // Keep what hostile probes need, and only when they are on: idle users cost memory.
        if c.replayRatio > 0 {
            spent.insert((token, now), at: 0)
            if spent.count > 2 { spent.removeLast() }
        }
        if c.expiredAccessRatio > 0, oldAccess == nil { oldAccess = (accessToken, accessExpiresAt) }
        adopt(tokens, sent: sent, at: now, configuration: c)
    }

    /// A refresh of a server that does not rotate (RFC 6749 §6 lets it keep the refresh token):
    /// the same refresh token stays current, nothing is spent; the access token is new.
    package mutating func renew(with tokens: IssuedTokens, sent: UInt64, at now: UInt64, configuration c: LoadConfiguration) {
        if c.expiredAccessRatio > 0, oldAccess == nil { oldAccess = (accessToken, accessExpiresAt) }
        adopt(tokens, sent: sent, at: now, configuration: c)
    }

    /// Whether `token` is one of this family's spent refresh tokens (tracked only while replays
    /// are on).
    package func hasSpent(_ token: String) -> Bool {
        spent.contains { $0.token == token }
    }

    private mutating func adopt(_ tokens: IssuedTokens, sent: UInt64, at now: UInt64, configuration c: LoadConfiguration) {
        accessSurelyValidUntil = tokens.expiresIn > 2 ? add(sent, ns(tokens.expiresIn - 2)) : 0
        accessAccepted = false
        accessToken = tokens.accessToken
        refreshToken = tokens.refreshToken
        accessExpiresAt = add(now, ns(tokens.expiresIn))
        let lead = ns(c.refreshLead + c.refreshJitter * rng.unit())
        refreshDueAt = accessExpiresAt > lead ? max(now, accessExpiresAt - lead) : now
    }

    package mutating func endSession() {
        phase = .loggedOut
        accessToken = ""
        refreshToken = ""
        spent.removeAll(keepingCapacity: true)
        oldAccess = nil
        refreshDueAt = .max
        sessionEndsAt = .max
        accessSurelyValidUntil = 0
        accessAccepted = false
    }

    /// Whether the family is certainly within its absolute lifetime at `now` (2 s of margin for
    /// the whole-second rounding and clock differences): only then is a refusal a violation.
    /// Never, when the server's refresh-token lifetime is unknown.
    package func familySurelyAlive(at now: UInt64) -> Bool {
        familyExpiresAt > 2_000_000_000 && now < familyExpiresAt - 2_000_000_000
    }

    /// A spent token whose replay is reuse beyond doubt: the one before the immediate
    /// predecessor (reuse whatever the grace window, case C4), or the immediate predecessor once
    /// `grace + 1 s` have passed since it was spent (the margin keeps clock differences from
    /// making the expectation ambiguous) when the grace window is known.
    package func unambiguouslySpent(now: UInt64, grace: Double?) -> String? {
        if spent.count >= 2 { return spent[1].token }
        if let grace, let last = spent.first, now > add(last.at, ns(grace + 1)) { return last.token }
        return nil
    }

    /// An access token expired beyond doubt (past `exp + leeway + 2 s`: `exp` is a whole second,
    /// up to one second later than `expires_in` said); none when the leeway is unknown.
    package func expiredAccess(now: UInt64, leeway: Double?) -> String? {
        guard let leeway, let old = oldAccess, now > add(old.expiresAt, ns(leeway + 2)) else { return nil }
        return old.token
    }
}

/// Saturating addition of instants and spans (ns).
@inline(__always)
package func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? .max : sum
}

/// Seconds to nanoseconds (saturating).
@inline(__always)
package func ns(_ seconds: Double) -> UInt64 {
    guard seconds > 0 else { return 0 }
    let v = seconds * 1e9
    return v >= 1.8e19 ? .max : UInt64(v)
}
