import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import TokenAuth

/// A ``RefreshTokenStore`` in PostgreSQL (vapor/postgres-nio `PostgresClient` and its pool).
///
/// - The table is created (or brought to the current schema version) on start, under an
///   advisory lock so that two processes starting at once do not race. `fillfactor = 80`
///   leaves room in each page so that a rotation (no indexed column changes) is a HOT update.
/// - Rotation and lookup are server-side prepared statements (parsed and planned once per
///   connection); the connections' `search_path` is the store's schema.
/// - Rotation is one `UPDATE … WHERE <presented token is current and live> RETURNING …`
///   compare-and-swap (``ConditionalRotation``). `rotate` and `revoke` of a family update the
///   same row, so PostgreSQL's row lock serializes them: after a revocation commits, the
///   rotation's `WHERE` is re-evaluated on the revoked row and matches nothing; nothing is
///   minted after a revocation.
/// - Revoke-all locks the user's rows in `id` order (`SELECT … ORDER BY id FOR UPDATE`), and
///   every other statement locks one row, so concurrent refresh, revoke and revoke-all cannot
///   deadlock. Deadlocks and serialization failures (SQLSTATE 40P01, 40001) that happen anyway
///   are retried (at most 5 times) and counted.
/// - Every operation has a deadline (`operationTimeout`, default 2 s): a server that is down
///   or not answering gives ``StoreError/Code/unavailable``, never a hang and never a "valid".
public final class PostgresRefreshTokenStore: RefreshTokenStore, StoreStatisticsReporting, Service, Sendable {
    public let statistics: StoreStatistics
    /// The client; ``run()`` runs it.
    public let client: PostgresClient
    private let table: String
    private let schema: String
    private let operationTimeout: Double

    /// Connection settings read from a `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` URL.
    public struct Endpoint: Sendable, Hashable {
        public var host: String, port: Int, username: String, password: String?, database: String

        /// - Throws: ``StoreError`` `.unavailable` naming what is wrong with the URL.
        public init(url: String) throws(StoreError) {
            guard let c = URLComponents(string: url), c.scheme == "postgres" || c.scheme == "postgresql",
                  let host = c.host, !host.isEmpty, let user = c.user, !user.isEmpty else {
                throw StoreError(.unavailable, "expected postgres://USER[:PASSWORD]@HOST[:PORT]/DB")
            }
            let db = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
            guard !db.isEmpty, !db.contains("/") else { throw StoreError(.unavailable, "postgres URL: expected a database name after the host") }
            self.host = host
            self.port = c.port ?? 5432
            self.username = user
            self.password = c.password
            self.database = db
        }
    }

    /// A store on the server of `url`, with a client of its own (no I/O yet): run it as a
    /// `Service` (``run()``, in the application's `ServiceGroup`), then ``prepare()`` it; or use
    /// ``withStore(url:schema:maxConnections:operationTimeout:_:)``, which does both for the
    /// length of a body.
    /// - Parameters:
    ///   - url: `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`.
    ///   - schema: PostgreSQL schema holding the table (default `tokenbench`; letters, digits, `_`).
    ///   - maxConnections: pool size (default 16), all opened at start and kept open.
    ///   - operationTimeout: deadline of one operation, s (default 2; more than 0, at most 3600).
    ///     A rotation that commits after its deadline is reported unavailable: keep the
    ///     service's grace window longer than this deadline plus the client's retry delay, so
    ///     that the retry is a grace replay and not a reuse.
    /// - Throws: ``StoreError`` `.unavailable` if the URL, schema or timeout is malformed.
    public convenience init(url: String, schema: String = "tokenbench", maxConnections: Int = 16,
                            operationTimeout: Double = 2) throws(StoreError) {
        let endpoint = try Endpoint(url: url)
        var configuration = PostgresClient.Configuration(
            host: endpoint.host, port: endpoint.port, username: endpoint.username, password: endpoint.password,
            database: endpoint.database, tls: .disable)
        configuration.options.maximumConnections = max(1, maxConnections)
        // No pool timers per operation. The pool arms a keep-alive timer (30 s) and, above its
        // minimum, an idle timer (60 s) each time a connection goes back idle, and cancels them
        // at the next lease; a cancelled `Task.sleep` keeps its task and Dispatch timer until
        // its deadline (swiftlang/swift#60441), so at 2,500 operations/s the pinned timers held
        // about 64 KB per operation/s: 135 MB in a soak, rising and falling with the rate
        // (jemalloc heap profile, docs/faults-and-soak.md, "Soak"). Every connection is a
        // minimum connection (opened at start, never idled out) and keep-alive is off: a
        // connection the server dropped fails its next operation within the deadline
        // (unavailable, fail closed) and the pool replaces it.
        configuration.options.minimumConnections = max(1, maxConnections)
        configuration.options.keepAliveBehavior = nil
        configuration.options.connectTimeout = .seconds(max(1, Int64(min(3600, max(0, operationTimeout)).rounded(.up))))
        // Prepared statements name the table without its schema (see PreparedStatements.swift).
        configuration.options.additionalStartupParameters = [("search_path", schema)]
        try self.init(client: PostgresClient(configuration: configuration), schema: schema, operationTimeout: operationTimeout,
                      poolSize: max(1, maxConnections))
    }

    /// A store on a client the caller runs (its `ServiceGroup` runs `client`, not this store).
    /// - Parameter poolSize: the client's connections, when known (``StoreStatistics/poolSize``).
    /// - Throws: ``StoreError`` `.unavailable` if the schema or timeout is malformed.
    public init(client: PostgresClient, schema: String = "tokenbench", operationTimeout: Double = 2, poolSize: Int? = nil) throws(StoreError) {
        try Self.checkSchema(schema)
        guard operationTimeout > 0, operationTimeout <= 3600 else {
            throw StoreError(.unavailable, "postgres: operation timeout must be more than 0 s and at most 1 h")
        }
        self.statistics = StoreStatistics(poolSize: poolSize)
        self.client = client
        self.schema = schema
        self.table = "\(schema).refresh_families"
        self.operationTimeout = operationTimeout
    }

    /// Runs the store's client until graceful shutdown or cancellation (a `Service` of
    /// swift-service-lifecycle, as `PostgresClient` is). Operations wait until it runs.
    public func run() async {
        await client.run()
    }

    /// Checks that the server answers within one operation's deadline, then creates or migrates
    /// the schema. Needs ``run()`` running.
    /// - Throws: ``StoreError`` `.unavailable` if the server cannot be reached within the deadline.
    public func prepare() async throws(StoreError) {
        _ = try await run("connect") { client in try await client.query("SELECT 1", logger: Self.noLog) }
        try await migrate()
    }

    /// Runs `body` with a prepared store whose client runs in a child task for as long as `body`
    /// does (structured concurrency, for callers without a `ServiceGroup`: a command, a test).
    /// - Parameters: as ``init(url:schema:maxConnections:operationTimeout:)``.
    /// - Throws: ``StoreError`` `.unavailable` when the store cannot be made or reached; what
    ///   `body` throws.
    public static func withStore<R: Sendable>(
        url: String, schema: String = "tokenbench", maxConnections: Int = 16, operationTimeout: Double = 2,
        _ body: (PostgresRefreshTokenStore) async throws -> R
    ) async throws -> R {
        let store = try PostgresRefreshTokenStore(url: url, schema: schema, maxConnections: maxConnections, operationTimeout: operationTimeout)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            try await store.prepare()
            return try await body(store)
        }
    }

    static func checkSchema(_ schema: String) throws(StoreError) {
        guard let first = schema.unicodeScalars.first, first == "_" || ("a"..."z").contains(first),
              schema.unicodeScalars.allSatisfy({ $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }),
              schema.count <= 48 else {
            throw StoreError(.unavailable, "postgres schema: expected lower-case letters, digits and _ (got '\(schema)')")
        }
    }

    // MARK: Schema

    /// Current schema version; `migrate` brings older databases to it.
    static let schemaVersion = 1
    static let columns = "id, subject, client_id, created_at, expires_at, idle_expires_at, generation, current_digest, previous_digest, issued_at, revoked_at, revocation_reason"

    private func migrate() async throws(StoreError) {
        let schema = schema, table = table
        // Migration may wait for another process's (advisory lock) and creates tables: it gets
        // a longer deadline than one operation.
        try await run("migrate", deadline: max(30, operationTimeout)) { client in
            try await client.withTransaction(logger: Logger(label: "tokenauth.postgres", factory: { _ in SwiftLogNoOpLogHandler() })) { c in
                try await c.query("SELECT pg_advisory_xact_lock(hashtext(\(schema)))", logger: Self.noLog)
                try await c.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: schema)", logger: Self.noLog)
                try await c.query("CREATE TABLE IF NOT EXISTS \(unescaped: schema).schema_version (version INTEGER NOT NULL)", logger: Self.noLog)
                var current = 0
                for try await v in try await c.query("SELECT max(version) FROM \(unescaped: schema).schema_version", logger: Self.noLog).decode(Int?.self) {
                    current = v ?? 0
                }
                if current < 1 {
                    try await c.query("""
                        CREATE TABLE IF NOT EXISTS \(unescaped: table) (
                            id BYTEA PRIMARY KEY,
                            subject TEXT NOT NULL,
                            client_id TEXT,
                            created_at DOUBLE PRECISION NOT NULL,
                            expires_at DOUBLE PRECISION NOT NULL,
                            idle_expires_at DOUBLE PRECISION,
                            generation BIGINT NOT NULL,
                            current_digest BYTEA NOT NULL,
                            previous_digest BYTEA,
                            issued_at DOUBLE PRECISION NOT NULL,
                            revoked_at DOUBLE PRECISION,
                            revocation_reason TEXT
                        ) WITH (fillfactor = 80)
                        """, logger: Self.noLog)
                    try await c.query("CREATE INDEX IF NOT EXISTS refresh_families_live_subject ON \(unescaped: table) (subject) WHERE revoked_at IS NULL", logger: Self.noLog)
                    try await c.query("CREATE INDEX IF NOT EXISTS refresh_families_expires ON \(unescaped: table) (expires_at)", logger: Self.noLog)
                    try await c.query("INSERT INTO \(unescaped: schema).schema_version (version) VALUES (1)", logger: Self.noLog)
                }
            }
        }
    }

    static let noLog = Logger(label: "tokenauth.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    // MARK: RefreshTokenStore

    public func create(_ family: RefreshFamily) async throws(StoreError) {
        let table = table
        let inserted = try await run("create") { client in
            try await Self.count(client.query("""
                INSERT INTO \(unescaped: table) (\(unescaped: Self.columns))
                VALUES (\(Self.buffer(family.id.bytes)), \(family.subject), \(family.clientID), \(family.createdAt.timeIntervalSince1970),
                        \(family.expiresAt.timeIntervalSince1970), \(family.idleExpiresAt?.timeIntervalSince1970), \(Int64(family.generation)),
                        \(Self.buffer(family.currentDigest.bytes)), \(family.previousDigest.map { Self.buffer($0.bytes) }),
                        \(family.issuedAt.timeIntervalSince1970), \(family.revokedAt?.timeIntervalSince1970), \(family.revocationReason?.rawValue))
                ON CONFLICT (id) DO NOTHING RETURNING 1
                """, logger: Self.noLog))
        }
        if inserted == 0 { throw StoreError(.conflict, "family exists") }
    }

    public func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily? {
        return try await decodeFirst(run("lookup") { client in
            var out: [Row] = []
            for try await row in try await client.execute(LookupStatement(id: Self.buffer(id.bytes)), logger: Self.noLog) { out.append(row) }
            return out
        })
    }

    public func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome {
        let table = table
        let primitives = ConditionalRotation.Primitives(
            swap: { [self] r throws(StoreError) in
                let now = r.now.timeIntervalSince1970
                let statement = RotateStatement(
                    successor: Self.buffer(r.successorDigest.bytes), now: now, idleTimeout: r.idleTimeout,
                    id: Self.buffer(r.family.bytes), generation: Int64(r.presentedGeneration),
                    presented: Self.buffer(r.presentedDigest.bytes))
                return try await decodeFirst(run("rotate") { client in
                    var out: [Row] = []
                    for try await row in try await client.execute(statement, logger: Self.noLog) { out.append(row) }
                    return out
                })
            },
            read: { [self] id throws(StoreError) in try await family(id) },
            revokeForReuse: { [self] id, generation, now throws(StoreError) in
                try await decodeFirst(run("revoke") { client in
                    try await Self.rows(client.query("""
                        UPDATE \(unescaped: table) SET revoked_at = \(now.timeIntervalSince1970), revocation_reason = 'reuse'
                        WHERE id = \(Self.buffer(id.bytes)) AND revoked_at IS NULL AND generation = \(Int64(generation))
                        RETURNING \(unescaped: Self.columns)
                        """, logger: Self.noLog))
                })
            })
        let statistics = statistics
        return try await ConditionalRotation.rotate(request, primitives, onRetry: { statistics.countRetry() })
    }

    public func revoke(_ id: FamilyID, at now: Date, reason: RefreshFamily.RevocationReason) async throws(StoreError) -> Bool {
        let table = table
        return try await run("revoke") { client in
            try await Self.count(client.query("""
                UPDATE \(unescaped: table) SET revoked_at = \(now.timeIntervalSince1970), revocation_reason = \(reason.rawValue)
                WHERE id = \(Self.buffer(id.bytes)) AND revoked_at IS NULL RETURNING 1
                """, logger: Self.noLog))
        } > 0
    }

    public func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int {
        let table = table
        return try await run("revoke_all") { client in
            try await Self.count(client.query("""
                UPDATE \(unescaped: table) SET revoked_at = \(now.timeIntervalSince1970), revocation_reason = 'logout_all'
                WHERE id IN (SELECT id FROM \(unescaped: table) WHERE subject = \(subject) AND revoked_at IS NULL ORDER BY id FOR UPDATE)
                  AND revoked_at IS NULL
                RETURNING 1
                """, logger: Self.noLog))
        }
    }

    public func purgeExpired(asOf now: Date) async throws(StoreError) -> Int {
        let table = table
        return try await run("purge") { client in
            try await Self.count(client.query(
                "DELETE FROM \(unescaped: table) WHERE expires_at <= \(now.timeIntervalSince1970) RETURNING 1", logger: Self.noLog))
        }
    }

    /// Every stored family (diagnostics and tests; reads the whole table).
    public func allFamilies() async throws(StoreError) -> [RefreshFamily] {
        let table = table
        let rows = try await run("scan") { client in
            try await Self.rows(client.query("SELECT \(unescaped: Self.columns) FROM \(unescaped: table)", logger: Self.noLog))
        }
        var out: [RefreshFamily] = []
        for row in rows { out.append(try Self.decode(row)) }
        return out
    }

    /// Drops the store's schema and everything in it (tests).
    public func dropSchema() async throws(StoreError) {
        let schema = schema
        _ = try await run("drop") { client in
            try await client.query("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE", logger: Self.noLog)
        }
    }

    // MARK: Execution

    typealias Row = (ByteBuffer, String, String?, Double, Double, Double?, Int64, ByteBuffer, ByteBuffer?, Double, Double?, String?)

    static func rows(_ sequence: PostgresRowSequence) async throws -> [Row] {
        var out: [Row] = []
        for try await row in sequence.decode(Row.self) { out.append(row) }
        return out
    }

    static func count(_ sequence: PostgresRowSequence) async throws -> Int {
        var n = 0
        for try await _ in sequence { n += 1 }
        return n
    }

    private func decodeFirst(_ rows: [Row]) throws(StoreError) -> RefreshFamily? {
        guard let row = rows.first else { return nil }
        return try Self.decode(row)
    }

    /// Runs one operation with the deadline, retrying deadlocks and serialization failures.
    private func run<R: Sendable>(_ what: String, deadline: Double? = nil,
                                  _ body: @escaping @Sendable (PostgresClient) async throws -> R) async throws(StoreError) -> R {
        let client = client
        var attempt = 0
        while true {
            do {
                return try await withStoreDeadline(deadline ?? operationTimeout, "postgres \(what)") { try await body(client) }
            } catch let error as PSQLError where Self.isRetryable(error) && attempt < 5 {
                statistics.countSerializationFailure()
                statistics.countRetry()
                attempt += 1
            } catch let error as StoreError {
                if error.code == .unavailable { statistics.countUnavailable() }
                throw error
            } catch let error as PSQLError {
                statistics.countUnavailable()
                throw StoreError(.unavailable, "postgres \(what): \(Self.describe(error))")
            } catch {
                statistics.countUnavailable()
                throw StoreError(.unavailable, "postgres \(what): \(type(of: error))")
            }
        }
    }

    static func isRetryable(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    /// The error code and SQLSTATE, never the query or its binds (they hold digests).
    static func describe(_ error: PSQLError) -> String {
        if let state = error.serverInfo?[.sqlState] {
            return "\(error.code) (SQLSTATE \(state): \(error.serverInfo?[.message] ?? ""))"
        }
        return "\(error.code)"
    }

    static func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    static func decode(_ r: Row) throws(StoreError) -> RefreshFamily {
        func date(_ d: Double?) -> Date? { d.map { Date(timeIntervalSince1970: $0) } }
        guard let id = FamilyID(bytes: Array(r.0.readableBytesView)),
              r.6 >= 0,
              let current = TokenDigest(bytes: Array(r.7.readableBytesView)) else {
            throw StoreError(.corrupted, "postgres: malformed family row")
        }
        var previous: TokenDigest?
        if let p = r.8 {
            guard let d = TokenDigest(bytes: Array(p.readableBytesView)) else { throw StoreError(.corrupted, "postgres: malformed previous digest") }
            previous = d
        }
        var reason: RefreshFamily.RevocationReason?
        if let text = r.11 {
            guard let parsed = RefreshFamily.RevocationReason(rawValue: text) else { throw StoreError(.corrupted, "postgres: unknown revocation reason") }
            reason = parsed
        }
        return RefreshFamily(
            id: id, subject: r.1, clientID: r.2, createdAt: Date(timeIntervalSince1970: r.3),
            expiresAt: Date(timeIntervalSince1970: r.4), idleExpiresAt: date(r.5), generation: UInt64(r.6),
            currentDigest: current, previousDigest: previous, issuedAt: Date(timeIntervalSince1970: r.9),
            revokedAt: date(r.10), revocationReason: reason)
    }
}
