import NIOCore
import PostgresNIO

// The hot statements as server-side prepared statements: parsed and planned once per
// connection, then only bound and executed. Unqualified table names: each store's
// connections set `search_path` to the store's schema at start-up.

/// The rotation compare-and-swap (see ``ConditionalRotation``).
struct RotateStatement: PostgresPreparedStatement {
    typealias Row = PostgresRefreshTokenStore.Row
    static let sql = """
        UPDATE refresh_families
        SET generation = generation + 1, previous_digest = current_digest, current_digest = $1, issued_at = $2,
            idle_expires_at = CASE WHEN $3::double precision IS NULL THEN idle_expires_at
                                   ELSE LEAST(expires_at, $2 + $3::double precision) END
        WHERE id = $4 AND revoked_at IS NULL AND expires_at > $2
          AND (idle_expires_at IS NULL OR idle_expires_at > $2)
          AND generation = $5 AND current_digest = $6
        RETURNING \(PostgresRefreshTokenStore.columns)
        """

    var successor: ByteBuffer
    var now: Double
    var idleTimeout: Double?
    var id: ByteBuffer
    var generation: Int64
    var presented: ByteBuffer

    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings(capacity: 6)
        b.append(successor)
        b.append(now)
        b.append(idleTimeout)
        b.append(id)
        b.append(generation)
        b.append(presented)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// A family by id (lookup; the session check of every resource call).
struct LookupStatement: PostgresPreparedStatement {
    typealias Row = PostgresRefreshTokenStore.Row
    static let sql = "SELECT \(PostgresRefreshTokenStore.columns) FROM refresh_families WHERE id = $1"

    var id: ByteBuffer

    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings(capacity: 1)
        b.append(id)
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
