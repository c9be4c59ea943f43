import Foundation

/// The source of "now" for every time-based rule in the core (token expiry, grace window,
/// family lifetime). Core logic never reads the wall clock directly, so tests run on a
/// ``ManualClock`` (STYLE.md rule 5, after jwt-kit's `verifyNotExpired(currentDate:)`).
public protocol AuthClock: Sendable {
    /// The current instant.
    var now: Date { get }
}

/// The wall clock.
public struct SystemClock: AuthClock {
    public init() {}
    public var now: Date { Date() }
}

/// A clock that moves only when told to: for tests and for deterministic replays.
public final class ManualClock: AuthClock {
    private let instant: Locked<Date>

    /// - Parameter start: the initial instant; defaults to 2026-01-01T00:00:00Z.
    public init(start: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        self.instant = Locked(start)
    }

    public var now: Date { instant.withLock { $0 } }

    /// Moves the clock forward.
    /// - Parameter seconds: how far, in seconds (may be fractional; negative moves back).
    public func advance(by seconds: TimeInterval) {
        instant.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// Sets the clock to an instant.
    public func set(_ date: Date) {
        instant.withLock { $0 = date }
    }
}
