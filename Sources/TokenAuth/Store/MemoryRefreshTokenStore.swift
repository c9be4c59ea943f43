import Foundation
import Synchronization

/// An in-process ``RefreshTokenStore``, lock-striped so that it scales across cores.
///
/// Families are spread over a power-of-two number of shards by the low bits of their id;
/// each shard is a ``Locked`` dictionary, so two refreshes of different sessions
/// rarely touch the same lock and there is no global lock on the hot path. Every operation
/// on one family runs inside its shard's lock, which makes `rotate` a compare-and-swap and
/// serializes it with `revoke`.
///
/// Expired families are deleted incrementally: after `sweepInterval` inserts into a shard, or
/// at its first insert `sweepPeriod` after its last sweep (so that a slow trickle of logins
/// does not keep every expired family for hours: a 30-minute soak grew by its families), that
/// shard drops families past their absolute lifetime; ``purgeExpired(asOf:)`` sweeps all.
public final class MemoryRefreshTokenStore: RefreshTokenStore, @unchecked Sendable {
    // @unchecked: `stripes` is a pointer written only in init/deinit; every shard it points to
    // is reached only through its own lock.
    struct Shard {
        var families: [FamilyID: RefreshFamily] = [:]
        var bySubject: [String: Set<FamilyID>] = [:]
        var insertsSinceSweep = 0
        /// When this shard was last swept (by the inserted families' clock).
        var lastSweep = Date.distantPast

        mutating func remove(_ id: FamilyID) {
            guard let family = families.removeValue(forKey: id) else { return }
            if var ids = bySubject[family.subject] {
                ids.remove(id)
                bySubject[family.subject] = ids.isEmpty ? nil : ids
            }
        }

        mutating func sweep(asOf now: Date) -> Int {
            let expired = families.values.filter { $0.expiresAt <= now }.map(\.id)
            for id in expired { remove(id) }
            insertsSinceSweep = 0
            lastSweep = now
            return expired.count
        }
    }

    /// One stripe: a lock around a shard, padded to 128 bytes so that two stripes never share
    /// a cache line (or a prefetched pair of lines).
    struct Stripe: ~Copyable {
        let shard = Locked(Shard())
        private let padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
            = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    // Stripes live in one raw allocation rather than in an array of objects: reaching a stripe
    // then costs no retain/release, so threads working on different families share no
    // reference count and no cache line (measured: objects halved the two-thread throughput).
    private let stripes: UnsafeMutablePointer<Stripe>
    private let count: Int
    private let mask: Int
    private let sweepInterval: Int
    private let sweepPeriod: TimeInterval

    /// - Parameters:
    ///   - shards: number of lock stripes, rounded up to a power of two (default 64).
    ///   - sweepInterval: inserts into one shard between two sweeps of it (default 1024).
    ///   - sweepPeriod: longest time between two sweeps of a shard that gets inserts, s
    ///     (default 10 s).
    public init(shards: Int = 64, sweepInterval: Int = 1024, sweepPeriod: TimeInterval = 10) {
        var count = 1
        while count < max(1, shards) { count <<= 1 }
        self.stripes = .allocate(capacity: count)
        for i in 0..<count { (stripes + i).initialize(to: Stripe()) }
        self.count = count
        self.mask = count - 1
        self.sweepInterval = max(1, sweepInterval)
        self.sweepPeriod = max(0, sweepPeriod)
    }

    deinit {
        stripes.deinitialize(count: count)
        stripes.deallocate()
    }

    @inline(__always)
    private func index(_ id: FamilyID) -> Int {
        Int(truncatingIfNeeded: id.rawValue) & mask
    }

    public func create(_ family: RefreshFamily) async throws(StoreError) {
        try createSync(family)
    }

    /// Synchronous form of ``create(_:)``.
    public func createSync(_ family: RefreshFamily) throws(StoreError) {
        let interval = sweepInterval, period = sweepPeriod
        let inserted = stripes[index(family.id)].shard.withLock { shard -> Bool in
            guard shard.families[family.id] == nil else { return false }
            shard.families[family.id] = family
            shard.bySubject[family.subject, default: []].insert(family.id)
            shard.insertsSinceSweep += 1
            if shard.insertsSinceSweep >= interval || family.createdAt.timeIntervalSince(shard.lastSweep) >= period {
                _ = shard.sweep(asOf: family.createdAt)
            }
            return true
        }
        if !inserted { throw StoreError(.conflict, "family exists") }
    }

    public func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily? {
        stripes[index(id)].shard.withLock { $0.families[id] }
    }

    public func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome {
        rotateSync(request)
    }

    /// Synchronous form of ``rotate(_:)``: the compare-and-swap under the shard lock.
    public func rotateSync(_ request: RotationRequest) -> RotationOutcome {
        stripes[index(request.family)].shard.withLock { shard in
            guard let family = shard.families[request.family] else { return .notFound }
            let outcome = family.applying(request)
            switch outcome {
            case .rotated(let updated), .reuseDetected(let updated):
                shard.families[request.family] = updated
            case .graceReplay, .revoked, .expired, .notFound, .mismatch:
                break
            }
            return outcome
        }
    }

    public func revoke(_ id: FamilyID, at now: Date, reason: RefreshFamily.RevocationReason) async throws(StoreError) -> Bool {
        stripes[index(id)].shard.withLock { shard in
            guard var family = shard.families[id], family.revokedAt == nil else { return false }
            family.revokedAt = now
            family.revocationReason = reason
            shard.families[id] = family
            return true
        }
    }

    public func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int {
        var revoked = 0
        for i in 0..<count {
            revoked += stripes[i].shard.withLock { shard in
                guard let ids = shard.bySubject[subject] else { return 0 }
                var n = 0
                for id in ids {
                    guard var family = shard.families[id], family.revokedAt == nil else { continue }
                    family.revokedAt = now
                    family.revocationReason = .logoutAll
                    shard.families[id] = family
                    n += 1
                }
                return n
            }
        }
        return revoked
    }

    public func purgeExpired(asOf now: Date) async throws(StoreError) -> Int {
        var purged = 0
        for i in 0..<count {
            purged += stripes[i].shard.withLock { $0.sweep(asOf: now) }
        }
        return purged
    }

    /// A snapshot of every family held, shard by shard (for tests and diagnostics; O(n)).
    public func snapshot() -> [RefreshFamily] {
        var all: [RefreshFamily] = []
        for i in 0..<count { all += stripes[i].shard.withLock { Array($0.families.values) } }
        return all
    }

    /// Number of families held (live, revoked and not yet purged).
    public var familyCount: Int {
        var total = 0
        for i in 0..<count { total += stripes[i].shard.withLock { $0.families.count } }
        return total
    }
}
