import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteNIO
import TokenAuth
import TokenPool

/// A ``RefreshTokenStore`` in an embedded SQLite database (vapor/sqlite-nio), in a file or in
/// memory.
///
/// - Files are opened in WAL mode (`journal_mode=WAL`, `synchronous=NORMAL`: a commit
///   survives a process crash; the last commits may be lost on power failure). One
///   connection writes (SQLite admits one writer at a time anyway: queueing writers here
///   instead of letting them collide on the write lock avoids busy storms); the others read,
///   beside the writer.
/// - Rotation is one statement, `UPDATE … WHERE <presented token is current and live>
///   RETURNING …` (see ``ConditionalRotation``); revocation, revoke-all and purge are one
///   statement each. SQLite serializes writers, so `revoke` and `rotate` of a family cannot
///   interleave.
/// - SQLite's own busy handler is disabled (`busy_timeout=0`): an `SQLITE_BUSY` answer is
///   retried here with exponential back-off (50 µs doubling to 5 ms), at most
///   `maxBusyRetries` times, each retry and busy answer counted in ``statistics``; past the
///   bound the operation throws ``StoreError/Code/unavailable``.
/// - Blocking SQLite calls run on a dedicated `NIOThreadPool`, never on Swift's cooperative
///   pool.
public final class SQLiteRefreshTokenStore: RefreshTokenStore, StoreStatisticsReporting, Sendable {
    /// Where the database lives.
    public enum Location: Sendable, Hashable {
        /// A private in-memory database (one connection; gone when the store closes).
        case memory
        /// A database file, created if missing.
        case file(String)
    }

    public let statistics: StoreStatistics
    private let writer: ConnectionPool<SQLiteConnection>
    private let readers: ConnectionPool<SQLiteConnection>
    private let all: [SQLiteConnection]
    private let threadPool: NIOThreadPool
    private let maxBusyRetries: Int

    private init(connections: [SQLiteConnection], threadPool: NIOThreadPool, maxBusyRetries: Int,
                 statistics: StoreStatistics) {
        self.statistics = statistics
        self.all = connections
        self.writer = ConnectionPool([connections[0]], onWait: statistics.countPoolWait)
        self.readers = ConnectionPool(connections.count > 1 ? Array(connections.dropFirst()) : [connections[0]], onWait: statistics.countPoolWait)
        self.threadPool = threadPool
        self.maxBusyRetries = maxBusyRetries
    }

    /// Opens (and creates or migrates) the database.
    /// - Parameters:
    ///   - location: file path or memory.
    ///   - connections: connections for a file: one writer, the rest readers (default 4, at
    ///     least 1; memory always uses 1 for both).
    ///   - maxBusyRetries: retries of one statement answered `SQLITE_BUSY` (default 100).
    /// - Throws: ``StoreError`` `.unavailable` when the file cannot be opened or is not a
    ///   database this store can use.
    public static func open(_ location: Location, connections: Int = 4, maxBusyRetries: Int = 100,
                            logger: Logger = Logger(label: "tokenauth.sqlite", factory: { _ in SwiftLogNoOpLogHandler() }))
        async throws(StoreError) -> SQLiteRefreshTokenStore {
        let count: Int
        let storage: SQLiteConnection.Storage
        switch location {
        case .memory:
            count = 1
            storage = .memory
        case .file(let path):
            count = max(1, connections)
            storage = .file(path: path)
        }
        let threadPool = NIOThreadPool(numberOfThreads: count)
        threadPool.start()
        var opened: [SQLiteConnection] = []
        do {
            for i in 0..<count {
                let c = try await SQLiteConnection.open(
                    storage: storage, threadPool: threadPool, logger: logger,
                    on: MultiThreadedEventLoopGroup.singleton.any())
                opened.append(c)
                _ = try await c.query("PRAGMA busy_timeout = 0")
                if case .file = location {
                    if i == 0 { _ = try await c.query("PRAGMA journal_mode = WAL") }
                    _ = try await c.query("PRAGMA synchronous = NORMAL")
                }
            }
        } catch {
            for c in opened { try? await c.close() }
            try? await threadPool.shutdownGracefully()
            throw StoreError(.unavailable, "sqlite: cannot open \(location): \(Self.describe(error))")
        }
        let statistics = StoreStatistics(poolSize: opened.count)
        let store = SQLiteRefreshTokenStore(
            connections: opened, threadPool: threadPool,
            maxBusyRetries: max(0, maxBusyRetries), statistics: statistics)
        do {
            try await store.migrate()
        } catch {
            // Not a database this store can use: close what was opened (AddressSanitizer's leak
            // check found the connections and threads of a refused file left open).
            await store.close()
            throw error
        }
        return store
    }

    /// Closes every connection and stops the store's threads. The store is unusable afterwards.
    public func close() async {
        for c in all { try? await c.close() }
        try? await threadPool.shutdownGracefully()
    }

    // MARK: Schema

    static let columns = "id, subject, client_id, created_at, expires_at, idle_expires_at, generation, current_digest, previous_digest, issued_at, revoked_at, revocation_reason"

    private func migrate() async throws(StoreError) {
        _ = try await execute("""
            CREATE TABLE IF NOT EXISTS refresh_families (
                id BLOB PRIMARY KEY NOT NULL,
                subject TEXT NOT NULL,
                client_id TEXT,
                created_at REAL NOT NULL,
                expires_at REAL NOT NULL,
                idle_expires_at REAL,
                generation INTEGER NOT NULL,
                current_digest BLOB NOT NULL,
                previous_digest BLOB,
                issued_at REAL NOT NULL,
                revoked_at REAL,
                revocation_reason TEXT
            ) WITHOUT ROWID
            """)
        _ = try await execute("CREATE INDEX IF NOT EXISTS refresh_families_subject ON refresh_families (subject) WHERE revoked_at IS NULL")
        _ = try await execute("CREATE INDEX IF NOT EXISTS refresh_families_expires ON refresh_families (expires_at)")
    }

    // MARK: RefreshTokenStore

    public func create(_ family: RefreshFamily) async throws(StoreError) {
        let rows = try await execute(
            "INSERT INTO refresh_families (\(Self.columns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (id) DO NOTHING RETURNING id",
            [Self.blob(family.id.bytes), .text(family.subject), family.clientID.map { .text($0) } ?? .null,
             .float(family.createdAt.timeIntervalSince1970), .float(family.expiresAt.timeIntervalSince1970),
             family.idleExpiresAt.map { .float($0.timeIntervalSince1970) } ?? .null,
             .integer(Int(family.generation)), Self.blob(family.currentDigest.bytes),
             family.previousDigest.map { Self.blob($0.bytes) } ?? .null,
             .float(family.issuedAt.timeIntervalSince1970),
             family.revokedAt.map { .float($0.timeIntervalSince1970) } ?? .null,
             family.revocationReason.map { .text($0.rawValue) } ?? .null])
        if rows.isEmpty { throw StoreError(.conflict, "family exists") }
    }

    public func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily? {
        let rows = try await execute("SELECT \(Self.columns) FROM refresh_families WHERE id = ?1", [Self.blob(id.bytes)], read: true)
        return try rows.first.map(Self.decode)
    }

    public func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome {
        let primitives = ConditionalRotation.Primitives(
            swap: { [self] r throws(StoreError) in
                let now = r.now.timeIntervalSince1970
                let rows = try await execute("""
                    UPDATE refresh_families
                    SET generation = generation + 1, previous_digest = current_digest, current_digest = ?1, issued_at = ?2,
                        idle_expires_at = CASE WHEN ?3 IS NULL THEN idle_expires_at ELSE min(expires_at, ?2 + ?3) END
                    WHERE id = ?4 AND revoked_at IS NULL AND expires_at > ?2
                      AND (idle_expires_at IS NULL OR idle_expires_at > ?2)
                      AND generation = ?5 AND current_digest = ?6
                    RETURNING \(Self.columns)
                    """,
                    [Self.blob(r.successorDigest.bytes), .float(now), r.idleTimeout.map { .float($0) } ?? .null,
                     Self.blob(r.family.bytes), .integer(Int(r.presentedGeneration)), Self.blob(r.presentedDigest.bytes)])
                return try rows.first.map(Self.decode)
            },
            read: { [self] id throws(StoreError) in try await family(id) },
            revokeForReuse: { [self] id, generation, now throws(StoreError) in
                let rows = try await execute("""
                    UPDATE refresh_families SET revoked_at = ?1, revocation_reason = 'reuse'
                    WHERE id = ?2 AND revoked_at IS NULL AND generation = ?3
                    RETURNING \(Self.columns)
                    """, [.float(now.timeIntervalSince1970), Self.blob(id.bytes), .integer(Int(generation))])
                return try rows.first.map(Self.decode)
            })
        let statistics = statistics
        return try await ConditionalRotation.rotate(request, primitives, onRetry: { statistics.countRetry() })
    }

    public func revoke(_ id: FamilyID, at now: Date, reason: RefreshFamily.RevocationReason) async throws(StoreError) -> Bool {
        let rows = try await execute(
            "UPDATE refresh_families SET revoked_at = ?1, revocation_reason = ?2 WHERE id = ?3 AND revoked_at IS NULL RETURNING id",
            [.float(now.timeIntervalSince1970), .text(reason.rawValue), Self.blob(id.bytes)])
        return !rows.isEmpty
    }

    public func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int {
        let rows = try await execute(
            "UPDATE refresh_families SET revoked_at = ?1, revocation_reason = 'logout_all' WHERE subject = ?2 AND revoked_at IS NULL RETURNING id",
            [.float(now.timeIntervalSince1970), .text(subject)])
        return rows.count
    }

    public func purgeExpired(asOf now: Date) async throws(StoreError) -> Int {
        let rows = try await execute("DELETE FROM refresh_families WHERE expires_at <= ?1 RETURNING id",
                                     [.float(now.timeIntervalSince1970)])
        return rows.count
    }

    /// Every stored family (diagnostics and tests; reads the whole table).
    public func allFamilies() async throws(StoreError) -> [RefreshFamily] {
        try await execute("SELECT \(Self.columns) FROM refresh_families", read: true).map(Self.decode)
    }

    // MARK: Execution

    /// Runs one statement on the writer (`read: false`) or a reader connection, retrying
    /// `SQLITE_BUSY` with back-off.
    private func execute(_ sql: String, _ binds: [SQLiteData] = [], read: Bool = false) async throws(StoreError) -> [SQLiteRow] {
        let pool = read ? readers : writer
        var attempt = 0
        while true {
            do {
                return try await pool.withConnection(failure: { $0 }) { c in try await c.query(sql, binds) }
            } catch let error as SQLiteError where Self.isBusy(error) {
                statistics.countBusy()
                guard attempt < maxBusyRetries else {
                    statistics.countUnavailable()
                    throw StoreError(.unavailable, "sqlite: still busy after \(attempt) retries")
                }
                statistics.countRetry()
                let delay = UInt64(50_000) << UInt64(min(attempt, 7)) // 50 µs … 6.4 ms
                attempt += 1
                try? await Task.sleep(nanoseconds: min(delay, 5_000_000))
            } catch {
                statistics.countUnavailable()
                throw StoreError(.unavailable, "sqlite: \(Self.describe(error))")
            }
        }
    }

    static func isBusy(_ error: SQLiteError) -> Bool {
        switch error.reason {
        case .busy, .busyInRecovery, .busyInSnapshot, .busyTimeout, .locked, .lockedBySharedCache: true
        default: false
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? SQLiteError { return "\(e.reason) (\(e.message))" }
        return String(describing: type(of: error))
    }

    static func blob(_ bytes: [UInt8]) -> SQLiteData { .blob(ByteBuffer(bytes: bytes)) }

    static func bytes(_ data: SQLiteData?) -> [UInt8]? {
        guard let data, case .blob(let buffer) = data else { return nil }
        return Array(buffer.readableBytesView)
    }

    static func date(_ data: SQLiteData?) -> Date? {
        guard let data, !data.isNull, let d = data.double else { return nil }
        return Date(timeIntervalSince1970: d)
    }

    /// A row of `columns` as a family.
    /// - Throws: ``StoreError`` `.corrupted` when a column is missing or malformed.
    static func decode(_ row: SQLiteRow) throws(StoreError) -> RefreshFamily {
        let values = row.columns.map(\.data)
        guard values.count == 12,
              let idBytes = bytes(values[0]), let id = FamilyID(bytes: idBytes),
              let subject = values[1].string,
              let createdAt = date(values[3]), let expiresAt = date(values[4]),
              let generation = values[6].integer, generation >= 0,
              let currentBytes = bytes(values[7]), let current = TokenDigest(bytes: currentBytes),
              let issuedAt = date(values[9])
        else { throw StoreError(.corrupted, "sqlite: malformed family row") }
        let previous: TokenDigest?
        if values[8].isNull { previous = nil } else {
            guard let b = bytes(values[8]), let d = TokenDigest(bytes: b) else {
                throw StoreError(.corrupted, "sqlite: malformed previous digest")
            }
            previous = d
        }
        let reason: RefreshFamily.RevocationReason?
        if values[11].isNull { reason = nil } else {
            guard let text = values[11].string, let r = RefreshFamily.RevocationReason(rawValue: text) else {
                throw StoreError(.corrupted, "sqlite: unknown revocation reason")
            }
            reason = r
        }
        return RefreshFamily(
            id: id, subject: subject, clientID: values[2].isNull ? nil : values[2].string,
            createdAt: createdAt, expiresAt: expiresAt, idleExpiresAt: date(values[5]),
            generation: UInt64(generation), currentDigest: current, previousDigest: previous,
            issuedAt: issuedAt, revokedAt: date(values[10]), revocationReason: reason)
    }
}
