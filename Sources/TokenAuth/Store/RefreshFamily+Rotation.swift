import Foundation

/// The compare-and-swap a store performs atomically when a refresh token is presented.
///
/// A store receives one of these, and in **one atomic step** (one locked section, one SQL
/// statement, one Lua script) reads the family, decides with
/// ``RefreshFamily/decide(_:)`` (or the same rules written in SQL or Lua), applies the
/// decision and answers with a ``RotationOutcome``.
public struct RotationRequest: Sendable, Hashable {
    public var family: FamilyID
    /// Generation of the presented token.
    public var presentedGeneration: UInt64
    /// Digest of the presented token.
    public var presentedDigest: TokenDigest
    /// Digest of the successor (`presentedGeneration + 1`), written on rotation.
    public var successorDigest: TokenDigest
    /// The instant of the request.
    public var now: Date
    /// Grace window, seconds (0 disables).
    public var graceWindow: TimeInterval
    /// Idle timeout, seconds, or `nil`.
    public var idleTimeout: TimeInterval?

    public init(family: FamilyID, presentedGeneration: UInt64, presentedDigest: TokenDigest,
                successorDigest: TokenDigest, now: Date, graceWindow: TimeInterval, idleTimeout: TimeInterval?) {
        self.family = family
        self.presentedGeneration = presentedGeneration
        self.presentedDigest = presentedDigest
        self.successorDigest = successorDigest
        self.now = now
        self.graceWindow = graceWindow
        self.idleTimeout = idleTimeout
    }
}

/// What a store did with a ``RotationRequest``.
public enum RotationOutcome: Sendable, Hashable {
    /// The presented token was current; the family now stands at the successor (returned).
    case rotated(RefreshFamily)
    /// The presented token is the immediate predecessor of the current one and its rotation
    /// happened less than `graceWindow` ago: nothing changed; the current token is the answer.
    case graceReplay(RefreshFamily)
    /// A spent token was presented outside the grace window, or an older one at any time: the
    /// family has been revoked by this very step (RFC 9700 §4.14.2).
    case reuseDetected(RefreshFamily)
    /// The family was already revoked; nothing changed (revocation wins over any grace window).
    case revoked(RefreshFamily)
    /// The family is past its absolute lifetime or idle timeout; nothing changed.
    case expired(RefreshFamily)
    /// No such family (never existed or purged); nothing changed.
    case notFound
    /// The presented generation/digest matches no token of the family; nothing changed.
    case mismatch
}

/// The decision of the rotation compare-and-swap, before it is applied.
public enum RotationDecision: Sendable, Hashable {
    case rotate, graceReplay, reuse, revoked, expired, mismatch
}

extension RefreshFamily {
    /// Decides what a refresh request does to this family. Pure: the rules every store applies.
    ///
    /// In order: revoked → `.revoked` (revocation wins); expired → `.expired` (no reuse event);
    /// presented == current → `.rotate`; presented == current − 1 and less than
    /// `graceWindow` seconds since the rotation → `.graceReplay`; presented < current →
    /// `.reuse`; anything else → `.mismatch`.
    public func decide(_ request: RotationRequest) -> RotationDecision {
        if isRevoked { return .revoked }
        if isExpired(at: request.now) { return .expired }
        if request.presentedGeneration == generation {
            return request.presentedDigest == currentDigest ? .rotate : .mismatch
        }
        if request.presentedGeneration < generation {
            if request.presentedGeneration == generation - 1,
               let previous = previousDigest, previous == request.presentedDigest,
               request.now.timeIntervalSince(issuedAt) < request.graceWindow {
                return .graceReplay
            }
            return .reuse
        }
        return .mismatch
    }

    /// Applies ``decide(_:)`` to a copy and returns the outcome; stores that keep
    /// ``RefreshFamily`` values (the memory store) write back the family of the outcome.
    public func applying(_ request: RotationRequest) -> RotationOutcome {
        var family = self
        switch decide(request) {
        case .rotate:
            family.generation += 1
            family.previousDigest = family.currentDigest
            family.currentDigest = request.successorDigest
            family.issuedAt = request.now
            if let idle = request.idleTimeout {
                family.idleExpiresAt = min(family.expiresAt, request.now.addingTimeInterval(idle))
            }
            return .rotated(family)
        case .graceReplay:
            return .graceReplay(family)
        case .reuse:
            family.revokedAt = request.now
            family.revocationReason = .reuse
            return .reuseDetected(family)
        case .revoked:
            return .revoked(family)
        case .expired:
            return .expired(family)
        case .mismatch:
            return .mismatch
        }
    }
}
