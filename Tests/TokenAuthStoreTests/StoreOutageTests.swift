import Foundation
import Testing
import TokenAuth
import TokenAuthPostgres
import TokenAuthRedis
import TokenAuthSQLite
import TokenAuthTesting
import TokenLoad
@testable import TokenResults

/// Case X2 (store unreachable) against real servers, in-process: a typed error, never a
/// "valid", and recovery by itself when the server returns.
@Suite("Store outage (X2, in-process)", .enabled(if: RedisServerProcess.isAvailable, "skipped: redis-server is not installed"))
struct StoreOutageTests {
    static func service<S: RefreshTokenStore>(_ store: S) async throws -> AuthService<S, InMemoryUserDirectory> {
        var configuration = AuthConfiguration()
        configuration.checkSessionOnAccess = true
        return try await AuthService.synthetic(configuration: configuration, store: store, syntheticUsers: 4,
                                               algorithm: .hs256, password: .bcrypt(cost: 4))
    }

    @Test("Redis killed: refresh, login, session check and revoke throw temporarily_unavailable; all work again after restart")
    func redisKilledAndRestarted() async throws {
        let server = try RedisServerProcess()
        let store = try await RedisRefreshTokenStore.connect(server.url, connections: 2, operationTimeout: 1)
        let service = try await Self.service(store)
        let pair = try await service.login(username: "user1", password: "pw-1")

        server.stop()
        let errors = [
            await authError { () async throws(AuthError) in try await service.refresh(refreshToken: pair.refreshToken) },
            await authError { () async throws(AuthError) in try await service.authenticate(accessToken: pair.accessToken) },
            await authError { () async throws(AuthError) in try await service.login(username: "user1", password: "pw-1") },
            await authError { () async throws(AuthError) in try await service.revoke(token: pair.refreshToken) },
        ]
        for error in errors { #expect(error == AuthError(.temporarilyUnavailable, .storeUnavailable)) }
        #expect(store.statistics.snapshot.unavailable >= 4)

        try server.start()
        // The family survived (append-only file) and nothing was rotated while Redis was down.
        let next = try await service.refresh(refreshToken: pair.refreshToken)
        #expect(try await service.authenticate(accessToken: next.accessToken).sub == "user1")
        #expect(store.statistics.snapshot.reconnects >= 1)
        await store.close()
    }

    @Test("an unreachable Redis or PostgreSQL is an error at once, not a hang")
    func unreachableServers() async throws {
        let port = try RedisServerProcess.freePort()
        let started = Date()
        await #expect(throws: StoreError.self) { _ = try await RedisRefreshTokenStore.connect("redis://127.0.0.1:\(port)/0", operationTimeout: 1) }
        await #expect(throws: StoreError.self) {
            try await PostgresRefreshTokenStore.withStore(url: "postgres://postgres@127.0.0.1:\(port)/none", operationTimeout: 1) { _ in }
        }
        #expect(Date().timeIntervalSince(started) < 10, "both fail within their deadlines")
        let sqlite = await #expect(throws: StoreError.self) {
            _ = try await SQLiteRefreshTokenStore.open(.file("/nonexistent-dir-\(UUID().uuidString)/x.db"))
        }
        #expect(sqlite?.code == .unavailable)
    }
}

/// Case X3: every Redis key has a TTL no shorter than its family's remaining life, and a later
/// write never shortens it.
@Suite("Redis TTLs (X3)", .enabled(if: StoreServers.redisURL != nil, StoreServers.redisSkip ?? ""))
struct RedisTTLTests {
    static func family(subject: String, lifetime: TimeInterval, now: Date) -> RefreshFamily {
        RefreshFamily(id: FamilyID.random(using: SystemRandomSource()), subject: subject, clientID: nil, createdAt: now,
                      expiresAt: now.addingTimeInterval(lifetime), idleExpiresAt: nil, generation: 0,
                      currentDigest: TokenDigest(of: Array("t0-\(UUID())".utf8)), previousDigest: nil, issuedAt: now)
    }

    @Test("TTL = remaining life at create; rotate, grace replay, revoke and a shorter sibling family never shorten it")
    func ttls() async throws {
        let url = try #require(StoreServers.redisURL)
        let store = try await RedisRefreshTokenStore.connect(url, prefix: "\(StoreServers.uniqueName("x3")):")
        let now = Date()
        let createdMs = Int64(now.timeIntervalSince1970 * 1000)
        let long = Self.family(subject: "alice", lifetime: 3600, now: now)
        try await store.create(long)
        let t0 = try await store.expiryTimes(long.id, subject: "alice")
        let afterCreateMs = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(t0.family >= createdMs + 3_600_000 - 5 && t0.family <= afterCreateMs + 3_600_000 + 5,
                "the family expires when its life ends (\(t0.family - createdMs) ms after login)")
        #expect(t0.subject >= t0.family, "the user's set lives at least as long as the family")

        // A rotation, a grace replay and a revocation write the family again.
        let successor = TokenDigest(of: Array("t1".utf8))
        let rotated = try await store.rotate(RotationRequest(
            family: long.id, presentedGeneration: 0, presentedDigest: long.currentDigest, successorDigest: successor,
            now: now.addingTimeInterval(1), graceWindow: 10, idleTimeout: 60))
        guard case .rotated = rotated else { Issue.record("expected a rotation, got \(rotated)"); return }
        let replay = try await store.rotate(RotationRequest(
            family: long.id, presentedGeneration: 0, presentedDigest: long.currentDigest, successorDigest: successor,
            now: now.addingTimeInterval(2), graceWindow: 10, idleTimeout: 60))
        guard case .graceReplay = replay else { Issue.record("expected a grace replay, got \(replay)"); return }
        #expect(try await store.revoke(long.id, at: now.addingTimeInterval(3), reason: .logout))

        // A second, shorter family of the same user: the set's expiry is not brought forward.
        let short = Self.family(subject: "alice", lifetime: 60, now: now)
        try await store.create(short)
        #expect(try await store.revokeAll(subject: "alice", at: now.addingTimeInterval(4)) == 1)

        let t1 = try await store.expiryTimes(long.id, subject: "alice")
        #expect(t1.family == t0.family, "later writes never move the family's expiry (\(t0.family) → \(t1.family))")
        #expect(t1.subject == t0.subject, "the shorter sibling did not shorten the user's set")
        let tShort = try await store.expiryTimes(short.id, subject: "alice")
        #expect(tShort.family >= createdMs + 60_000 - 5 && tShort.family < t0.family)
        // Revoked families stay readable until they expire (reuse detection needs them).
        #expect(try await store.family(long.id)?.revocationReason == .logout)
        try await store.deleteAll()
        await store.close()
    }
}
