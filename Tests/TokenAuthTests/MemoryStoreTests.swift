import Dispatch
import Foundation
import Synchronization
import Testing
import TokenAuth

@Suite("Memory store")
struct MemoryStoreTests {
    let now = Date(timeIntervalSince1970: 1_767_225_600)

    func family(_ n: UInt128, subject: String = "u", lifetime: TimeInterval = 3600) -> RefreshFamily {
        RefreshFamily(id: FamilyID(rawValue: n), subject: subject, clientID: nil, createdAt: now,
                      expiresAt: now.addingTimeInterval(lifetime), idleExpiresAt: nil, generation: 0,
                      currentDigest: TokenDigest(of: [UInt8(truncatingIfNeeded: n), 0]), previousDigest: nil, issuedAt: now)
    }

    func request(_ f: RefreshFamily, successor: UInt8 = 1, at: TimeInterval = 1) -> RotationRequest {
        RotationRequest(family: f.id, presentedGeneration: f.generation, presentedDigest: f.currentDigest,
                        successorDigest: TokenDigest(of: [successor]), now: now.addingTimeInterval(at),
                        graceWindow: 10, idleTimeout: nil)
    }

    @Test("threads racing to rotate one token: exactly one rotation, the rest are grace replays")
    func racingRotate() async throws {
        let store = MemoryRefreshTokenStore()
        let f = family(7)
        try await store.create(f)
        let rotated = Atomic<Int>(0)
        let replays = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            switch store.rotateSync(request(f, successor: UInt8(i))) {
            case .rotated: rotated.add(1, ordering: .relaxed)
            case .graceReplay: replays.add(1, ordering: .relaxed)
            default: break
            }
        }
        #expect(rotated.load(ordering: .relaxed) == 1)
        #expect(replays.load(ordering: .relaxed) == 63)
        #expect(try await store.family(f.id)?.generation == 1)
    }

    @Test("a duplicate family id is a conflict and changes nothing")
    func duplicate() async throws {
        let store = MemoryRefreshTokenStore()
        try await store.create(family(1, subject: "a"))
        await #expect(throws: StoreError(.conflict, "family exists")) { try await store.create(family(1, subject: "b")) }
        #expect(try await store.family(FamilyID(rawValue: 1))?.subject == "a")
    }

    @Test("revokeAll revokes every live family of the subject across shards, and only those")
    func revokeAll() async throws {
        let store = MemoryRefreshTokenStore(shards: 4)
        for n in 0..<40 { try await store.create(family(UInt128(n), subject: n % 2 == 0 ? "even" : "odd")) }
        _ = try await store.revoke(FamilyID(rawValue: 0), at: now, reason: .logout)
        #expect(try await store.revokeAll(subject: "even", at: now) == 19)
        #expect(try await store.revokeAll(subject: "even", at: now) == 0)
        #expect(try await store.family(FamilyID(rawValue: 1))?.isRevoked == false)
        #expect(try await store.family(FamilyID(rawValue: 2))?.revocationReason == .logoutAll)
        #expect(try await store.family(FamilyID(rawValue: 0))?.revocationReason == .logout)
    }

    @Test("expired families are purged explicitly")
    func purge() async throws {
        let store = MemoryRefreshTokenStore(shards: 1)
        for n in 0..<5 { try await store.create(family(UInt128(n), lifetime: 10)) }
        for n in 5..<8 { try await store.create(family(UInt128(n), lifetime: 100)) }
        #expect(try await store.purgeExpired(asOf: now.addingTimeInterval(50)) == 5)
        #expect(store.familyCount == 3)
        #expect(try await store.family(FamilyID(rawValue: 0)) == nil)
        #expect(try await store.family(FamilyID(rawValue: 5)) != nil)
    }

    @Test("the incremental sweep drops expired families every sweepInterval inserts into a shard")
    func incrementalSweep() async throws {
        let store = MemoryRefreshTokenStore(shards: 1, sweepInterval: 10, sweepPeriod: .infinity)
        for n in 0..<5 { try await store.create(family(UInt128(n), lifetime: 10)) }
        for n in 5..<9 { try await store.create(family(UInt128(n), lifetime: 1000)) }
        #expect(store.familyCount == 9)
        var tenth = family(100)
        tenth.createdAt = now.addingTimeInterval(200)
        tenth.expiresAt = now.addingTimeInterval(4000)
        try await store.create(tenth) // the 10th insert sweeps at its createdAt
        #expect(store.familyCount == 5)
    }

    @Test("the incremental sweep also runs at a shard's first insert sweepPeriod after its last sweep (a trickle of logins)")
    func periodicSweep() async throws {
        let store = MemoryRefreshTokenStore(shards: 1, sweepInterval: 1000, sweepPeriod: 10)
        for n in 0..<5 { try await store.create(family(UInt128(n), lifetime: 5)) } // the first insert sweeps (never swept)
        var later = family(50)
        later.createdAt = now.addingTimeInterval(9)
        later.expiresAt = now.addingTimeInterval(1000)
        try await store.create(later) // 9 s after the sweep: no sweep, the expired five stay
        #expect(store.familyCount == 6)
        var last = family(60)
        last.createdAt = now.addingTimeInterval(10)
        last.expiresAt = now.addingTimeInterval(1000)
        try await store.create(last) // 10 s after: sweeps
        #expect(store.familyCount == 2)
    }

    @Test("rotation rules: order of checks")
    func decisions() {
        var f = family(1)
        let r = request(f)
        #expect(f.decide(r) == .rotate)
        f.revokedAt = now
        #expect(f.decide(r) == .revoked, "revocation first")
        f.revokedAt = nil
        var late = r
        late.now = now.addingTimeInterval(3600)
        #expect(f.decide(late) == .expired)
        var future = r
        future.presentedGeneration = 5
        #expect(f.decide(future) == .mismatch)
        var wrongDigest = r
        wrongDigest.presentedDigest = TokenDigest(of: [9, 9])
        #expect(f.decide(wrongDigest) == .mismatch)
        var idle = f
        idle.idleExpiresAt = now
        #expect(idle.decide(r) == .expired)
    }
}
