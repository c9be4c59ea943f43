import Foundation
import Testing
import TokenAuth
import TokenAuthPostgres
import TokenAuthRedis
import TokenAuthSQLite

/// The servers the store tests use, named by the environment (`.ci/run` starts them and sets
/// these):
/// - `TOKENBENCH_POSTGRES_URL`: `postgres://USER@HOST:PORT/DB`
/// - `TOKENBENCH_REDIS_URL`: `redis://HOST:PORT/N`
/// - `TOKENBENCH_REQUIRE_STORES=1`: a missing server fails the run instead of skipping.
enum StoreServers {
    static let environment = ProcessInfo.processInfo.environment
    static var postgresURL: String? { environment["TOKENBENCH_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var redisURL: String? { environment["TOKENBENCH_REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var required: Bool { environment["TOKENBENCH_REQUIRE_STORES"] == "1" }

    /// Why the Postgres tests skip, or `nil` when they run.
    static let postgresSkip: Comment? = postgresURL == nil
        ? "skipped: TOKENBENCH_POSTGRES_URL is not set (bash .ci/run starts a PostgreSQL server and sets it)" : nil
    static let redisSkip: Comment? = redisURL == nil
        ? "skipped: TOKENBENCH_REDIS_URL is not set (bash .ci/run starts a Redis server and sets it)" : nil

    /// A namespace no other test uses: lower-case letters and digits.
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)\(UInt64.random(in: 0...UInt64.max) >> 8)"
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokenbench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// In CI the servers must be there: a skipped store test would hide a broken set-up.
@Suite("Store servers")
struct StoreServersPresentTests {
    @Test("PostgreSQL and Redis are configured when TOKENBENCH_REQUIRE_STORES=1")
    func serversConfiguredWhenRequired() {
        if StoreServers.required {
            #expect(StoreServers.postgresURL != nil, "TOKENBENCH_POSTGRES_URL must be set when TOKENBENCH_REQUIRE_STORES=1")
            #expect(StoreServers.redisURL != nil, "TOKENBENCH_REDIS_URL must be set when TOKENBENCH_REQUIRE_STORES=1")
        }
    }
}

/// Checks that every family a store holds is well-formed.
func expectWellFormed(_ families: [RefreshFamily], sourceLocation: SourceLocation = #_sourceLocation) {
    for f in families {
        #expect((f.revokedAt == nil) == (f.revocationReason == nil), "revocation time and reason go together", sourceLocation: sourceLocation)
        #expect((f.generation == 0) == (f.previousDigest == nil), "a predecessor digest exists exactly after a rotation", sourceLocation: sourceLocation)
        #expect(f.issuedAt >= f.createdAt && f.expiresAt > f.createdAt, sourceLocation: sourceLocation)
    }
}

/// A PostgreSQL store run as an application runs it: its `Service` in a task of the test's own
/// (a `ServiceGroup`'s place), then prepared. ``stop()`` ends the client.
final class RunningPostgres: Sendable {
    let store: PostgresRefreshTokenStore
    private let task: Task<Void, Never>

    init(_ url: String, schema: String, maxConnections: Int = 16, operationTimeout: Double = 2) async throws {
        let store = try PostgresRefreshTokenStore(url: url, schema: schema, maxConnections: maxConnections, operationTimeout: operationTimeout)
        self.store = store
        task = Task { await store.run() }
        do {
            try await store.prepare()
        } catch {
            await stop()
            throw error
        }
    }

    func stop() async {
        task.cancel()
        await task.value
    }
}
