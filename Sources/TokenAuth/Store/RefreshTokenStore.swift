import Foundation

/// Where refresh-token families live.
///
/// Every method is one atomic operation, shaped so that a SQL backend can do it in one
/// statement and a Redis backend in one script: `rotate` is the compare-and-swap of
/// ``RotationRequest``; `revoke` and `rotate` of the same family serialize, so nothing is
/// minted after a revocation commits. Stores translate their own failures into
/// ``StoreError``; they never answer "valid" when they could not look.
///
/// Conformance: `TokenAuthTesting.RefreshTokenStoreConformance` runs the shared cases
/// (`docs/cases.md`) against any store.
public protocol RefreshTokenStore: Sendable {
    /// Inserts a new family (login).
    /// - Throws: ``StoreError`` (`.unavailable`, `.conflict` if the id exists).
    func create(_ family: RefreshFamily) async throws(StoreError)

    /// Reads a family. - Returns: `nil` when there is none.
    /// - Throws: ``StoreError``.
    func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily?

    /// The rotation compare-and-swap; see ``RotationRequest`` and ``RefreshFamily/decide(_:)``.
    /// - Throws: ``StoreError``.
    func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome

    /// Revokes one family, if it is live.
    /// - Returns: `true` if this call revoked it; `false` if it was unknown or already revoked.
    /// - Throws: ``StoreError``.
    func revoke(_ id: FamilyID, at now: Date, reason: RefreshFamily.RevocationReason) async throws(StoreError) -> Bool

    /// Revokes every live family of a user (logout everywhere, password change).
    /// - Returns: how many families this call revoked.
    /// - Throws: ``StoreError``.
    func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int

    /// Deletes families whose absolute lifetime ended before `now` (revoked or not).
    /// - Returns: how many were deleted.
    /// - Throws: ``StoreError``.
    func purgeExpired(asOf now: Date) async throws(StoreError) -> Int
}

/// A store failure, translated by each backend into one of these codes.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The store could not be reached or did not answer in time.
        case unavailable
        /// The write conflicts with existing data (e.g. a duplicate family id).
        case conflict
        /// The store answered with something the backend cannot interpret.
        case corrupted
    }

    public var code: Code
    /// A short description for logs; never contains token material.
    public var detail: String

    public init(_ code: Code, _ detail: String = "") {
        self.code = code
        self.detail = detail
    }

    public var description: String { detail.isEmpty ? "store \(code.rawValue)" : "store \(code.rawValue): \(detail)" }
}
