import Foundation
import Testing
import TokenAuth
import TokenAuthRedis
import TokenAuthTesting

extension StoreServers {
    /// `TOKENBENCH_REDIS_CLUSTER_URL`: `redis+cluster://HOST:PORT[,HOST:PORT…]` (`script/stores.sh`).
    static var redisClusterURL: String? { environment["TOKENBENCH_REDIS_CLUSTER_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    /// The cluster suites run when the URL is set, and fail at `#require` when it is not but
    /// TOKENBENCH_REQUIRE_STORES=1.
    static var redisClusterEnabled: Bool { redisClusterURL != nil || required }
    static let redisClusterSkip: Comment? = redisClusterURL == nil
        ? "skipped: TOKENBENCH_REDIS_CLUSTER_URL is not set (source script/stores.sh && start_stores starts a Redis Cluster and sets it)" : nil

    static func clusterURL() throws -> String {
        try #require(redisClusterURL, "TOKENBENCH_REDIS_CLUSTER_URL must be set when TOKENBENCH_REQUIRE_STORES=1")
    }
}

/// The port of a `HOST:PORT` node name.
private func port(_ node: String?) throws -> Int {
    let node = try #require(node, "the slot has a node")
    return try #require(Int(node.split(separator: ":").last ?? ""))
}

/// A fresh family of `subject` (one hour of life), as the X3 test makes them.
private func family(_ subject: String, now: Date = Date()) -> RefreshFamily {
    RedisTTLTests.family(subject: subject, lifetime: 3600, now: now)
}

/// The same family as far as the store's answer can tell (dates go through seconds since 1970
/// as doubles, so they are compared to the millisecond).
private func same(_ a: RefreshFamily?, _ b: RefreshFamily) -> Bool {
    guard let a else { return false }
    return a.id == b.id && a.subject == b.subject && a.generation == b.generation && a.currentDigest == b.currentDigest
        && a.revokedAt == nil && abs(a.expiresAt.timeIntervalSince(b.expiresAt)) < 0.001
}

/// The shared conformance suite, unchanged, against the shared 3-master cluster.
@Suite("Redis Cluster store conformance", .enabled(if: StoreServers.redisClusterEnabled, StoreServers.redisClusterSkip ?? ""))
struct RedisClusterConformanceTests {
    @Test(arguments: RefreshTokenCase.allCases)
    func conformance(_ c: RefreshTokenCase) async throws {
        let url = try StoreServers.clusterURL()
        let made = Locked<[RedisClusterRefreshTokenStore]>([])
        try await RefreshTokenStoreConformance {
            let store = try await RedisClusterRefreshTokenStore.connect(url, prefix: "\(StoreServers.uniqueName("tbc")):")
            made.withLock { $0.append(store) }
            return store
        }.run(c)
        for store in made.withLock({ $0 }) {
            _ = try await store.deleteAll()
            #expect(store.redirects == .init(moved: 0, ask: 0), "a settled cluster answers without redirects")
            await store.close()
        }
    }
}

@Suite("Redis Cluster store: slots and revoke-all", .enabled(if: StoreServers.redisClusterEnabled, StoreServers.redisClusterSkip ?? ""))
struct RedisClusterSlotTests {
    @Test("hash slots follow the Redis Cluster specification (CRC16 XMODEM of the hash tag, mod 16384)")
    func hashSlots() {
        // The values `CLUSTER KEYSLOT` answers.
        #expect(RedisClusterRefreshTokenStore.hashSlot(of: "123456789") == 0x31C3)
        #expect(RedisClusterRefreshTokenStore.hashSlot(of: "foo") == 12182)
        #expect(RedisClusterRefreshTokenStore.hashSlot(of: "{user1000}.following") == 3443)
        #expect(RedisClusterRefreshTokenStore.hashSlot(of: "foo{bar}{zap}") == 5061, "the first tag: bar")
        #expect(RedisClusterRefreshTokenStore.hashSlot(of: "foo{}{bar}") == 8363, "an empty tag hashes the whole key")
        #expect(RedisClusterRefreshTokenStore.hashSlot(of: "foo{{bar}}zap") == 4015, "the tag is '{bar'")
    }

    @Test("a family's key is in the slot of {f:<sid>}, the user's index in the slot of {u:<subject>}; revoke-all reaches families on every node")
    func placementAndRevokeAll() async throws {
        let url = try StoreServers.clusterURL()
        let store = try await RedisClusterRefreshTokenStore.connect(url, prefix: "\(StoreServers.uniqueName("slots")):")
        let subject = StoreServers.uniqueName("user")
        // One family on each of the three masters, none in the index's slot.
        var families: [RefreshFamily] = [], nodes: Set<String> = []
        let indexSlot = RedisClusterRefreshTokenStore.hashSlot(of: "{u:\(subject)}")
        for _ in 0..<200 where nodes.count < 3 {
            let f = family(subject)
            let placed = store.placement(of: f.id, subject: subject).family
            guard let node = placed.node, placed.slot != indexSlot, !nodes.contains(node) else { continue }
            nodes.insert(node)
            families.append(f)
        }
        #expect(nodes.count == 3, "the three masters serve families")
        for f in families { try await store.create(f) }

        for f in families {
            let (fp, ip) = store.placement(of: f.id, subject: subject)
            #expect(fp.key.hasSuffix("{f:\(f.id.string)}") && ip.key.hasSuffix("{u:\(subject)}"))
            #expect(fp.slot == RedisClusterRefreshTokenStore.hashSlot(of: "f:\(f.id.string)"), "the family's slot is its tag's")
            #expect(ip.slot == indexSlot && fp.slot != ip.slot)
            // The server agrees on the slot, and the node of the map holds both keys.
            let fport = try port(fp.node), iport = try port(ip.node)
            #expect(try RedisClusterProcess.cli(port: fport, ["CLUSTER", "KEYSLOT", fp.key]).trimmingCharacters(in: .whitespacesAndNewlines) == "\(fp.slot)")
            #expect(try RedisClusterProcess.cli(port: fport, ["EXISTS", fp.key]).hasPrefix("1"))
            #expect(try RedisClusterProcess.cli(port: iport, ["ZSCORE", ip.key, f.id.string]).hasPrefix("\(Int64((f.expiresAt.timeIntervalSince1970 * 1000).rounded(.up)))"))
            let ttl = try await store.expiryTimes(f.id, subject: subject)
            #expect(ttl.subject >= ttl.family && ttl.family > 0, "the index lives at least as long as the family")
            let lifeEndMs = Int64(f.expiresAt.timeIntervalSince1970 * 1000)
            #expect(ttl.family <= lifeEndMs + 1000 && ttl.family >= lifeEndMs - 1000, "the family expires when its life ends")
        }
        var expiries: [FamilyID: (family: Int64, subject: Int64)] = [:]
        for f in families { expiries[f.id] = try await store.expiryTimes(f.id, subject: subject) }

        let now = Date()
        #expect(try await store.revokeAll(subject: subject, at: now) == 3)
        for f in families {
            let after = try #require(try await store.family(f.id))
            #expect(after.revocationReason == .logoutAll && after.revokedAt != nil)
            let t = try await store.expiryTimes(f.id, subject: subject)
            #expect(t == expiries[f.id]!, "revocation moves no expiry (X3)")
        }
        #expect(try await store.revokeAll(subject: subject, at: now) == 0, "already revoked")
        let outcome = try await store.rotate(RotationRequest(
            family: families[0].id, presentedGeneration: 0, presentedDigest: families[0].currentDigest,
            successorDigest: TokenDigest(of: Array("next".utf8)), now: now, graceWindow: 10, idleTimeout: nil))
        guard case .revoked = outcome else { Issue.record("a revoked family rotates: \(outcome)"); return }
        #expect(try await store.deleteAll() == 4, "three families and one index")
        await store.close()
    }

    @Test("revoke-all drops index entries whose family's life has ended, and keeps the rest")
    func indexShrinks() async throws {
        let url = try StoreServers.clusterURL()
        let store = try await RedisClusterRefreshTokenStore.connect(url, prefix: "\(StoreServers.uniqueName("shrink")):")
        let subject = StoreServers.uniqueName("user")
        let past = family(subject, now: Date().addingTimeInterval(-4000)) // ended 400 s ago
        let live = family(subject)
        try await store.create(past)
        try await store.create(live)
        #expect(try await store.revokeAll(subject: subject, at: Date()) == 2, "both families are revoked, ended or not")
        let index = store.placement(of: live.id, subject: subject).subject
        let members = try RedisClusterProcess.cli(port: try port(index.node), ["ZRANGE", index.key, "0", "-1"])
        #expect(members.trimmingCharacters(in: .whitespacesAndNewlines) == live.id.string, "only the live family stays indexed")
        _ = try await store.deleteAll()
        await store.close()
    }
}

@Suite("Redis Cluster store: bad input and unreachable seeds")
struct RedisClusterInputTests {
    @Test("a malformed cluster URL is a one-line .unavailable, nothing connected", arguments: [
        "redis://127.0.0.1:7000", "redis+cluster://", "redis+cluster://:7000", "redis+cluster://127.0.0.1:0",
        "redis+cluster://127.0.0.1:65536", "redis+cluster://127.0.0.1:abc", "redis+cluster://user:secret@127.0.0.1:7000",
        "redis+cluster://127.0.0.1:7000/0", "redis+cluster://127.0.0.1:7000,", "redis+cluster://127.0.0.1:7000?timeout=1",
        "redis+cluster://bad host:7000", "redis+cluster://[::1:7000",
    ])
    func malformed(_ url: String) async throws {
        let started = Date()
        let error = await #expect(throws: StoreError.self) { _ = try await RedisClusterRefreshTokenStore.connect(url) }
        #expect(error?.code == .unavailable)
        #expect(error?.detail.contains("\n") == false && error?.detail.hasPrefix("redis cluster URL:") == true, "\(error?.detail ?? "")")
        #expect(error?.detail.contains("secret") == false, "credentials are never echoed")
        #expect(Date().timeIntervalSince(started) < 1, "refused before any connection")
    }

    @Test("well-formed seed lists")
    func wellFormed() throws {
        #expect(try RedisClusterRefreshTokenStore.Seeds(url: "redis+cluster://127.0.0.1:7000,127.0.0.1:7001/").description
                == "127.0.0.1:7000,127.0.0.1:7001")
        #expect(try RedisClusterRefreshTokenStore.Seeds(url: "redis+cluster://[::1]:7000,localhost,localhost:6379").description
                == "[::1]:7000,localhost:6379", "default port 6379, duplicates dropped")
    }

    @Test("no reachable seed: connect throws .unavailable at once, one line naming the seeds")
    func unreachable() async throws {
        let a = try RedisServerProcess.freePort(), b = try RedisServerProcess.freePort()
        let started = Date()
        let error = await #expect(throws: StoreError.self) {
            _ = try await RedisClusterRefreshTokenStore.connect("redis+cluster://127.0.0.1:\(a),127.0.0.1:\(b)", operationTimeout: 1)
        }
        #expect(error?.code == .unavailable)
        let detail = error?.detail ?? ""
        #expect(detail.contains("127.0.0.1:\(a)") && detail.contains("127.0.0.1:\(b)") && !detail.contains("\n"), "\(detail)")
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test("a plain (non-cluster) Redis as the only seed: .unavailable naming it")
    func notACluster() async throws {
        guard RedisServerProcess.isAvailable else { return }
        let server = try RedisServerProcess()
        let error = await #expect(throws: StoreError.self) {
            _ = try await RedisClusterRefreshTokenStore.connect("redis+cluster://127.0.0.1:\(server.port)", operationTimeout: 1)
        }
        #expect(error?.code == .unavailable)
        #expect(error?.detail.contains("127.0.0.1:\(server.port)") == true && error?.detail.contains("cluster support disabled") == true,
                "\(error?.detail ?? "")")
        server.stop()
    }
}

/// On clusters of their own, so that moving a slot or killing a node does not disturb the
/// shared cluster.
@Suite("Redis Cluster store: redirects and a dead node", .enabled(if: RedisClusterProcess.isAvailable, "skipped: redis-server or redis-cli is not installed"))
struct RedisClusterResilienceTests {
    @Test("ASK during a slot migration and MOVED after it are followed; the script is loaded on the new node")
    func redirects() async throws {
        let cluster = try RedisClusterProcess()
        let store = try await RedisClusterRefreshTokenStore.connect(cluster.url, connectionsPerNode: 2)
        let f = family("bob")
        try await store.create(f)
        let placed = store.placement(of: f.id, subject: "bob").family
        let source = try port(placed.node)
        let target = try #require(cluster.ports.first { $0 != source })
        // Warm the rotate script on the source only; the target has never seen it.
        let miss = try await store.rotate(RotationRequest(
            family: f.id, presentedGeneration: 5, presentedDigest: f.currentDigest, successorDigest: f.currentDigest,
            now: Date(), graceWindow: 10, idleTimeout: nil))
        #expect(miss == .mismatch)

        // Keys moved, slot still migrating: the source answers ASK.
        try cluster.moveSlot(placed.slot, from: source, to: target, finish: false)
        #expect(same(try await store.family(f.id), f), "found on the importing node after ASKING")
        #expect(store.redirects == .init(moved: 0, ask: 1))
        #expect(store.placement(of: f.id, subject: "bob").family.node == placed.node, "ASK does not change the map")

        // Migration finished: MOVED, the map is fetched again, the rotation runs on the target.
        try cluster.assignSlot(placed.slot, to: target)
        let successor = TokenDigest(of: Array("t1".utf8))
        let rotated = try await store.rotate(RotationRequest(
            family: f.id, presentedGeneration: 0, presentedDigest: f.currentDigest, successorDigest: successor,
            now: Date(), graceWindow: 10, idleTimeout: nil))
        guard case .rotated(let after) = rotated else { Issue.record("expected a rotation, got \(rotated)"); return }
        #expect(after.generation == 1 && after.currentDigest == successor)
        #expect(store.redirects.moved == 1)
        #expect(store.placement(of: f.id, subject: "bob").family.node == "127.0.0.1:\(target)", "the map names the new owner")
        #expect(try RedisClusterProcess.cli(port: target, ["EXISTS", store.placement(of: f.id, subject: "bob").family.key]).hasPrefix("1"))
        #expect(try await store.family(f.id)?.generation == 1)
        #expect(store.redirects.moved == 1, "no redirect once the map is current")
        await store.close()
    }

    @Test("a killed node: its slots throw .unavailable (never a family or 'not found'), the other slots keep working")
    func deadNode() async throws {
        let cluster = try RedisClusterProcess()
        let store = try await RedisClusterRefreshTokenStore.connect(cluster.url, connectionsPerNode: 2, operationTimeout: 1)
        let victim = cluster.ports[0]
        func onVictim(_ p: RedisClusterRefreshTokenStore.KeyPlacement) throws -> Bool { try port(p.node) == victim }
        // A family on the victim, whose index is elsewhere, and one wholly elsewhere.
        var doomed: RefreshFamily?, safe: RefreshFamily?
        for i in 0..<500 where doomed == nil || safe == nil {
            let f = family("user\(i)")
            let (fp, ip) = store.placement(of: f.id, subject: f.subject)
            if try onVictim(fp), try !onVictim(ip), doomed == nil { doomed = f }
            if try !onVictim(fp), try !onVictim(ip), safe == nil { safe = f }
        }
        let d = try #require(doomed), s = try #require(safe)
        try await store.create(d)
        try await store.create(s)
        #expect(same(try await store.family(d.id), d))

        cluster.kill(port: victim)
        let started = Date()
        let before = store.statistics.snapshot.unavailable
        let request = RotationRequest(family: d.id, presentedGeneration: 0, presentedDigest: d.currentDigest,
                                      successorDigest: TokenDigest(of: Array("t1".utf8)), now: Date(), graceWindow: 10, idleTimeout: nil)
        let read = await #expect(throws: StoreError.self) { _ = try await store.family(d.id) }
        let rotate = await #expect(throws: StoreError.self) { _ = try await store.rotate(request) }
        let revoke = await #expect(throws: StoreError.self) { _ = try await store.revoke(d.id, at: Date(), reason: .logout) }
        for e in [read, rotate, revoke] { #expect(e?.code == .unavailable) }
        #expect(store.statistics.snapshot.unavailable - before == 3)

        // Other slots: read, rotate, create, revoke-all.
        #expect(same(try await store.family(s.id), s))
        let rotated = try await store.rotate(RotationRequest(
            family: s.id, presentedGeneration: 0, presentedDigest: s.currentDigest, successorDigest: TokenDigest(of: Array("s1".utf8)),
            now: Date(), graceWindow: 10, idleTimeout: nil))
        guard case .rotated = rotated else { Issue.record("expected a rotation, got \(rotated)"); return }
        var fresh: RefreshFamily?
        for i in 0..<500 where fresh == nil {
            let f = family("other\(i)")
            let (fp, ip) = store.placement(of: f.id, subject: f.subject)
            if try !onVictim(fp), try !onVictim(ip) { fresh = f }
        }
        let n = try #require(fresh)
        try await store.create(n)
        #expect(try await store.revokeAll(subject: n.subject, at: Date()) == 1)
        // A login whose family would live on the dead node fails, with no half-made "valid".
        var lost: RefreshFamily?
        for i in 0..<500 where lost == nil {
            let f = family("lost\(i)")
            let (fp, ip) = store.placement(of: f.id, subject: f.subject)
            if try onVictim(fp), try !onVictim(ip) { lost = f }
        }
        let l = try #require(lost)
        let create = await #expect(throws: StoreError.self) { try await store.create(l) }
        #expect(create?.code == .unavailable)
        #expect(Date().timeIntervalSince(started) < 10, "failures are immediate or bounded by the 1 s timeout")
        await store.close()
    }
}
