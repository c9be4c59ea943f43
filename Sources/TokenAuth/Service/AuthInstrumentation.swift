import Dispatch

/// The phases of a request that a load run measures separately (in-process targets only).
public enum AuthPhase: String, CaseIterable, Sendable, Hashable, Codable {
    /// One password-hash verification (argon2id or bcrypt) at login.
    case passwordHash = "password_hash"
    /// Signing one access token.
    case sign
    /// Verifying one access token (header checks, signature, claims).
    case verify
    /// `RefreshTokenStore.family(_:)`.
    case storeLookup = "store_lookup"
    /// `RefreshTokenStore.rotate(_:)`: the compare-and-swap.
    case storeRotate = "store_rotate"
    /// `RefreshTokenStore.create(_:)`.
    case storeCreate = "store_create"
    /// `RefreshTokenStore.revoke(_:at:reason:)`.
    case storeRevoke = "store_revoke"
    /// `RefreshTokenStore.revokeAll(subject:at:)`.
    case storeRevokeAll = "store_revoke_all"
}

/// Receives phase timings from an ``AuthService``. Called on the request's own task; keep it
/// cheap (a histogram record). Timings come from the monotonic clock, never the wall clock.
public protocol AuthInstrumentation: Sendable {
    /// - Parameters:
    ///   - phase: which phase.
    ///   - nanoseconds: how long it took, ns.
    func record(_ phase: AuthPhase, nanoseconds: UInt64)
}

/// Times one phase when instrumentation is present; costs one `nil` check otherwise.
struct PhaseTimer {
    let instrumentation: (any AuthInstrumentation)?
    let start: UInt64

    @inline(__always)
    init(_ instrumentation: (any AuthInstrumentation)?) {
        self.instrumentation = instrumentation
        self.start = instrumentation == nil ? 0 : DispatchTime.now().uptimeNanoseconds
    }

    @inline(__always)
    func stop(_ phase: AuthPhase) {
        guard let instrumentation else { return }
        instrumentation.record(phase, nanoseconds: DispatchTime.now().uptimeNanoseconds &- start)
    }
}
