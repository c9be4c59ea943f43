import Foundation

/// The rotation of ``RefreshTokenStore/rotate(_:)`` for stores whose atomic primitive is a
/// conditional update (SQL): `UPDATE … WHERE <the presented token is current and live>
/// RETURNING …` is the compare-and-swap, and is the whole of the common case.
///
/// When the swap matches no row, the family is read and classified with
/// ``RefreshFamily/decide(_:)``. A reuse is applied with a second conditional update that
/// revokes the family only if it still stands at the generation that was read; if anything
/// moved in between (a concurrent rotation or revocation), the steps run again from the top,
/// at most `attempts` times. Each outcome is therefore decided on a state the store really
/// held, and every write is itself atomic, so the result is the same as the memory store's
/// single locked step (RFC 9700 §4.14.2 reuse detection included).
public enum ConditionalRotation {
    /// The store's primitives.
    public struct Primitives: Sendable {
        /// The compare-and-swap: if the family is not revoked, not expired at `request.now`,
        /// and stands at `presentedGeneration` with `presentedDigest`, moves it to the
        /// successor and returns it; otherwise changes nothing and returns `nil`.
        public var swap: @Sendable (RotationRequest) async throws(StoreError) -> RefreshFamily?
        /// Reads a family.
        public var read: @Sendable (FamilyID) async throws(StoreError) -> RefreshFamily?
        /// Revokes the family for reuse at `now` if it is not revoked and still stands at
        /// `generation`; returns the revoked family, or `nil` if nothing matched.
        public var revokeForReuse: @Sendable (FamilyID, _ generation: UInt64, _ now: Date) async throws(StoreError) -> RefreshFamily?

        public init(
            swap: @escaping @Sendable (RotationRequest) async throws(StoreError) -> RefreshFamily?,
            read: @escaping @Sendable (FamilyID) async throws(StoreError) -> RefreshFamily?,
            revokeForReuse: @escaping @Sendable (FamilyID, UInt64, Date) async throws(StoreError) -> RefreshFamily?
        ) {
            self.swap = swap
            self.read = read
            self.revokeForReuse = revokeForReuse
        }
    }

    /// Runs the rotation.
    /// - Parameters:
    ///   - request: the presented token and its successor.
    ///   - primitives: the store's statements.
    ///   - attempts: how many times the steps may run before giving up (default 16).
    ///   - onRetry: called each time the steps run again.
    /// - Returns: the outcome, as ``RefreshFamily/applying(_:)`` would give it.
    /// - Throws: ``StoreError`` from a primitive, or `.conflict` if the family kept moving
    ///   for `attempts` rounds.
    public static func rotate(_ request: RotationRequest, _ primitives: Primitives, attempts: Int = 16,
                              onRetry: () -> Void = {}) async throws(StoreError) -> RotationOutcome {
        for attempt in 0..<max(1, attempts) {
            if attempt > 0 { onRetry() }
            if let rotated = try await primitives.swap(request) { return .rotated(rotated) }
            guard let family = try await primitives.read(request.family) else { return .notFound }
            switch family.decide(request) {
            case .rotate:
                // The swap matched nothing, yet the family read back says "current and live".
                // Revocation is permanent and generations only grow, so the one difference left
                // is the expiry instant itself: the store compared seconds since 1970, `decide`
                // compares `Date`s, and the two roundings can disagree within ~1e-7 s of
                // `expiresAt` or `idleExpiresAt`. The store's verdict (expired) stands.
                return .expired(family)
            case .graceReplay: return .graceReplay(family)
            case .revoked: return .revoked(family)
            case .expired: return .expired(family)
            case .mismatch: return .mismatch
            case .reuse:
                if let revoked = try await primitives.revokeForReuse(request.family, family.generation, request.now) {
                    return .reuseDetected(revoked)
                }
                continue // Rotated or revoked meanwhile: decide again on the new state.
            }
        }
        throw StoreError(.conflict, "rotation did not settle after \(attempts) attempts")
    }
}
