import Foundation
import Testing
import TokenAuth
import TokenAuthPostgres
import TokenAuthRedis
import TokenAuthSQLite
import TokenAuthTesting

/// The shared conformance suite (`docs/cases.md`), unchanged, against
/// every durable store; afterwards every family the case left must be well-formed.
@Suite("SQLite store conformance")
struct SQLiteConformanceTests {
    /// Runs case `c` on SQLite stores made by `open`, then checks and closes each.
    func run(_ c: RefreshTokenCase, _ open: @escaping @Sendable () async throws -> SQLiteRefreshTokenStore) async throws {
        let made = Locked<[SQLiteRefreshTokenStore]>([])
        try await RefreshTokenStoreConformance {
            let store = try await open()
            made.withLock { $0.append(store) }
            return store
        }.run(c)
        for store in made.withLock({ $0 }) {
            expectWellFormed(try await store.allFamilies())
            await store.close()
        }
    }

    @Test("file (WAL)", arguments: RefreshTokenCase.allCases)
    func file(_ c: RefreshTokenCase) async throws {
        let directory = try StoreServers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await run(c) { try await SQLiteRefreshTokenStore.open(.file(directory.appendingPathComponent("\(UUID().uuidString).db").path)) }
    }

    @Test("memory", arguments: [RefreshTokenCase.c1ConcurrentRefresh, .c6LogoutRefreshRace, .s2LogoutEverywhere, .e3FamilyPastLifetime])
    func memory(_ c: RefreshTokenCase) async throws {
        try await run(c) { try await SQLiteRefreshTokenStore.open(.memory) }
    }
}

/// Every suite on the shared PostgreSQL server, one after the other: the outage test stops
/// that server, which must not happen under another suite's feet (`swift test` without
/// `--no-parallel` runs suites side by side).
@Suite("PostgreSQL", .serialized)
struct PostgresSuites {}

extension PostgresSuites {
@Suite("PostgreSQL store conformance", .enabled(if: StoreServers.postgresURL != nil, StoreServers.postgresSkip ?? ""))
struct PostgresConformanceTests {
    @Test(arguments: RefreshTokenCase.allCases)
    func conformance(_ c: RefreshTokenCase) async throws {
        let url = try #require(StoreServers.postgresURL)
        let made = Locked<[RunningPostgres]>([])
        try await RefreshTokenStoreConformance {
            let running = try await RunningPostgres(url, schema: StoreServers.uniqueName("tb"), maxConnections: 8)
            made.withLock { $0.append(running) }
            return running.store
        }.run(c)
        for running in made.withLock({ $0 }) {
            expectWellFormed(try await running.store.allFamilies())
            try await running.store.dropSchema()
            await running.stop()
        }
    }
}

}

@Suite("Redis store conformance", .enabled(if: StoreServers.redisURL != nil, StoreServers.redisSkip ?? ""))
struct RedisConformanceTests {
    @Test(arguments: RefreshTokenCase.allCases)
    func conformance(_ c: RefreshTokenCase) async throws {
        let url = try #require(StoreServers.redisURL)
        let made = Locked<[RedisRefreshTokenStore]>([])
        try await RefreshTokenStoreConformance {
            let store = try await RedisRefreshTokenStore.connect(url, prefix: "\(StoreServers.uniqueName("tb")):")
            made.withLock { $0.append(store) }
            return store
        }.run(c)
        for store in made.withLock({ $0 }) {
            try await store.deleteAll()
            await store.close()
        }
    }
}
