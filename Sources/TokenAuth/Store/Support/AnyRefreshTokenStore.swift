import Foundation

/// A type-erased ``RefreshTokenStore``: lets a program pick its backend at run time (the
/// `--store` flag) and still build one `AuthService<AnyRefreshTokenStore, …>`. Costs one
/// dynamic call per store operation.
public struct AnyRefreshTokenStore: RefreshTokenStore {
    public let base: any RefreshTokenStore

    public init(_ base: any RefreshTokenStore) { self.base = base }

    public func create(_ family: RefreshFamily) async throws(StoreError) { try await base.create(family) }
    public func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily? { try await base.family(id) }
    public func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome { try await base.rotate(request) }
    public func revoke(_ id: FamilyID, at now: Date, reason: RefreshFamily.RevocationReason) async throws(StoreError) -> Bool {
        try await base.revoke(id, at: now, reason: reason)
    }
    public func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int {
        try await base.revokeAll(subject: subject, at: now)
    }
    public func purgeExpired(asOf now: Date) async throws(StoreError) -> Int { try await base.purgeExpired(asOf: now) }
}
