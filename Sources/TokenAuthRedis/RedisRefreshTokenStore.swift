import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TokenAuth
import TokenPool

/// A ``RefreshTokenStore`` in Redis, through Debian's libhiredis.
///
/// - **Keys.** A family is one string at `PREFIX f:<sid>` (``FamilyRecord``: a binary head
///   the scripts rewrite, then subject and client id); a user's families are a set at
///   `PREFIX u:<subject>`. Digests only, never a token.
/// - **Atomicity.** Every write is one Lua script (`EVALSHA`, loaded again on `NOSCRIPT`):
///   create, the rotation compare-and-swap with the rules of ``RefreshFamily/decide(_:)``,
///   revoke and revoke-all. A lookup is one `GET`. Redis runs a script alone, so
///   `rotate` and `revoke` of a family serialize.
/// - **Expiry (case X3).** A family's hash gets a TTL equal to its remaining life when it
///   is created, and no later write sets it again (`SET … KEEPTTL`), so it is never
///   shortened. The user's set gets a TTL no shorter than the longest family in it: a script
///   raises it, never lowers it. ``purgeExpired(asOf:)`` has nothing to do and returns 0.
/// - **Failure.** An unreachable server, a timeout (`operationTimeout`, default 2 s) or a
///   broken connection is ``StoreError/Code/unavailable``, never a "valid"; the next
///   operation reconnects. A command is not sent twice once it may have reached the server.
/// - **I/O.** SwiftNIO connections on an event loop (no thread ever blocks on Redis);
///   hiredis encodes the commands and parses the replies. A fixed pool of connections, one
///   operation per connection at a time.
/// - Single Redis node: the revoke-all script names keys it computes, which Redis Cluster does
///   not allow; ``RedisClusterRefreshTokenStore`` is the store for a cluster.
public final class RedisRefreshTokenStore: RefreshTokenStore, StoreStatisticsReporting, Sendable {
    public let statistics: StoreStatistics
    /// One pool per event loop: an operation that runs on an event loop (a task with that
    /// loop as its executor preference) uses connections of its own loop, with no thread hop.
    private let pools: [ConnectionPool<RedisConnection>]
    private let poolIndex: [ObjectIdentifier: Int]
    private let nextPool = Atomic<Int>(0)
    private let prefix: String
    private let scripts = RedisScriptCache()

    /// Where the server is: `redis://HOST[:PORT][/N]`.
    public struct Endpoint: Sendable, Hashable {
        public var host: String, port: Int, database: Int

        /// - Throws: ``StoreError`` `.unavailable` naming what is wrong with the URL.
        public init(url: String) throws(StoreError) {
            guard let c = URLComponents(string: url), c.scheme == "redis", let host = c.host, !host.isEmpty else {
                throw StoreError(.unavailable, "expected redis://HOST[:PORT][/N]")
            }
            let path = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
            guard path.isEmpty || (Int(path).map { (0...15).contains($0) } ?? false) else {
                throw StoreError(.unavailable, "redis URL: expected a database number 0 … 15 after the host (got '\(path)')")
            }
            guard c.user == nil, c.password == nil else {
                throw StoreError(.unavailable, "redis URL: credentials are not supported")
            }
            self.host = host
            self.port = c.port ?? 6379
            self.database = Int(path) ?? 0
        }
    }

    /// Connects (one connection is opened at once, to fail early), loads the scripts.
    /// - Parameters:
    ///   - url: `redis://HOST[:PORT][/N]`.
    ///   - prefix: prefix of every key (default `tokenbench:`); distinct prefixes keep stores apart.
    ///   - connections: pooled connections (default 8).
    ///   - operationTimeout: connect and reply timeout, s (default 2; more than 0, at most 3600).
    ///     A rotation whose reply is lost to the timeout may still have been applied: keep the
    ///     service's grace window longer than this timeout plus the client's retry delay, so that
    ///     the retry is a grace replay and not a reuse.
    /// - Throws: ``StoreError`` `.unavailable` if the URL is malformed or the server cannot be reached.
    public static func connect(_ url: String, prefix: String = "tokenbench:", connections: Int = 8,
                               operationTimeout: Double = 2) async throws(StoreError) -> RedisRefreshTokenStore {
        let endpoint = try Endpoint(url: url)
        guard operationTimeout > 0, operationTimeout <= 3600 else {
            throw StoreError(.unavailable, "redis: operation timeout must be more than 0 s and at most 1 h")
        }
        let count = max(1, connections)
        let statistics = StoreStatistics(poolSize: count)
        let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        let used = Array(loops.prefix(count))
        let pools = used.indices.map { i in
            let share = (count - i + used.count - 1) / used.count // connections spread evenly over the loops
            return ConnectionPool((0..<share).map { _ in
                RedisConnection(host: endpoint.host, port: endpoint.port, database: endpoint.database, timeout: operationTimeout,
                                statistics: statistics, group: used[i])
            }, onWait: statistics.countPoolWait)
        }
        let index = Dictionary(uniqueKeysWithValues: used.enumerated().map { (ObjectIdentifier($1 as AnyObject), $0) })
        let store = RedisRefreshTokenStore(statistics: statistics, pools: pools, poolIndex: index, prefix: prefix)
        do throws(StoreError) {
            _ = try await store.call([Array("PING".utf8)])
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    private init(statistics: StoreStatistics, pools: [ConnectionPool<RedisConnection>], poolIndex: [ObjectIdentifier: Int],
                 prefix: String) {
        self.statistics = statistics
        self.pools = pools
        self.poolIndex = poolIndex
        self.prefix = prefix
    }

    /// Closes the connections.
    public func close() async {
        for pool in pools { for c in pool.initial { c.disconnect() } }
    }

    // MARK: Keys

    func familyKey(_ id: FamilyID) -> [UInt8] { Array("\(prefix)f:\(id.string)".utf8) }
    func subjectKey(_ subject: String) -> [UInt8] { Array("\(prefix)u:\(subject)".utf8) }

    // MARK: RefreshTokenStore

    public func create(_ family: RefreshFamily) async throws(StoreError) {
        try RedisFamilyCommands.checkCreated(try await script(
            .create, keys: [familyKey(family.id), subjectKey(family.subject)],
            arguments: [RedisFamilyCommands.lifetimeMilliseconds(family), Array(family.id.string.utf8), FamilyRecord.encode(family)]))
    }

    public func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily? {
        try RedisFamilyCommands.family(id, from: try await call([RedisFamilyCommands.getCommand, familyKey(id)]))
    }

    public func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome {
        let reply = try await script(.rotate, keys: [familyKey(request.family)], arguments: RedisFamilyCommands.rotateArguments(request))
        return try RedisFamilyCommands.rotationOutcome(request.family, from: reply)
    }

    public func revoke(_ id: FamilyID, at now: Date, reason: RefreshFamily.RevocationReason) async throws(StoreError) -> Bool {
        let reply = try await script(.revoke, keys: [familyKey(id)], arguments: RedisFamilyCommands.revokeArguments(at: now, reason: reason))
        return try RedisFamilyCommands.revokeResult(reply) == 1
    }

    public func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int {
        let reply = try await script(.revokeAll, keys: [subjectKey(subject)],
                                     arguments: [RedisFamilyCommands.time(now), Array("\(prefix)f:".utf8)])
        return Int(try RedisFamilyCommands.integer(reply, "revoke-all"))
    }

    /// Redis deletes a family when its TTL (its remaining life) runs out; nothing to purge.
    public func purgeExpired(asOf now: Date) async throws(StoreError) -> Int { 0 }

    /// When a family's key and its user's set expire, ms since 1970 (`PEXPIRETIME`, Redis ≥ 7:
    /// −2 no key, −1 no expiry). Absolute times, so two reads compare exactly. For case X3.
    public func expiryTimes(_ id: FamilyID, subject: String) async throws(StoreError) -> (family: Int64, subject: Int64) {
        let f = try RedisFamilyCommands.integer(try await call([RedisFamilyCommands.pexpiretimeCommand, familyKey(id)]), "PEXPIRETIME")
        let s = try RedisFamilyCommands.integer(try await call([RedisFamilyCommands.pexpiretimeCommand, subjectKey(subject)]), "PEXPIRETIME")
        return (f, s)
    }

    /// Deletes every key of this store's prefix (tests).
    public func deleteAll() async throws(StoreError) {
        _ = try await call([Array("EVAL".utf8), Array(RedisFamilyCommands.deleteByPattern.utf8), Array("0".utf8), Array(prefix.utf8)])
    }

    // MARK: Commands

    /// Runs a script by its SHA-1, loading it first if this server does not know it.
    private func script(_ s: RedisScript, keys: [[UInt8]], arguments: [[UInt8]]) async throws(StoreError) -> RedisReply {
        let reply = try await scripts.evaluate(s, keys: keys, arguments: arguments, statistics: statistics) { command throws(StoreError) in
            try await call(command, errorsAsReplies: true)
        }
        if case .error(let message) = reply {
            statistics.countUnavailable()
            throw StoreError(.unavailable, "redis script: \(message.prefix(80))")
        }
        return reply
    }

    /// The pool of the event loop this task runs on, or the next one in turn.
    private func pool() -> ConnectionPool<RedisConnection> {
        if pools.count > 1, let loop = MultiThreadedEventLoopGroup.currentEventLoop,
           let i = poolIndex[ObjectIdentifier(loop as AnyObject)] {
            return pools[i]
        }
        return pools[nextPool.wrappingAdd(1, ordering: .relaxed).oldValue % pools.count]
    }

    /// One command on a pooled connection. An error reply (`-LOADING`, `-READONLY`, `-OOM`, …)
    /// is `.unavailable` unless the caller handles error replies itself (`EVALSHA`'s `NOSCRIPT`).
    private func call(_ arguments: [[UInt8]], errorsAsReplies: Bool = false) async throws(StoreError) -> RedisReply {
        do throws(StoreError) {
            let reply = try await pool().withConnection(failure: { StoreError(.unavailable, "redis: \($0)") }) { connection throws(StoreError) in try await connection.command(arguments) }
            if !errorsAsReplies, case .error(let message) = reply {
                throw StoreError(.unavailable, "redis: \(message.prefix(80))")
            }
            return reply
        } catch {
            if error.code == .unavailable { statistics.countUnavailable() }
            throw error
        }
    }
}
