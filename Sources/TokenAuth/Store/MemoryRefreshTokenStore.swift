import Foundation
import Synchronization

/// An in-process ``RefreshTokenStore``, lock-striped so that it scales across cores.
///
/// Families are spread over a power-of-two number of shards by the low bits of their id;
/// each shard is a `Mutex` around a dictionary, so two refreshes of different sessions
/// rarely touch the same lock and there is no global lock on the hot path. Every operation
/// on one family runs inside its shard's lock, which makes `rotate` a compare-and-swap and
/// serializes it with `revoke`.
///
/// Expired families are deleted incrementally: every `sweepInterval` inserts into a shard,
/// that shard drops families past their absolute lifetime; ``purgeExpired(asOf:)`` sweeps all.
public final class MemoryRefreshTokenStore: RefreshTokenStore {
    struct Shard {
        var families: [FamilyID: RefreshFamily] = [:]
        var bySubject: [String: Set<FamilyID>] = [:]
        var insertsSinceSweep = 0

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
            return expired.count
        }
    }

    // `Mutex` is not copyable; each lives in its own heap box so shards sit on separate cache lines.
    final class Stripe: Sendable {
        let shard = Mutex(Shard())
    }

    private let stripes: [Stripe]
    private let mask: Int
    private let sweepInterval: Int

    /// - Parameters:
    ///   - shards: number of lock stripes, rounded up to a power of two (default 64).
    ///   - sweepInterval: inserts into one shard between two sweeps of it (default 1024).
    public init(shards: Int = 64, sweepInterval: Int = 1024) {
        var count = 1
        while count < max(1, shards) { count <<= 1 }
        self.stripes = (0..<count).map { _ in Stripe() }
        self.mask = count - 1
        self.sweepInterval = max(1, sweepInterval)
    }

    @inline(__always)
    private func stripe(_ id: FamilyID) -> Stripe {
        stripes[Int(truncatingIfNeeded: id.rawValue) & mask]
    }

    public func create(_ family: RefreshFamily) async throws(StoreError) {
        try createSync(family)
    }

    /// Synchronous form of ``create(_:)``.
    public func createSync(_ family: RefreshFamily) throws(StoreError) {
        let interval = sweepInterval
        let inserted = stripe(family.id).shard.withLock { shard -> Bool in
            guard shard.families[family.id] == nil else { return false }
            shard.families[family.id] = family
            shard.bySubject[family.subject, default: []].insert(family.id)
            shard.insertsSinceSweep += 1
            if shard.insertsSinceSweep >= interval { _ = shard.sweep(asOf: family.createdAt) }
            return true
        }
        if !inserted { throw StoreError(.conflict, "family exists") }
    }

    public func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily? {
        stripe(id).shard.withLock { $0.families[id] }
    }

    public func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome {
        rotateSync(request)
    }

    /// Synchronous form of ``rotate(_:)``: the compare-and-swap under the shard lock.
    public func rotateSync(_ request: RotationRequest) -> RotationOutcome {
        stripe(request.family).shard.withLock { shard in
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
        stripe(id).shard.withLock { shard in
            guard var family = shard.families[id], family.revokedAt == nil else { return false }
            family.revokedAt = now
            family.revocationReason = reason
            shard.families[id] = family
            return true
        }
    }

    public func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int {
        var revoked = 0
        for stripe in stripes {
            revoked += stripe.shard.withLock { shard in
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
        for stripe in stripes {
            purged += stripe.shard.withLock { $0.sweep(asOf: now) }
        }
        return purged
    }

    /// Number of families held (live, revoked and not yet purged).
    public var count: Int {
        stripes.reduce(0) { sum, stripe in sum + stripe.shard.withLock { $0.families.count } }
    }
}
