import TokenAuth
import TokenResults
import TokenHTTPClient

/// Something the driver can load: our core in-process, a no-op, or an HTTP endpoint.
/// Implementations must be safe to call from many tasks at once.
public protocol LoadTarget: Sendable {
    /// A short name for results (`in-process`, `noop`, the URL).
    var name: String { get }
    /// Step 1 of the flow: username and password for tokens.
    func login(username: String, password: String) async -> TargetOutcome<IssuedTokens>
    /// Step 2: a protected resource with an access token.
    func access(accessToken: String) async -> TargetOutcome<Void>
    /// Steps 4–6: a refresh token for a rotated pair.
    func refresh(refreshToken: String) async -> TargetOutcome<IssuedTokens>
    /// Logout: revoke the session of a refresh token (RFC 7009).
    func logout(refreshToken: String) async -> TargetOutcome<Void>
    /// Logout of a session whose current tokens are these: a target whose logout presents the
    /// access token (``HTTPProfile/revokeWith``) uses it. By default ``logout(refreshToken:)``.
    func logout(refreshToken: String, accessToken: String) async -> TargetOutcome<Void>
    /// Whether ``logout(refreshToken:)`` sends anything. A target that cannot revoke (a profile
    /// without a revocation path) ends sessions by abandoning them: a logout it cannot send is
    /// never counted as done, and the shadow model expects nothing of it.
    var canRevoke: Bool { get }
    /// `true` when operations wait on I/O (HTTP): the driver then gives every virtual user its
    /// own lane so that all users can have a request in flight at once. `false` (the default)
    /// runs each worker's users inline, one operation at a time.
    var operationsWaitOnIO: Bool { get }
    /// `true` when outcomes carry HTTP statuses worth counting per operation
    /// (`responses_by_status`); by default ``operationsWaitOnIO``.
    var countsStatuses: Bool { get }
    /// With ``operationsWaitOnIO``: the serial executor worker `index` runs its lanes on (for
    /// HTTP, the event loop its connections live on), or `nil` for a private serial queue.
    func laneExecutor(worker index: Int) -> (any TaskExecutor)?
    /// Connection set-up so far (HTTP targets), else `nil`.
    func connectionSummary() -> ConnectionSummary?
    /// The crypto library the target computes with when it runs in this process (the
    /// in-process core), else `nil`: an HTTP server's library is its own.
    var crypto: (any CryptoBackend)? { get }
}

extension LoadTarget {
    public func logout(refreshToken: String, accessToken: String) async -> TargetOutcome<Void> {
        await logout(refreshToken: refreshToken)
    }
    public func connectionSummary() -> ConnectionSummary? { nil }
    public var canRevoke: Bool { true }
    public var operationsWaitOnIO: Bool { false }
    public var countsStatuses: Bool { operationsWaitOnIO }
    public func laneExecutor(worker index: Int) -> (any TaskExecutor)? { nil }
    public var crypto: (any CryptoBackend)? { nil }
}
