/// The tokens a login or a refresh hands back to a virtual user.
public struct IssuedTokens: Sendable, Hashable {
    public var accessToken: String
    public var refreshToken: String
    /// Seconds until the access token expires.
    public var expiresIn: Double

    public init(accessToken: String, refreshToken: String, expiresIn: Double) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
    }
}

/// How an operation against a target ended.
public enum TargetOutcome<Value: Sendable>: Sendable {
    /// Success.
    case ok(Value)
    /// The target refused the request the way the protocol says it should refuse a bad one
    /// (`invalid_grant`, `invalid_token`, 400/401): expected for hostile traffic, an error otherwise.
    case rejected(RejectionKind)
    /// The target failed: unavailable store, 5xx, transport error.
    case failed(ErrorKind)
}

/// Protocol-level refusals.
public enum RejectionKind: String, Sendable, Hashable, Codable, CaseIterable {
    case invalidGrant = "invalid_grant"
    case invalidToken = "invalid_token"
    case invalidRequest = "invalid_request"
    case rateLimited = "rate_limited"
}

/// Failures: something broke.
public enum ErrorKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The store could not be reached (HTTP 503, `temporarily_unavailable`).
    case storeUnavailable = "store_unavailable"
    /// A 5xx other than 503.
    case serverError = "server_error"
    /// Connection refused, reset, timed out.
    case transport
    /// An answer of a shape the profile does not expect.
    case badResponse = "bad_response"
}

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
    /// `true` when operations wait on I/O (HTTP): the driver then gives every virtual user its
    /// own lane so that all users can have a request in flight at once. `false` (the default)
    /// runs each worker's users inline, one operation at a time.
    var operationsWaitOnIO: Bool { get }
    /// With ``operationsWaitOnIO``: the serial executor worker `index` runs its lanes on (for
    /// HTTP, the event loop its connections live on), or `nil` for a private serial queue.
    func laneExecutor(worker index: Int) -> (any TaskExecutor)?
}

extension LoadTarget {
    public var operationsWaitOnIO: Bool { false }
    public func laneExecutor(worker index: Int) -> (any TaskExecutor)? { nil }
}

/// A target that answers at once without doing anything: measures the driver's own
/// scheduling overhead (its ceiling in operations per second).
public struct NoOpTarget: LoadTarget {
    public init() {}
    public var name: String { "noop" }
    static let tokens = IssuedTokens(accessToken: "a", refreshToken: "r", expiresIn: 3600)
    public func login(username: String, password: String) async -> TargetOutcome<IssuedTokens> { .ok(Self.tokens) }
    public func access(accessToken: String) async -> TargetOutcome<Void> { .ok(()) }
    public func refresh(refreshToken: String) async -> TargetOutcome<IssuedTokens> { .ok(Self.tokens) }
    public func logout(refreshToken: String) async -> TargetOutcome<Void> { .ok(()) }
}
