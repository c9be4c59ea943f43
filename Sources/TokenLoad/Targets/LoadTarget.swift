import TokenAuth
import TokenResults
import TokenHTTPClient
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

/// What a target said when it did not succeed: enough to record the error by HTTP status and
/// by the server's own error code, and to quote it in a message. Never holds a token.
public struct FailureDetail: Sendable, Hashable {
    /// The HTTP status; `nil` in-process, or when no answer came (transport failure).
    public var status: Int?
    /// The server's error code: RFC 6749 §5.2 `error`, else a `code` field (as
    /// djangorestframework-simplejwt sends), at most 64 characters of `[A-Za-z0-9_.-]`.
    public var code: String?
    /// One short line: the server's `error_description` (or `detail`), or what failed on the
    /// way (connection refused, timed out, TLS certificate not trusted).
    public var message: String?
    /// The endpoint, for messages: `refresh POST http://127.0.0.1:8000/api/token/refresh/`.
    public var endpoint: String?

    public init(status: Int? = nil, code: String? = nil, message: String? = nil, endpoint: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.endpoint = endpoint
    }

    /// `404`, `401 invalid_client "Client authentication failed"`, `no answer (connection refused)`.
    public var summary: String {
        var parts: [String] = []
        if let status { parts.append(String(status)) } else { parts.append("no answer") }
        if let code { parts.append(code) }
        if let message, !message.isEmpty { parts.append(status == nil ? "(\(message))" : "\"\(message)\"") }
        return parts.joined(separator: " ")
    }
}

/// How an operation against a target ended.
public enum TargetOutcome<Value: Sendable>: Sendable {
    /// Success.
    case ok(Value)
    /// The target refused the request the way the protocol says it should refuse a bad one
    /// (`invalid_grant`, `invalid_token`, 400/401): expected for hostile traffic, an error otherwise.
    case rejected(RejectionKind, FailureDetail = FailureDetail())
    /// The target failed: unavailable store, 5xx, transport error, wrong endpoint.
    case failed(ErrorKind, FailureDetail = FailureDetail())

    /// Whether the outcome is a success.
    public var succeeded: Bool {
        if case .ok = self { return true }
        return false
    }

    /// The detail of a refusal or failure, `nil` on success.
    public var detail: FailureDetail? {
        switch self {
        case .ok: nil
        case .rejected(_, let d), .failed(_, let d): d
        }
    }
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
    /// Connection refused, reset or timed out.
    case transport
    /// The TLS handshake failed: a certificate not trusted or not naming the host, or no
    /// common protocol version or cipher.
    case tls
    /// An answer of a shape the profile does not expect.
    case badResponse = "bad_response"
    /// The endpoint does not exist as the profile describes it: 404, 405, 415 or 501 from an
    /// endpoint that has not answered with success in this run. The tool's configuration is
    /// wrong, not the server: a run stops at once (exit 69).
    case wrongEndpoint = "wrong_endpoint"
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
    /// Whether ``logout(refreshToken:)`` sends anything. A target that cannot revoke (a profile
    /// without a revocation path) ends sessions by abandoning them: a logout it cannot send is
    /// never counted as done, and the shadow model expects nothing of it.
    var canRevoke: Bool { get }
    /// `true` when operations wait on I/O (HTTP): the driver then gives every virtual user its
    /// own lane so that all users can have a request in flight at once. `false` (the default)
    /// runs each worker's users inline, one operation at a time.
    var operationsWaitOnIO: Bool { get }
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
    public func connectionSummary() -> ConnectionSummary? { nil }
    public var canRevoke: Bool { true }
    public var operationsWaitOnIO: Bool { false }
    public func laneExecutor(worker index: Int) -> (any TaskExecutor)? { nil }
    public var crypto: (any CryptoBackend)? { nil }
}

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

/// Which server of a several-server target a request should go to (``HTTPTarget`` with
/// several URLs); unset: the next in turn.
public enum TargetNode {
    /// Set around the two requests of a two-tab refresh, so that they land on two servers.
    @TaskLocal public static var preferred: Int?
}
