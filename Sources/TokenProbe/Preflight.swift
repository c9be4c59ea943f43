import TokenLoad
import TokenResults
import TokenHTTPClient
/// One session through every endpoint a run or a probe will use, before it starts: a login, a
/// resource call, a refresh and (when the profile can revoke) a revocation. A wrong path,
/// field, client credential or certificate then fails at once with one line naming the
/// endpoint, its method, URL and status and what the server said, instead of a run that
/// measures only errors or blames the server for them. It also reads what the answers tell of
/// the server: the access-token lifetime (`expires_in`, else the JWT's `exp − iat`) and, for a
/// JWS refresh token, the refresh-token lifetime.
public enum Preflight {
    /// What the preflight learned of the server.
    public struct Findings: Sendable, Hashable {
        /// The access-token lifetime, seconds.
        public var accessLifetime: Double
        /// `expires_in`, `jwt` or `--access-ttl`.
        public var accessLifetimeSource: String
        /// The refresh token's `exp − iat` when it is a JWS, seconds.
        public var refreshLifetime: Double?
        /// Whether the access token is a compact JWS.
        public var accessTokenIsJWS: Bool
        /// Whether the refresh answer carried a new refresh token (a rotation) rather than none
        /// or the same one (the server keeps its tokens, RFC 6749 §6).
        public var rotates: Bool = true
    }

    /// Why the preflight failed: one line, and the exit code it means (69: the server refused
    /// or is not there; 64: the tool's settings cannot work, e.g. a certificate that does not
    /// verify, or a lifetime nobody gave).
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        /// ``Verdict/unreachable`` (69) or ``Verdict/badInput`` (64).
        public var verdict: Verdict
        public var exitCode: Int32 { verdict.exitCode }
        public var description: String { message }
    }

    /// Runs the preflight as user 0 of `credentials`.
    /// - Parameters:
    ///   - target: the server and its profile.
    ///   - accessTTL: `--access-ttl` when given: the lifetime when answers have no `expires_in`
    ///     and access tokens are not JWTs.
    /// - Returns: the findings, or the failure.
    ///   - users: the run's accounts, `user0 … user{users−1}` (or the credentials' patterns):
    ///     the last one logs in too, so that a range larger than the server's fails at once.
    public static func run(_ target: HTTPTarget, credentials: Credentials, accessTTL: Double?, users: Int = 1) async -> Result<Findings, Failure> {
        var probe = target.readingRotationAsIs
        probe.defaultExpiresIn = .nan // marks "no expires_in" in the answers below
        let account = credentials.credentials(0)
        let login: IssuedTokens
        switch await probe.login(username: account.username, password: account.password) {
        case .ok(let tokens): login = tokens
        case let other:
            return .failure(failure(.login, other, target, hint: "check the login path, fields and grant type, the client (--client-id, --client-secret) and the accounts (the login of '\(account.username)')"))
        }
        switch await probe.access(accessToken: login.accessToken) {
        case .ok: break
        case let other:
            return .failure(failure(.resource, other, target, hint: "check --resource-path and --access-token-in: it must answer 2xx to GET with the access token (as Bearer, or in its cookie)"))
        }
        let refreshed: IssuedTokens
        switch await probe.refresh(refreshToken: login.refreshToken) {
        case .ok(let tokens): refreshed = tokens
        case let other:
            return .failure(failure(.refresh, other, target, hint: "check the refresh path, --refresh-token-field, --refresh-grant-type, --refresh-token-in and, for cookies, --csrf-cookie and --csrf-header"))
        }
        if users > 1 {
            let last = credentials.credentials(users - 1)
            switch await probe.login(username: last.username, password: last.password) {
            case .ok: break
            case let other:
                return .failure(failure(.login, other, target, hint: "the login of '\(last.username)', the last of --users \(users), was refused: does the server have \(users) accounts? (lower --users, or give --users-csv)"))
            }
        }
        let rotates = refreshed.refreshToken != login.refreshToken
        switch (target.profile.rotation, rotates) {
        case (.always, false):
            return .failure(Failure(
                message: "--rotation always, but the server kept its refresh token: its refresh answer had \(refreshed.refreshToken.isEmpty ? "none" : "the same one") at \(target.profile.refreshTokenPointer) (give --rotation auto to judge a server that keeps its tokens)",
                verdict: .badInput))
        case (.never, true):
            return .failure(Failure(
                message: "--rotation never, but the server rotated: its refresh answer carried a new refresh token at \(target.profile.refreshTokenPointer) (give --rotation auto)",
                verdict: .badInput))
        default: break
        }
        if target.canRevoke {
            switch await probe.logout(refreshToken: refreshed.refreshToken, accessToken: refreshed.accessToken) {
            case .ok: break
            case let other:
                return .failure(failure(.revoke, other, target, hint: "check --revoke-path, --revoke-token-in, --revoke-token-field and --revoke-with, or give --revoke-path none if the server has no revocation"))
            }
        }
        let lifetime: Double
        let source: String
        if !login.expiresIn.isNaN {
            (lifetime, source) = (login.expiresIn, "expires_in")
        } else if let jwt = [login.accessToken, refreshed.accessToken].compactMap(JWSClaims.lifetime).max() {
            // Two tokens, the longer lifetime: a server that reads the clock for `exp` and again
            // for `iat` writes `exp − iat` one second short when the two reads straddle a second
            // (djangorestframework-simplejwt counts an access token's `exp` from its refresh
            // token's creation and its `iat` from its own, whole seconds each); two tokens
            // rarely both do.
            (lifetime, source) = (jwt, "jwt")
        } else if let accessTTL {
            (lifetime, source) = (accessTTL, "--access-ttl")
        } else {
            return .failure(Failure(
                message: "the server's token answers have no expires_in (at \(target.profile.expiresInPointer)) and its access tokens are not JWTs with exp and iat: give --access-ttl, the access-token lifetime",
                verdict: .badInput))
        }
        return .success(Findings(accessLifetime: lifetime, accessLifetimeSource: source,
                                 refreshLifetime: JWSClaims.lifetime(of: HTTPTarget.unpack(login.refreshToken).token),
                                 accessTokenIsJWS: JWSClaims.isJWS(login.accessToken), rotates: rotates))
    }

    package static func failure<Value>(_ endpoint: HTTPTarget.Endpoint, _ outcome: TargetOutcome<Value>, _ target: HTTPTarget, hint: String) -> Failure {
        let detail = outcome.detail ?? FailureDetail()
        let name = detail.endpoint ?? target.describe(endpoint)
        switch outcome {
        case .failed(.tls, _):
            return Failure(message: "\(name): \(detail.message ?? "TLS handshake failed")", verdict: .badInput)
        case .failed(.transport, _):
            return Failure(message: "\(name): \(detail.summary): is the server running at \(target.baseURL)?", verdict: .unreachable)
        case .failed(.wrongEndpoint, _):
            return Failure(message: "\(name) answered \(detail.summary): the server does not serve this path, method or body format (\(endpoint.pathFlag), --body-format)", verdict: .unreachable)
        default:
            return Failure(message: "\(name) answered \(detail.summary): \(hint)", verdict: .unreachable)
        }
    }
}
