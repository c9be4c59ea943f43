import TokenAuth
import TokenResults
import TokenHTTPClient

/// A target that answers at once without doing anything: measures the driver's own
/// scheduling overhead (its ceiling in operations per second).
public struct NoOpTarget: LoadTarget {
    package let tokens: IssuedTokens
    /// - Parameter expiresIn: the lifetime its access tokens claim, seconds, so that the
    ///   sessions refresh as against a real target.
    public init(expiresIn: Double = 3600) {
        tokens = IssuedTokens(accessToken: "a", refreshToken: "r", expiresIn: expiresIn)
    }
    public var name: String { "noop" }
    /// It revokes nothing (every token keeps working), so its sessions are abandoned, never
    /// logged out: a logout it answers would otherwise be a revocation it ignores.
    public var canRevoke: Bool { false }
    public func login(username: String, password: String) async -> TargetOutcome<IssuedTokens> { .ok(tokens) }
    public func access(accessToken: String) async -> TargetOutcome<Void> { .ok(()) }
    public func refresh(refreshToken: String) async -> TargetOutcome<IssuedTokens> { .ok(tokens) }
    public func logout(refreshToken: String) async -> TargetOutcome<Void> { .ok(()) }
}
