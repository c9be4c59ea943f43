import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TokenAuth

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
/// - Single Redis node: the scripts name keys they compute (revoke-all), which Redis Cluster
///   does not allow.
public final class RedisRefreshTokenStore: RefreshTokenStore, StoreStatisticsReporting, Sendable {
    public let statistics: StoreStatistics
    /// One pool per event loop: an operation that runs on an event loop (a task with that
    /// loop as its executor preference) uses connections of its own loop, with no thread hop.
    private let pools: [ConnectionPool<RedisConnection>]
    private let poolIndex: [ObjectIdentifier: Int]
    private let nextPool = Atomic<Int>(0)
    private let prefix: String
    private let shas: Mutex<[Script: [UInt8]]>

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
        let statistics = StoreStatistics()
        let count = max(1, connections)
        let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        let used = Array(loops.prefix(count))
        let pools = used.indices.map { i in
            let share = (count - i + used.count - 1) / used.count // connections spread evenly over the loops
            return ConnectionPool((0..<share).map { _ in
                RedisConnection(host: endpoint.host, port: endpoint.port, database: endpoint.database, timeout: operationTimeout,
                                statistics: statistics, group: used[i])
            }, statistics: statistics)
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
        self.shas = Mutex([:])
    }

    /// Closes the connections.
    public func close() async {
        for pool in pools { for c in pool.all { c.disconnect() } }
    }

    // MARK: Keys and fields

    /// Command names of the hot path, encoded once.
    static let getCommand = Array("GET".utf8), evalshaCommand = Array("EVALSHA".utf8)

    func familyKey(_ id: FamilyID) -> [UInt8] { Array("\(prefix)f:\(id.string)".utf8) }
    func subjectKey(_ subject: String) -> [UInt8] { Array("\(prefix)u:\(subject)".utf8) }

    /// Time as text: the shortest decimal that reads back to the same `Double` (Swift's
    /// `description`), seconds since 1970.
    static func time(_ date: Date) -> [UInt8] { Array(date.timeIntervalSince1970.description.utf8) }

    // MARK: RefreshTokenStore

    public func create(_ family: RefreshFamily) async throws(StoreError) {
        let ttl = max(1, Int((family.expiresAt.timeIntervalSince(family.createdAt) * 1000).rounded(.up)))
        let reply = try await script(.create, keys: [familyKey(family.id), subjectKey(family.subject)],
                                     arguments: [Array(String(ttl).utf8), Array(family.id.string.utf8), FamilyRecord.encode(family)])
        guard case .integer(let created) = reply else { throw StoreError(.corrupted, "redis create: unexpected reply") }
        if created == 0 { throw StoreError(.conflict, "family exists") }
    }

    public func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily? {
        switch try await call([Self.getCommand, familyKey(id)]) {
        case .null: return nil
        case .string(let record): return try FamilyRecord.decode(id, record)
        default: throw StoreError(.corrupted, "redis lookup: unexpected reply")
        }
    }

    public func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome {
        let idleCandidate = request.idleTimeout.map { Self.time(request.now.addingTimeInterval($0)) } ?? []
        let reply = try await script(.rotate, keys: [familyKey(request.family)], arguments: [
            Self.time(request.now), Array(String(request.presentedGeneration).utf8), request.presentedDigest.bytes,
            request.successorDigest.bytes, Array(request.graceWindow.description.utf8), idleCandidate,
        ])
        guard case .array(let items) = reply, let first = items.first?.bytes else {
            throw StoreError(.corrupted, "redis rotate: unexpected reply")
        }
        let decision = String(decoding: first, as: UTF8.self)
        switch decision {
        case "notfound": return .notFound
        case "mismatch": return .mismatch
        default: break
        }
        guard items.count == 2, let record = items[1].bytes else { throw StoreError(.corrupted, "redis rotate: unexpected reply") }
        let family = try FamilyRecord.decode(request.family, record)
        switch decision {
        case "rotate": return .rotated(family)
        case "grace": return .graceReplay(family)
        case "reuse": return .reuseDetected(family)
        case "revoked": return .revoked(family)
        case "expired": return .expired(family)
        default: throw StoreError(.corrupted, "redis rotate: unknown decision")
        }
    }

    public func revoke(_ id: FamilyID, at now: Date, reason: RefreshFamily.RevocationReason) async throws(StoreError) -> Bool {
        let reply = try await script(.revoke, keys: [familyKey(id)],
                                     arguments: [Self.time(now), Array(String(FamilyRecord.reasonCode(reason)).utf8)])
        guard case .integer(let n) = reply else { throw StoreError(.corrupted, "redis revoke: unexpected reply") }
        return n == 1
    }

    public func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int {
        let reply = try await script(.revokeAll, keys: [subjectKey(subject)], arguments: [Self.time(now), Array("\(prefix)f:".utf8)])
        guard case .integer(let n) = reply else { throw StoreError(.corrupted, "redis revoke-all: unexpected reply") }
        return Int(n)
    }

    /// Redis deletes a family when its TTL (its remaining life) runs out; nothing to purge.
    public func purgeExpired(asOf now: Date) async throws(StoreError) -> Int { 0 }

    /// When a family's key and its user's set expire, ms since 1970 (`PEXPIRETIME`, Redis ≥ 7:
    /// −2 no key, −1 no expiry). Absolute times, so two reads compare exactly. For case X3.
    public func expiryTimes(_ id: FamilyID, subject: String) async throws(StoreError) -> (family: Int64, subject: Int64) {
        guard case .integer(let f) = try await call([Array("PEXPIRETIME".utf8), familyKey(id)]),
              case .integer(let s) = try await call([Array("PEXPIRETIME".utf8), subjectKey(subject)]) else {
            throw StoreError(.corrupted, "redis PEXPIRETIME: unexpected reply")
        }
        return (f, s)
    }

    /// Deletes every key of this store's prefix (tests).
    public func deleteAll() async throws(StoreError) {
        _ = try await call([Array("EVAL".utf8), Array("""
            local n = 0
            for _, k in ipairs(redis.call('KEYS', ARGV[1] .. '*')) do redis.call('DEL', k); n = n + 1 end
            return n
            """.utf8), Array("0".utf8), Array(prefix.utf8)])
    }

    // MARK: Scripts

    enum Script: CaseIterable {
        case create, rotate, revoke, revokeAll

        var source: String {
            // `F` is FamilyRecord.luaFormat; the tail (subject, client id) starts at byte 116.
            let head = "local F = '\(FamilyRecord.luaFormat)'\n"
            switch self {
            case .create: return """
                if not redis.call('SET', KEYS[1], ARGV[3], 'NX', 'PX', ARGV[1]) then return 0 end
                redis.call('SADD', KEYS[2], ARGV[2])
                local t = redis.call('PTTL', KEYS[2])
                if t < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
                return 1
                """
            // The rules of RefreshFamily.decide, in order; the reply is the decision and the
            // record after the step. SET … KEEPTTL never touches the key's expiry.
            case .rotate: return head + """
                local v = redis.call('GET', KEYS[1])
                if not v then return {'notfound'} end
                local ver, flags, ca, ea, ia, is, ra, g, cd, pd, rr = struct.unpack(F, v)
                local now = tonumber(ARGV[1])
                if bit.band(flags, 4) ~= 0 then return {'revoked', v} end
                if now >= ea or (bit.band(flags, 2) ~= 0 and now >= ia) then return {'expired', v} end
                local pg = tonumber(ARGV[2])
                if pg == g then
                  if ARGV[3] ~= cd then return {'mismatch'} end
                  flags = bit.bor(flags, 1)
                  if ARGV[6] ~= '' then
                    ia = tonumber(ARGV[6])
                    if ia > ea then ia = ea end
                    flags = bit.bor(flags, 2)
                  end
                  local nv = struct.pack(F, ver, flags, ca, ea, ia, now, ra, g + 1, ARGV[4], cd, rr) .. string.sub(v, 116)
                  redis.call('SET', KEYS[1], nv, 'KEEPTTL')
                  return {'rotate', nv}
                elseif pg < g then
                  if pg == g - 1 and bit.band(flags, 1) ~= 0 and pd == ARGV[3] and now - is < tonumber(ARGV[5]) then
                    return {'grace', v}
                  end
                  local nv = struct.pack(F, ver, bit.bor(flags, 4), ca, ea, ia, is, now, g, cd, pd, 3) .. string.sub(v, 116)
                  redis.call('SET', KEYS[1], nv, 'KEEPTTL')
                  return {'reuse', nv}
                end
                return {'mismatch'}
                """
            case .revoke: return head + """
                local v = redis.call('GET', KEYS[1])
                if not v then return 0 end
                local ver, flags, ca, ea, ia, is, ra, g, cd, pd, rr = struct.unpack(F, v)
                if bit.band(flags, 4) ~= 0 then return 0 end
                local nv = struct.pack(F, ver, bit.bor(flags, 4), ca, ea, ia, is, tonumber(ARGV[1]), g, cd, pd, tonumber(ARGV[2]))
                redis.call('SET', KEYS[1], nv .. string.sub(v, 116), 'KEEPTTL')
                return 1
                """
            case .revokeAll: return head + """
                local n = 0
                for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
                  local key = ARGV[2] .. id
                  local v = redis.call('GET', key)
                  if not v then
                    redis.call('SREM', KEYS[1], id)
                  else
                    local ver, flags, ca, ea, ia, is, ra, g, cd, pd, rr = struct.unpack(F, v)
                    if bit.band(flags, 4) == 0 then
                      local nv = struct.pack(F, ver, bit.bor(flags, 4), ca, ea, ia, is, tonumber(ARGV[1]), g, cd, pd, 2)
                      redis.call('SET', key, nv .. string.sub(v, 116), 'KEEPTTL')
                      n = n + 1
                    end
                  end
                end
                return n
                """
            }
        }
    }

    /// Runs a script by its SHA-1, loading it first if this server does not know it.
    private func script(_ s: Script, keys: [[UInt8]], arguments: [[UInt8]]) async throws(StoreError) -> RedisReply {
        for attempt in 0..<2 {
            let sha: [UInt8]
            if let known = shas.withLock({ $0[s] }) { sha = known } else {
                guard case .string(let loaded) = try await call([Array("SCRIPT".utf8), Array("LOAD".utf8), Array(s.source.utf8)]) else {
                    throw StoreError(.corrupted, "redis SCRIPT LOAD: unexpected reply")
                }
                shas.withLock { $0[s] = loaded }
                sha = loaded
            }
            let reply = try await call([Self.evalshaCommand, sha, Array(String(keys.count).utf8)] + keys + arguments,
                                       errorsAsReplies: true)
            if case .error(let message) = reply, message.hasPrefix("NOSCRIPT"), attempt == 0 {
                // The server restarted or flushed its scripts: load again, once. Nothing ran.
                shas.withLock { _ = $0.removeValue(forKey: s) }
                statistics.countRetry()
                continue
            }
            if case .error(let message) = reply {
                throw StoreError(.unavailable, "redis script: \(message.prefix(80))")
            }
            return reply
        }
        throw StoreError(.unavailable, "redis: script not loadable")
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
            let reply = try await pool().withConnection { connection throws(StoreError) in try await connection.command(arguments) }
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
