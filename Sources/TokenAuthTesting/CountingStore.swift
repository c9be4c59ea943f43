import Foundation
import TokenAuth

/// A real store wrapped to count the calls made to it, so a test can assert that a rejected
/// request never reached the store ("nothing written"). Not a mock: every call is forwarded.
public final class CountingStore<Base: RefreshTokenStore>: RefreshTokenStore {
    public struct Counts: Sendable, Hashable {
        public var creates = 0, reads = 0, rotates = 0, revokes = 0, revokeAlls = 0, purges = 0
        /// Calls that may write.
        public var writes: Int { creates + rotates + revokes + revokeAlls + purges }
    }

    public let base: Base
    private let counts = Locked(Counts())

    public init(_ base: Base) { self.base = base }

    /// The calls made so far.
    public var snapshot: Counts { counts.withLock { $0 } }

    public func create(_ family: RefreshFamily) async throws(StoreError) {
        counts.withLock { $0.creates += 1 }
        try await base.create(family)
    }

    public func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily? {
        counts.withLock { $0.reads += 1 }
        return try await base.family(id)
    }

    public func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome {
        counts.withLock { $0.rotates += 1 }
        return try await base.rotate(request)
    }

    public func revoke(_ id: FamilyID, at now: Date, reason: RefreshFamily.RevocationReason) async throws(StoreError) -> Bool {
        counts.withLock { $0.revokes += 1 }
        return try await base.revoke(id, at: now, reason: reason)
    }

    public func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int {
        counts.withLock { $0.revokeAlls += 1 }
        return try await base.revokeAll(subject: subject, at: now)
    }

    public func purgeExpired(asOf now: Date) async throws(StoreError) -> Int {
        counts.withLock { $0.purges += 1 }
        return try await base.purgeExpired(asOf: now)
    }
}
