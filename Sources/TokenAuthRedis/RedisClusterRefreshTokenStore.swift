import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TokenAuth
import TokenPool

/// A ``RefreshTokenStore`` on a Redis Cluster (`redis+cluster://HOST:PORT[,HOST:PORT…]`), with
/// the records, scripts and rules of ``RedisRefreshTokenStore``.
///
/// - **Keys and slots.** Every script touches one hash slot (Redis Cluster specification, "Hash
///   tags"): a family is `PREFIX{f:<sid>}`, derivable from the family id a refresh token carries;
///   a user's index is the sorted set `PREFIX{u:<subject>}` (member: the family id; score: the
///   family's absolute expiry, ms since 1970). The two live in different slots, usually on
///   different nodes.
/// - **Atomicity.** `rotate`, `revoke` and `family` touch only the family's key: one script
///   (the rotation compare-and-swap of ``RefreshFamily/decide(_:)``, revocation) or one `GET`
///   on one node, so `rotate` and `revoke` of a family serialize as on one node.
/// - **Create** is two steps, in this order: (1) add the id to the user's index and raise the
///   index's TTL to the family's life plus `operationTimeout` (never lower it), (2) create the
///   family (`SET … NX PX`, TTL its life minus the time step 1 took).
///   The index therefore never misses a family that exists; a failure between the steps leaves
///   an id without a family, which revoke-all skips and drops once its score has passed.
/// - **Revoke-all** reads the index (`ZRANGE`), revokes each family with the per-family script
///   (each revocation atomic, reason `logout_all`; a family already revoked or gone counts 0),
///   then shrinks the index by dropping the ids whose family's lifetime ended
///   (`ZREMRANGEBYSCORE … (now`: an id whose family is still being created has a future score,
///   so it is never dropped). **The one race it leaves:** a family created while revoke-all
///   runs (its index entry written after the `ZRANGE`) survives it; it is a later login. A node
///   failing midway throws `.unavailable` after some families were revoked; calling again
///   completes it (revocation is idempotent).
/// - **Expiry (case X3).** As on one node: a family's TTL is its remaining life at create and
///   no later write touches it (`SET … KEEPTTL`); the index's TTL is raised, never lowered.
///   ``purgeExpired(asOf:)`` has nothing to do and returns 0.
/// - **Routing.** The slot of a key is CRC16 (XMODEM) of its hash tag modulo 16384; the slot map
///   comes from `CLUSTER SLOTS` of any reachable seed; a fixed pool of connections per node
///   (opened when first used). `MOVED` (the slot moved for good): the slot is re-assigned, the
///   map fetched again and the command sent to the named node — safe, since it did not run.
///   `ASK` (a slot being migrated): `ASKING`, then the command, once, on the named node. More
///   than `maxRedirects` redirects for one command is `.unavailable` (Redis Cluster
///   specification, "Redirection and resharding"). `NOSCRIPT` from a node: the script is loaded
///   on that node and run again, once.
/// - **Failure.** A node that cannot be reached, times out (`operationTimeout`) or answers an
///   error (`CLUSTERDOWN`, `TRYAGAIN`, `LOADING`, …) is ``StoreError/Code/unavailable`` for the
///   operations on its slots, never a "valid" or a "not found"; other slots keep working. After
///   such a failure the slot map is fetched again (at most once a second), so a failover
///   to a replica is picked up. A command is not sent twice once it may have reached a node.
public final class RedisClusterRefreshTokenStore: RefreshTokenStore, StoreStatisticsReporting, Sendable {
    public let statistics: StoreStatistics
    private let prefix: String
    private let connectionsPerNode: Int
    private let operationTimeout: Double
    private let maxRedirects: Int
    private let seeds: [ClusterNode]
    private let scripts = RedisScriptCache()
    private let state = Locked(State())
    private let moved = Atomic<Int>(0), asked = Atomic<Int>(0)

    private struct State {
        var slots = ClusterSlots()
        var pools: [ClusterNode: ConnectionPool<RedisConnection>] = [:]
        /// A node failed since the last refresh: fetch the map again before the next command.
        var stale = false
        var refreshing = false
        var lastRefresh: ContinuousClock.Instant?
    }

    /// The seed nodes of a `redis+cluster://HOST:PORT[,HOST:PORT…]` URL (an omitted port is
    /// 6379; an IPv6 host is written `[::1]:7000`).
    public struct Seeds: Sendable, Hashable, CustomStringConvertible {
        let nodes: [ClusterNode]

        /// How many distinct seeds the URL names.
        public var count: Int { nodes.count }
        /// `HOST:PORT,HOST:PORT…`.
        public var description: String { nodes.map(\.description).joined(separator: ",") }

        /// - Throws: ``StoreError`` `.unavailable` with a one-line reason: no host, a bad port,
        ///   credentials, a database number (a cluster has only database 0), a query.
        public init(url: String) throws(StoreError) {
            let scheme = "redis+cluster://"
            func fail(_ why: String) -> StoreError { StoreError(.unavailable, "redis cluster URL: \(why)") }
            guard url.hasPrefix(scheme) else { throw fail("expected redis+cluster://HOST:PORT[,HOST:PORT…]") }
            var rest = Substring(url.dropFirst(scheme.count))
            guard !rest.contains("@") else { throw fail("credentials are not supported") }
            guard !rest.contains("?"), !rest.contains("#") else { throw fail("options (?…) are not supported") }
            if let slash = rest.firstIndex(of: "/") {
                guard rest[slash...] == "/" else {
                    throw fail("a database number is not supported (a Redis Cluster has database 0 only)")
                }
                rest = rest[..<slash]
            }
            guard !rest.isEmpty else { throw fail("no host") }
            var nodes: [ClusterNode] = []
            for item in rest.split(separator: ",", omittingEmptySubsequences: false) {
                let node = try Self.node(item, fail)
                if !nodes.contains(node) { nodes.append(node) }
            }
            self.nodes = nodes
        }

        private static func node(_ item: Substring, _ fail: (String) -> StoreError) throws(StoreError) -> ClusterNode {
            let shown = item.prefix(64)
            var host: Substring
            var port: Substring?
            if item.hasPrefix("[") {
                guard let close = item.firstIndex(of: "]") else { throw fail("unclosed '[' in '\(shown)'") }
                host = item[item.index(after: item.startIndex)..<close]
                let after = item[item.index(after: close)...]
                if !after.isEmpty {
                    guard after.hasPrefix(":") else { throw fail("expected :PORT after ']' in '\(shown)'") }
                    port = after.dropFirst()
                }
                guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                    throw fail("bad IPv6 host in '\(shown)'")
                }
            } else {
                if let colon = item.firstIndex(of: ":") {
                    host = item[..<colon]
                    port = item[item.index(after: colon)...]
                } else {
                    host = item
                }
                guard !host.isEmpty else { throw fail("no host in '\(shown)'") }
                guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }) else {
                    throw fail("bad host in '\(shown)'")
                }
            }
            var number = 6379
            if let port {
                guard !port.isEmpty, port.count <= 5, port.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(port),
                      (1...65535).contains(n) else {
                    throw fail("port must be 1 … 65535 (got '\(port.prefix(16))')")
                }
                number = n
            }
            return ClusterNode(host: String(host), port: number)
        }
    }

    /// Redirects followed since the store was made (Redis Cluster specification, "Redirection
    /// and resharding").
    public struct Redirects: Sendable, Hashable {
        /// `MOVED` answers: the slot map was stale.
        public var moved: Int
        /// `ASK` answers: a slot was being migrated.
        public var ask: Int

        public init(moved: Int, ask: Int) {
            self.moved = moved
            self.ask = ask
        }
    }

    /// The redirects followed so far.
    public var redirects: Redirects {
        Redirects(moved: moved.load(ordering: .relaxed), ask: asked.load(ordering: .relaxed))
    }

    /// Fetches the slot map from the first seed that answers `CLUSTER SLOTS`; opens no other
    /// connection yet.
    /// - Parameters:
    ///   - url: `redis+cluster://HOST:PORT[,HOST:PORT…]`; any one reachable node of the cluster
    ///     is enough.
    ///   - prefix: prefix of every key (default `tokenbench:`); must not contain `{` or `}`,
    ///     which would change the hash tag.
    ///   - connectionsPerNode: pooled connections per master node (default 4).
    ///   - operationTimeout: connect and reply timeout per command, s (default 2; more than 0, at
    ///     most 3600). As on one node, keep the service's grace window longer than this plus the
    ///     client's retry delay.
    ///   - maxRedirects: `MOVED`/`ASK` redirects followed for one command (default 5, 1 … 100).
    /// - Throws: ``StoreError`` `.unavailable` with a one-line reason: a malformed URL or
    ///   setting, or no seed answered (the reason names the seeds).
    public static func connect(_ url: String, prefix: String = "tokenbench:", connectionsPerNode: Int = 4,
                               operationTimeout: Double = 2, maxRedirects: Int = 5) async throws(StoreError) -> RedisClusterRefreshTokenStore {
        let seeds = try Seeds(url: url)
        guard !prefix.contains("{"), !prefix.contains("}") else {
            throw StoreError(.unavailable, "redis cluster: the key prefix must not contain '{' or '}' (they set the hash tag)")
        }
        guard operationTimeout > 0, operationTimeout <= 3600 else {
            throw StoreError(.unavailable, "redis cluster: operation timeout must be more than 0 s and at most 1 h")
        }
        guard (1...100).contains(maxRedirects) else { throw StoreError(.unavailable, "redis cluster: max redirects must be 1 … 100") }
        let store = RedisClusterRefreshTokenStore(seeds: seeds.nodes, prefix: prefix, connectionsPerNode: max(1, connectionsPerNode),
                                                  operationTimeout: operationTimeout, maxRedirects: maxRedirects)
        do throws(StoreError) {
            try await store.refreshSlots(from: seeds.nodes, transient: true)
        } catch {
            await store.close()
            throw StoreError(.unavailable, "redis cluster: no seed answered CLUSTER SLOTS (\(seeds)): \(error.detail)")
        }
        return store
    }

    private init(seeds: [ClusterNode], prefix: String, connectionsPerNode: Int, operationTimeout: Double, maxRedirects: Int) {
        self.statistics = StoreStatistics()
        self.seeds = seeds
        self.prefix = prefix
        self.connectionsPerNode = connectionsPerNode
        self.operationTimeout = operationTimeout
        self.maxRedirects = maxRedirects
    }

    /// Closes every connection.
    public func close() async {
        for pool in state.withLock({ Array($0.pools.values) }) { for c in pool.initial { c.disconnect() } }
    }

    // MARK: Keys and slots

    func familyKey(_ id: FamilyID) -> [UInt8] { Array("\(prefix){f:\(id.string)}".utf8) }
    func subjectKey(_ subject: String) -> [UInt8] { Array("\(prefix){u:\(subject)}".utf8) }
    private func familyKey(member: [UInt8]) -> [UInt8] { Array("\(prefix){f:".utf8) + member + [UInt8(ascii: "}")] }

    /// The keys of a family and of its user's index, with their hash slots (0 … 16383) and the
    /// node (`HOST:PORT`) that serves each in this store's slot map, or `nil` when none does.
    public func placement(of id: FamilyID, subject: String) -> (family: KeyPlacement, subject: KeyPlacement) {
        (placement(familyKey(id)), placement(subjectKey(subject)))
    }

    /// Where one key lives.
    public struct KeyPlacement: Sendable, Hashable {
        /// The key's name.
        public var key: String
        /// Its hash slot, 0 … 16383.
        public var slot: Int
        /// `HOST:PORT` of the node that serves the slot in the store's map.
        public var node: String?
    }

    private func placement(_ key: [UInt8]) -> KeyPlacement {
        let slot = ClusterSlots.slot(of: key)
        return KeyPlacement(key: String(decoding: key, as: UTF8.self), slot: slot,
                            node: state.withLock { $0.slots.node(for: slot) }?.description)
    }

    /// The hash slot of `key` (CRC16 of its hash tag modulo 16384, Redis Cluster specification).
    public static func hashSlot(of key: String) -> Int { ClusterSlots.slot(of: Array(key.utf8)) }

    // MARK: RefreshTokenStore

    /// Index first, then the family (see the type's documentation). The index's TTL is the
    /// family's life plus `operationTimeout`; the family's TTL is its life minus the time the
    /// index step took, so the index outlives every family it names.
    public func create(_ family: RefreshFamily) async throws(StoreError) {
        let life = RedisFamilyCommands.lifetime(family)
        let expiry = Array(String(Int64((family.expiresAt.timeIntervalSince1970 * 1000).rounded(.up))).utf8)
        let started = ContinuousClock.now
        _ = try await script(.clusterIndexAdd, key: subjectKey(family.subject),
                             arguments: [Array(String(life + Int((operationTimeout * 1000).rounded(.up))).utf8),
                                         Array(family.id.string.utf8), expiry])
        let spent = ContinuousClock.now - started
        let spentMs = Int(spent.components.seconds) * 1000 + Int(spent.components.attoseconds / 1_000_000_000_000_000)
        try RedisFamilyCommands.checkCreated(try await script(.clusterCreateFamily, key: familyKey(family.id),
                                                              arguments: [Array(String(max(1, life - spentMs)).utf8), FamilyRecord.encode(family)]))
    }

    public func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily? {
        let key = familyKey(id)
        return try RedisFamilyCommands.family(id, from: try await command([RedisFamilyCommands.getCommand, key], key: key))
    }

    public func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome {
        let reply = try await script(.rotate, key: familyKey(request.family), arguments: RedisFamilyCommands.rotateArguments(request))
        return try RedisFamilyCommands.rotationOutcome(request.family, from: reply)
    }

    public func revoke(_ id: FamilyID, at now: Date, reason: RefreshFamily.RevocationReason) async throws(StoreError) -> Bool {
        let reply = try await script(.revoke, key: familyKey(id), arguments: RedisFamilyCommands.revokeArguments(at: now, reason: reason))
        return try RedisFamilyCommands.revokeResult(reply) == 1
    }

    /// Index read, each family revoked by its own script, index shrunk (see the type's
    /// documentation for the order and the race it leaves).
    public func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int {
        let index = subjectKey(subject)
        guard case .array(let flat) = try await command([Array("ZRANGE".utf8), index, Array("0".utf8), Array("-1".utf8),
                                                         Array("WITHSCORES".utf8)], key: index), flat.count % 2 == 0 else {
            throw StoreError(.corrupted, "redis ZRANGE: unexpected reply")
        }
        let nowMs = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        let arguments = RedisFamilyCommands.revokeArguments(at: now, reason: .logoutAll)
        var revoked = 0, ended = false
        for i in stride(from: 0, to: flat.count, by: 2) {
            guard let member = flat[i].bytes, let score = flat[i + 1].bytes.flatMap({ Double(String(decoding: $0, as: UTF8.self)) }) else {
                throw StoreError(.corrupted, "redis ZRANGE: unexpected reply")
            }
            if try RedisFamilyCommands.revokeResult(try await script(.revoke, key: familyKey(member: member), arguments: arguments)) == 1 {
                revoked += 1
            }
            if score < Double(nowMs) { ended = true }
        }
        if ended {
            _ = try await command([Array("ZREMRANGEBYSCORE".utf8), index, Array("-inf".utf8), Array("(\(nowMs)".utf8)], key: index)
        }
        return revoked
    }

    /// Redis deletes a family when its TTL (its remaining life) runs out; nothing to purge.
    public func purgeExpired(asOf now: Date) async throws(StoreError) -> Int { 0 }

    /// When a family's key and its user's index expire, ms since 1970 (`PEXPIRETIME`: −2 no key,
    /// −1 no expiry). For case X3.
    public func expiryTimes(_ id: FamilyID, subject: String) async throws(StoreError) -> (family: Int64, subject: Int64) {
        let f = familyKey(id), s = subjectKey(subject)
        return (try RedisFamilyCommands.integer(try await command([RedisFamilyCommands.pexpiretimeCommand, f], key: f), "PEXPIRETIME"),
                try RedisFamilyCommands.integer(try await command([RedisFamilyCommands.pexpiretimeCommand, s], key: s), "PEXPIRETIME"))
    }

    /// Deletes every key of this store's prefix on every master (tests).
    /// - Returns: how many keys were deleted.
    public func deleteAll() async throws(StoreError) -> Int {
        var deleted = 0
        for node in state.withLock({ $0.slots.nodes }) {
            let reply = try await pool(for: node).withConnection(failure: { StoreError(.unavailable, "redis: \($0)") }) { c throws(StoreError) in
                try await c.command([Array("KEYS".utf8), Array("\(prefix)*".utf8)])
            }
            guard case .array(let keys) = reply else { throw StoreError(.unavailable, "redis cluster \(node): KEYS refused") }
            for case .string(let key) in keys {
                deleted += Int(try RedisFamilyCommands.integer(try await command([Array("DEL".utf8), key], key: key), "DEL"))
            }
        }
        return deleted
    }

    // MARK: Routing

    typealias Send = ([[UInt8]]) async throws(StoreError) -> RedisReply

    /// One command on the node that serves `key`'s slot; an error reply is `.unavailable`.
    private func command(_ arguments: [[UInt8]], key: [UInt8]) async throws(StoreError) -> RedisReply {
        try await routed(slot: ClusterSlots.slot(of: key)) { send throws(StoreError) in try await send(arguments) }
    }

    /// A script whose one key is `key`, with `NOSCRIPT` handled per node.
    private func script(_ s: RedisScript, key: [UInt8], arguments: [[UInt8]]) async throws(StoreError) -> RedisReply {
        try await routed(slot: ClusterSlots.slot(of: key)) { send throws(StoreError) in
            try await scripts.evaluate(s, keys: [key], arguments: arguments, statistics: statistics, send: send)
        }
    }

    /// Runs `attempt` with a `send` bound to the node that serves `slot`, following `MOVED` and
    /// `ASK` (at most `maxRedirects`). Any other error reply, and any failure to reach the node,
    /// is `.unavailable`.
    private func routed(slot: Int, _ attempt: (Send) async throws(StoreError) -> RedisReply) async throws(StoreError) -> RedisReply {
        do throws(StoreError) {
            try await refreshIfStale()
            guard var node = state.withLock({ $0.slots.node(for: slot) }) else {
                throw StoreError(.unavailable, "redis cluster: no node serves slot \(slot)")
            }
            var asking = false
            for _ in 0...maxRedirects {
                let pool = pool(for: node), target = node, ask = asking
                let reply: RedisReply
                do throws(StoreError) {
                    reply = try await attempt { arguments throws(StoreError) in
                        try await pool.withConnection(failure: { StoreError(.unavailable, "redis: \($0)") }) { c throws(StoreError) in
                            if ask {
                                guard case .status = try await c.command([Self.askingCommand]) else {
                                    throw StoreError(.unavailable, "redis cluster \(target): ASKING refused")
                                }
                            }
                            return try await c.command(arguments)
                        }
                    }
                } catch {
                    if error.code == .unavailable { state.withLock { $0.stale = true } }
                    throw error
                }
                guard case .error(let message) = reply else { return reply }
                guard let redirect = ClusterRedirect(message, from: target) else {
                    if message.hasPrefix("CLUSTERDOWN") || message.hasPrefix("TRYAGAIN") { state.withLock { $0.stale = true } }
                    throw StoreError(.unavailable, "redis cluster \(target): \(message.prefix(80))")
                }
                statistics.countRetry()
                node = redirect.node
                switch redirect.kind {
                case .moved:
                    moved.add(1, ordering: .relaxed)
                    asking = false
                    await followMoved(redirect)
                case .ask:
                    asked.add(1, ordering: .relaxed)
                    asking = true
                }
            }
            throw StoreError(.unavailable, "redis cluster: more than \(maxRedirects) redirects for slot \(slot)")
        } catch {
            if error.code == .unavailable { statistics.countUnavailable() }
            throw error
        }
    }

    static let askingCommand = Array("ASKING".utf8)
    static let clusterSlotsCommand = [Array("CLUSTER".utf8), Array("SLOTS".utf8)]

    /// `MOVED`: the slot is the named node's from now on; then the whole map is fetched again
    /// (by one caller at a time; a failed fetch keeps the map with this one slot corrected).
    private func followMoved(_ redirect: ClusterRedirect) async {
        let refresh = state.withLock { s -> Bool in
            s.slots.assign(redirect.slot, to: redirect.node)
            return !s.refreshing
        }
        guard refresh else { return }
        try? await refreshSlots(from: [redirect.node] + state.withLock { $0.slots.nodes } + seeds, transient: false)
    }

    /// After a node failed: fetch the map again, at most once a second, from the other nodes
    /// first. A failed fetch keeps the current map (its nodes answer or fail by themselves).
    private func refreshIfStale() async throws(StoreError) {
        let now = ContinuousClock.now
        let go = state.withLock { s -> Bool in
            guard s.stale, !s.refreshing, s.lastRefresh.map({ now - $0 >= .seconds(1) }) ?? true else { return false }
            return true
        }
        guard go else { return }
        try? await refreshSlots(from: state.withLock { $0.slots.nodes } + seeds, transient: false)
    }

    /// Installs the map of the first of `candidates` that answers `CLUSTER SLOTS` with at least
    /// one served slot. `transient`: ask over a connection of its own, closed afterwards
    /// (`connect`, whose seeds may not be nodes of the map).
    /// - Throws: ``StoreError`` `.unavailable` with the last candidate's reason.
    private func refreshSlots(from candidates: [ClusterNode], transient: Bool) async throws(StoreError) {
        let claimed = state.withLock { s -> Bool in
            if s.refreshing { return false }
            s.refreshing = true
            return true
        }
        guard claimed else { return }
        defer { state.withLock { $0.refreshing = false; $0.lastRefresh = ContinuousClock.now } }
        var tried = Set<ClusterNode>()
        var reason = "no node to ask"
        for node in candidates where tried.insert(node).inserted {
            do throws(StoreError) {
                let reply: RedisReply
                if transient {
                    let connection = RedisConnection(host: node.host, port: node.port, database: 0, timeout: operationTimeout,
                                                     statistics: statistics, group: MultiThreadedEventLoopGroup.singleton)
                    defer { connection.disconnect() }
                    reply = try await connection.command(Self.clusterSlotsCommand)
                } else {
                    reply = try await pool(for: node).withConnection(failure: { StoreError(.unavailable, "redis: \($0)") }) { c throws(StoreError) in try await c.command(Self.clusterSlotsCommand) }
                }
                if case .error(let message) = reply { throw StoreError(.unavailable, "\(node): \(message.prefix(80))") }
                let map = try ClusterSlots(clusterSlotsReply: reply, queried: node)
                guard map.coveredSlots > 0 else { throw StoreError(.unavailable, "\(node): serves no slot (cluster not created?)") }
                state.withLock { $0.slots = map; $0.stale = false }
                return
            } catch {
                reason = error.detail.contains(node.description) ? error.detail : "\(node): \(error.detail)"
            }
        }
        throw StoreError(.unavailable, reason)
    }

    /// The pool of `node`, made when first needed (its connections open when first used).
    private func pool(for node: ClusterNode) -> ConnectionPool<RedisConnection> {
        state.withLock { s in
            if let pool = s.pools[node] { return pool }
            let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
            let pool = ConnectionPool((0..<connectionsPerNode).map { i in
                RedisConnection(host: node.host, port: node.port, database: 0, timeout: operationTimeout,
                                statistics: statistics, group: loops[i % loops.count])
            }, onWait: statistics.countPoolWait)
            s.pools[node] = pool
            return pool
        }
    }
}
