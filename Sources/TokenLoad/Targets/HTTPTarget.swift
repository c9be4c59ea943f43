import ExtrasBase64
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import TokenResults
import TokenPool
import TokenHTTPClient

/// Any HTTP or HTTPS token endpoint, spoken to through an ``HTTPProfile`` over a keep-alive
/// connection pool (``HTTP1Client``: SwiftNIO's HTTP/1.1 codecs, swift-nio-ssl for HTTPS).
///
/// Answers are classified per RFC 6749 §5.2 / RFC 6750 §3: 200 → ok; 400 with
/// `invalid_grant` → rejected (invalid grant); 400 otherwise → rejected (invalid request);
/// 401 → rejected (invalid token at the resource, invalid grant at the token endpoint); any
/// other 4xx → rejected (refused is refused: 403, 404 after a success, 422 …);
/// 429 → rejected (rate limited); 503 → failed (store unavailable); other 5xx → failed
/// (server error); a connection failure or timeout → failed (transport); a failed TLS
/// handshake → failed (tls); a 200 without the tokens the profile names → failed (bad
/// response). A 3xx, 404, 405, 415 or 501 from an endpoint that has not yet answered with
/// success in this run means the profile names a path, method or body format the server does
/// not serve → failed (wrong endpoint): the tool's configuration, not the server, is wrong.
/// Every refusal and failure carries its status, the server's error code and the endpoint
/// (``FailureDetail``).
public struct HTTPTarget: LoadTarget {
    /// The endpoints of a profile, for messages and for "has it ever answered with success".
    public enum Endpoint: Int, Sendable, CaseIterable {
        case login, refresh, resource, revoke, logoutAll

        public var name: String {
            switch self {
            case .login: "login"
            case .refresh: "refresh"
            case .resource: "resource"
            case .revoke: "revoke"
            case .logoutAll: "logout-all"
            }
        }

        /// The flag that sets this endpoint's path.
        public var pathFlag: String {
            switch self {
            case .login: "--login-path"
            case .refresh: "--refresh-path"
            case .resource: "--resource-path"
            case .revoke: "--revoke-path"
            case .logoutAll: "--logout-all-path"
            }
        }
    }

    public let baseURL: String
    /// `scheme://host[:port]` of each server's URL.
    package let origins: [String]
    /// `scheme://host[:port]` of the first server (messages about the target as a whole).
    package var origin: String { origins[0] }
    public private(set) var profile: HTTPProfile

    /// This target reading refresh answers with rotation `auto`: the preflight sees what the
    /// server does before it holds the server to `--rotation`.
    package var readingRotationAsIs: HTTPTarget {
        var copy = self
        copy.profile.rotation = .auto
        return copy
    }
    /// Per server, one client per event loop; a worker's lanes run on their loop and use that
    /// loop's client of the server a request goes to.
    package let servers: [[HTTP1Client]]
    /// Every client of every server.
    package var clients: [HTTP1Client] { servers.flatMap { $0 } }
    /// Requests go to the servers in turn.
    private let nextServer = RoundRobin()
    /// A path prefix from the URL (empty for `http://host:port`).
    package let basePath: String
    /// `http` or `https`.
    package let scheme: String
    /// The resource's request target, made once (it is on every access).
    package let resourceURI: String
    package let accessPointer: JSONPointer
    package let refreshPointer: JSONPointer
    package let expiresPointer: JSONPointer
    /// ``HTTPProfile/errorPointer``, parsed.
    package let errorPointer: JSONPointer?
    /// The access-token lifetime when an answer has no `expires_in`, seconds: the JWT's
    /// `exp − iat` or `--access-ttl`, as the preflight found (``Preflight``).
    public var defaultExpiresIn: Double
    package let basicAuthorization: String?
    /// Whether each endpoint has answered with success in this run.
    package let succeeded: EndpointRecord

    public var name: String { baseURL }
    /// How many servers requests are spread over (one per `--target` URL).
    public var serverCount: Int { servers.count }
    public var operationsWaitOnIO: Bool { true }
    public var canRevoke: Bool { profile.revokePath != nil }

    /// Worker `index` runs its lanes on event loop `index mod loops`, where its connections live.
    public func laneExecutor(worker index: Int) -> (any TaskExecutor)? {
        EventLoopTaskExecutor(servers[0][index % servers[0].count].group.next())
    }

    /// The server of the next request: ``TargetNode/preferred`` when set (the two tabs of a
    /// concurrent refresh go to two servers), else the next in turn.
    private func pickServer() -> Int {
        guard servers.count > 1 else { return 0 }
        if let node = TargetNode.preferred { return abs(node) % servers.count }
        return nextServer.next.wrappingAdd(1, ordering: .relaxed).oldValue % servers.count
    }

    /// That server's client on the event loop we are on (a worker's lane), else its first.
    private func client(_ server: Int) -> HTTP1Client {
        for c in servers[server] where c.group.next().inEventLoop { return c }
        return servers[server][0]
    }

    /// - Parameters:
    ///   - url: `http://HOST[:PORT][/PATH]` or `https://…` (a path prefixes the profile's paths);
    ///     several, comma-separated, of one scheme and path: servers of one service, which
    ///     requests are spread over in turn.
    ///   - profile: how to speak to the server.
    ///   - connections: the most keep-alive connections opened to the server.
    ///   - timeout: per request, seconds.
    ///   - defaultExpiresIn: the access-token lifetime when answers lack `expires_in`, seconds.
    ///   - tls: how to trust an HTTPS server (ignored for `http://`).
    /// - Throws: ``HTTPTargetError`` for a URL that is not `http(s)://HOST[:PORT][/PATH]`, a
    ///   pointer that is not RFC 6901, a profile that sends a field twice, or an unusable CA file.
    public init(url: String, profile: HTTPProfile, connections: Int, timeout: Double = 10, defaultExpiresIn: Double = 300,
                tls: TLSSettings = TLSSettings()) throws(HTTPTargetError) {
        let urls = url.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var parsedURLs: [(url: URL, scheme: String, host: String, path: String)] = []
        for one in urls {
            guard let parsed = URL(string: one), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
                  let host = parsed.host, !host.isEmpty, parsed.query == nil, parsed.user == nil, parsed.fragment == nil else {
                throw HTTPTargetError("--target", "an http:// or https:// URL such as http://127.0.0.1:8080 or https://auth.example.com, or several separated by commas")
            }
            let path = parsed.path == "/" ? "" : (parsed.path.hasSuffix("/") ? String(parsed.path.dropLast()) : parsed.path)
            if let first = parsedURLs.first, first.scheme != scheme || first.path != path {
                throw HTTPTargetError("--target", "servers of one service: URLs of one scheme and path (got \(Redaction.url(urls[0])) and \(Redaction.url(one)))")
            }
            parsedURLs.append((parsed, scheme, host, path))
        }
        let scheme = parsedURLs[0].scheme
        guard let access = JSONPointer(profile.accessTokenPointer) else { throw HTTPTargetError("--access-token-pointer", "an RFC 6901 JSON pointer such as /access_token") }
        guard let refresh = JSONPointer(profile.refreshTokenPointer) else { throw HTTPTargetError("--refresh-token-pointer", "an RFC 6901 JSON pointer such as /refresh_token") }
        guard let expires = JSONPointer(profile.expiresInPointer) else { throw HTTPTargetError("--expires-in-pointer", "an RFC 6901 JSON pointer such as /expires_in") }
        let errorPointer = try profile.errorPointer.map { (text) throws(HTTPTargetError) -> JSONPointer in
            guard let pointer = JSONPointer(text) else { throw HTTPTargetError("--error-pointer", "an RFC 6901 JSON pointer such as /error/code") }
            return pointer
        }
        try profile.validate()
        let context = scheme == "https" ? try tls.makeContext() : nil
        self.scheme = scheme
        baseURL = urls.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }.joined(separator: ",")
        origins = parsedURLs.map { p in "\(scheme)://\(p.host.contains(":") ? "[\(p.host)]" : p.host)" + (p.url.port.map { ":\($0)" } ?? "") }
        basePath = parsedURLs[0].path
        self.profile = profile
        resourceURI = basePath + profile.resourcePath
        accessPointer = access
        refreshPointer = refresh
        expiresPointer = expires
        self.errorPointer = errorPointer
        self.defaultExpiresIn = defaultExpiresIn
        succeeded = EndpointRecord()
        if let id = profile.clientID, let secret = profile.clientSecret {
            basicAuthorization = "Basic " + Data("\(FormURLEncoding.escape(id)):\(FormURLEncoding.escape(secret))".utf8).base64EncodedString()
        } else {
            basicAuthorization = nil
        }
        let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        // --connections is the whole pool: split over the servers, then over the loops.
        let perServer = max(1, (connections + parsedURLs.count - 1) / parsedURLs.count)
        let perLoop = max(1, (perServer + loops.count - 1) / loops.count)
        servers = parsedURLs.map { p in
            let port = p.url.port ?? (scheme == "https" ? 443 : 80)
            // SNI names a host, never an address (RFC 6066 §3); for an address NIOSSL checks the
            // certificate's IP subjectAltName against the peer instead.
            let isAddress = (try? SocketAddress(ipAddress: p.host, port: 0)) != nil
            let tlsContext = context.map { ($0, isAddress ? nil : p.host) }
            return loops.map {
                HTTP1Client(host: p.host, port: port, connections: perLoop, timeout: .nanoseconds(Int64(timeout * 1e9)), group: $0,
                            tls: tlsContext)
            }
        }
    }

    /// Closes the connection pool. Call once the run is over.
    public func shutdown() async {
        for c in clients { c.shutdown() }
    }

    /// Connection set-up over every client so far (TCP connect, TLS handshake, pool waits).
    package var connectionStatistics: ConnectionStatistics {
        var total = ConnectionStatistics()
        for c in clients { total.add(c.statistics.withLockedValue { $0 }) }
        return total
    }

    public func connectionSummary() -> ConnectionSummary? {
        let s = connectionStatistics
        return ConnectionSummary(
            opened: s.opened, failed: s.failed, connectUs: LatencySummary(s.connect),
            tlsHandshakeUs: scheme == "https" ? LatencySummary(s.tlsHandshake) : nil,
            poolWaitUs: s.poolWait.totalCount > 0 ? LatencySummary(s.poolWait) : nil, poolWaits: Int(s.poolWait.totalCount))
    }

    /// The URL of an endpoint: `https://auth.example.com/oauth/token`.
    public func url(of endpoint: Endpoint) -> String {
        origin + basePath + (path(of: endpoint) ?? "")
    }

    package func path(of endpoint: Endpoint) -> String? {
        switch endpoint {
        case .login: profile.loginPath
        case .refresh: profile.refreshPath
        case .resource: profile.resourcePath
        case .revoke: profile.revokePath
        case .logoutAll: profile.logoutAllPath
        }
    }

    package func method(of endpoint: Endpoint) -> String { endpoint == .resource ? "GET" : "POST" }

    /// `refresh POST http://127.0.0.1:8000/api/token/refresh/`, at the first server or `server`.
    package func describe(_ endpoint: Endpoint, server: Int = 0) -> String {
        "\(endpoint.name) \(method(of: endpoint)) \(origins[server] + basePath + (path(of: endpoint) ?? ""))"
    }

    // MARK: LoadTarget

    public func login(username: String, password: String) async -> TargetOutcome<IssuedTokens> {
        await tokenAnswer(.login, await send(loginRequest(username: username, password: password), endpoint: .login))
    }

    /// The login request (password grant, RFC 6749 §4.3.2, or the profile's own login).
    package func loginRequest(username: String, password: String) -> HTTPRequestSpec {
        var fields: [(String, String)] = []
        if let grant = profile.loginGrantType { fields.append(("grant_type", grant)) }
        fields.append((profile.usernameField, username))
        fields.append((profile.passwordField, password))
        for f in profile.loginFields { fields.append((f.name, f.value)) }
        var request = HTTPRequestSpec(method: .POST, path: basePath + profile.loginPath)
        addHeaders(&request.headers)
        addClient(&fields, &request.headers)
        setBody(&request, fields)
        return request
    }

    public func refresh(refreshToken: String) async -> TargetOutcome<IssuedTokens> {
        var (request, fields) = refreshRequest(refreshToken)
        addClient(&fields, &request.headers)
        setBody(&request, fields)
        return await tokenAnswer(.refresh, await send(request, endpoint: .refresh), presented: refreshToken)
    }

    public func access(accessToken: String) async -> TargetOutcome<Void> {
        let answer: Answer
        switch await send(resourceRequest(accessToken), endpoint: .resource, readJSON: false) {
        case .success(let a): answer = a
        case .failure(let failure): return .failed(failure.kind, failure.detail)
        }
        switch answer.status {
        case 200..<300:
            succeeded.mark(.resource)
            return .ok(())
        case 429: return .rejected(.rateLimited, detail(answer, .resource))
        case let s where profile.refusalStatuses.contains(s): return .rejected(.invalidToken, detail(answer, .resource))
        case let s where wrongEndpoint(s, .resource): return .failed(.wrongEndpoint, detail(answer, .resource))
        // Refused is refused: any 4xx but 429 (401 and 403 as RFC 6750 §3 says, 400 or 422
        // from servers that are not OAuth resource servers); whether the refusal has RFC 6750's
        // shape is judged apart (probe case X5).
        case 400..<500: return .rejected(.invalidToken, detail(answer, .resource))
        default: return .failed(failure(answer, .resource), detail(answer, .resource))
        }
    }

    public func logout(refreshToken: String) async -> TargetOutcome<Void> {
        await logout(refreshToken: refreshToken, accessToken: "")
    }

    /// Logout as the profile says: the token of ``HTTPProfile/revokeWith`` in the transport of
    /// ``HTTPProfile/revokeTokenIn``, with the refresh token's CSRF value when double-submit
    /// CSRF is on.
    public func logout(refreshToken: String, accessToken: String) async -> TargetOutcome<Void> {
        guard let request = logoutRequest(refreshToken: refreshToken, accessToken: accessToken) else { return .ok(()) }
        return await revokeAnswer(request)
    }

    /// The logout request, or `nil` when the profile has no revocation path.
    package func logoutRequest(refreshToken: String, accessToken: String) -> HTTPRequestSpec? {
        guard let path = profile.revokePath else { return nil }
        var request = HTTPRequestSpec(method: .POST, path: basePath + path)
        addHeaders(&request.headers)
        let held = Self.unpack(refreshToken)
        let token = profile.revokeWith == .refresh ? held.token : accessToken
        var fields: [(String, String)] = []
        var cookies: [(String, String)] = []
        present(token, profile.revokeTokenIn, field: profile.revokeTokenField, &fields, &request.headers, &cookies)
        if profile.revokeTokenIn == .body, let hint = profile.revokeTokenHint {
            // RFC 7009 §2.1: the hint names the kind of token sent.
            fields.append(("token_type_hint", profile.revokeWith == .access && hint == "refresh_token" ? "access_token" : hint))
        }
        for f in profile.revokeFields { fields.append((f.name, f.value)) }
        addCSRF(held.csrf, &request.headers, &cookies)
        addClient(&fields, &request.headers)
        setBody(&request, fields)
        return request
    }

    private func revokeAnswer(_ request: HTTPRequestSpec) async -> TargetOutcome<Void> {
        let answer: Answer
        switch await send(request, endpoint: .revoke) {
        case .success(let a): answer = a
        case .failure(let failure): return .failed(failure.kind, failure.detail)
        }
        switch answer.status {
        case 200..<300:
            succeeded.mark(.revoke)
            return .ok(())
        case let s where profile.refusalStatuses.contains(s): return .rejected(Self.rejection(s, answer.error), detail(answer, .revoke))
        case let s where wrongEndpoint(s, .revoke): return .failed(.wrongEndpoint, detail(answer, .revoke))
        case 400..<500: return .rejected(Self.rejection(answer.status, answer.error), detail(answer, .revoke))
        default: return .failed(failure(answer, .revoke), detail(answer, .revoke))
        }
    }

    // MARK: Requests

    package struct Answer {
        package var status: Int
        package var headers: HTTPHeaders
        package var json: Any?
        /// Which server answered (index into the target's URLs).
        package var server = 0
        /// ``HTTPProfile/errorPointer``: where this server writes its error label.
        package var errorPointer: JSONPointer? = nil
        /// The label at ``errorPointer``, else the RFC 6749 §5.2 `error` field, else a `code`
        /// field (djangorestframework-simplejwt).
        package var error: String? {
            if let errorPointer, let json, let label = Self.code(errorPointer.resolve(in: json)) { return label }
            guard let object = json as? [String: Any] else { return nil }
            return Self.code(object["error"]) ?? Self.code(object["code"])
        }
        /// `error_description`, else `detail`, `message` or `msg`, else FastAPI's first
        /// validation error, else the first field error of a
        /// validation answer (`{"refresh": ["This field is required."]}` → `refresh: This field
        /// is required.`): one line, at most 120 characters.
        package var message: String? {
            guard let object = json as? [String: Any] else { return nil }
            // RFC 6749 §5.2, Django REST framework and FastAPI (`detail`), Flask-JWT-Extended (`msg`).
            for key in ["error_description", "detail", "message", "msg"] {
                if let text = object[key] as? String { return Self.oneLine(text) }
            }
            // FastAPI's validation errors: `{"detail": [{"loc": […], "msg": "…"}]}`.
            if let list = object["detail"] as? [Any], let first = list.first as? [String: Any], let text = first["msg"] as? String {
                return Self.oneLine(text)
            }
            for key in object.keys.sorted() {
                if let list = object[key] as? [Any], let text = list.first as? String { return Self.oneLine("\(key): \(text)") }
                if let text = object[key] as? String, key != "error", key != "code" { return Self.oneLine("\(key): \(text)") }
            }
            return nil
        }

        package static func code(_ value: Any?) -> String? {
            guard let text = value as? String, !text.isEmpty, text.utf8.count <= 64,
                  text.utf8.allSatisfy({ c in
                      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
                          || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
                          || c == UInt8(ascii: ".")
                  }) else { return nil }
            return text
        }

        package static func oneLine(_ text: String) -> String {
            let flat = String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
            return flat.count > 120 ? String(flat.prefix(117)) + "..." : flat
        }
    }

    /// A request that got no answer: the kind (transport or tls) and a detail naming the cause.
    package struct SendFailure: Error {
        var kind: ErrorKind
        var detail: FailureDetail
    }

    /// The refresh request for `refreshToken` (as the driver holds it, ``unpack(_:)``) without
    /// client authentication and body, and its fields.
    package func refreshRequest(_ refreshToken: String) -> (HTTPRequestSpec, [(String, String)]) {
        var fields: [(String, String)] = []
        if let grant = profile.refreshGrantType { fields.append(("grant_type", grant)) }
        var request = HTTPRequestSpec(method: .POST, path: basePath + profile.refreshPath)
        addHeaders(&request.headers)
        let held = Self.unpack(refreshToken)
        var cookies: [(String, String)] = []
        present(held.token, profile.refreshTokenIn, field: profile.refreshTokenField, &fields, &request.headers, &cookies)
        addCSRF(held.csrf, &request.headers, &cookies)
        for f in profile.refreshFields { fields.append((f.name, f.value)) }
        return (request, fields)
    }

    /// The resource request with `accessToken` in the profile's access transport: `Authorization:
    /// Bearer` (RFC 6750 §2.1) or its cookie.
    package func resourceRequest(_ accessToken: String) -> HTTPRequestSpec {
        var request = HTTPRequestSpec(method: .GET, path: resourceURI)
        addHeaders(&request.headers)
        var fields: [(String, String)] = []
        var cookies: [(String, String)] = []
        present(accessToken, profile.accessTokenIn, field: "", &fields, &request.headers, &cookies)
        addCookies(cookies, &request.headers)
        return request
    }

    /// Puts `token` where `transport` says: a body field, `Authorization: Bearer`, or a cookie
    /// (collected in `cookies`, sent as one `Cookie` header by ``addCSRF(_:_:_:)`` or
    /// ``addCookies(_:_:)``).
    private func present(_ token: String, _ transport: HTTPProfile.TokenTransport, field: String, _ fields: inout [(String, String)],
                         _ headers: inout HTTPHeaders, _ cookies: inout [(String, String)]) {
        switch transport {
        case .body: fields.append((field, token))
        case .bearer: headers.add(name: "Authorization", value: "Bearer \(token)")
        case .cookie(let name): cookies.append((name, token))
        }
    }

    /// Double-submit CSRF: the value in ``HTTPProfile/csrfHeader`` and, beside the request's other
    /// cookies, in the cookie ``HTTPProfile/csrfCookie``; then the one `Cookie` header (RFC 6265 §5.4).
    private func addCSRF(_ csrf: String?, _ headers: inout HTTPHeaders, _ cookies: inout [(String, String)]) {
        if let csrf, let header = profile.csrfHeader, let cookie = profile.csrfCookie {
            headers.add(name: header, value: csrf)
            cookies.append((cookie, csrf))
        }
        addCookies(cookies, &headers)
    }

    private func addCookies(_ cookies: [(String, String)], _ headers: inout HTTPHeaders) {
        guard !cookies.isEmpty else { return }
        headers.add(name: "Cookie", value: cookies.map { "\($0.0)=\($0.1)" }.joined(separator: "; "))
    }

    // MARK: Tokens as the driver holds them

    /// U+001F joins a refresh token and its CSRF value: a control character, never part of a
    /// cookie value (RFC 6265 §4.1.1) nor of a token TokenBench accepts.
    private static let csrfSeparator = Character("\u{1F}")

    /// With double-submit CSRF (``HTTPProfile/csrfCookie``), the refresh token the driver holds
    /// is the token and the CSRF value that arrived with it, so that every presentation of a
    /// token (a replay, two tabs, a logout) carries its own CSRF value; without, the token alone.
    /// The driver compares held tokens and never looks inside them.
    package static func hold(_ token: String, csrf: String?) -> String {
        guard let csrf else { return token }
        return token + String(csrfSeparator) + csrf
    }

    /// The token and CSRF value of a held refresh token (``hold(_:csrf:)``).
    package static func unpack(_ held: String) -> (token: String, csrf: String?) {
        // On every refresh: a byte search, not a walk over grapheme clusters.
        let utf8 = held.utf8
        guard let i = utf8.firstIndex(of: 0x1F) else { return (held, nil) }
        return (String(held[..<i]), String(held[utf8.index(after: i)...]))
    }

    /// - Parameter presented: the refresh token a refresh presented: the one the server keeps
    ///   when its answer has none (RFC 6749 §6).
    private func tokenAnswer(_ endpoint: Endpoint, _ sent: Result<Answer, SendFailure>, presented: String? = nil) async -> TargetOutcome<IssuedTokens> {
        let answer: Answer
        switch sent {
        case .success(let a): answer = a
        case .failure(let failure): return .failed(failure.kind, failure.detail)
        }
        switch answer.status {
        case 200:
            if let problem = implausible(answer) {
                var d = detail(answer, endpoint)
                d.message = problem
                return .failed(.badResponse, d)
            }
            let tokens: IssuedTokens
            switch self.tokens(from: answer, presented: presented) {
            case .success(let t): tokens = t
            case .failure(let lack):
                var d = detail(answer, endpoint)
                d.message = lack.message
                return .failed(.badResponse, d)
            }
            succeeded.mark(endpoint)
            return .ok(tokens)
        case let s where profile.refusalStatuses.contains(s):
            return .rejected(Self.rejection(s, answer.error, tokenEndpoint: true), detail(answer, endpoint))
        case let s where wrongEndpoint(s, endpoint): return .failed(.wrongEndpoint, detail(answer, endpoint))
        case 400..<500: return .rejected(Self.rejection(answer.status, answer.error, tokenEndpoint: true), detail(answer, endpoint))
        default: return .failed(failure(answer, endpoint), detail(answer, endpoint))
        }
    }

    /// 3xx, 404, 405, 415 and 501 from an endpoint that has never answered with success here:
    /// the path, method or body format is not one the server serves.
    private func wrongEndpoint(_ status: Int, _ endpoint: Endpoint) -> Bool {
        guard (300..<400).contains(status) || [404, 405, 415, 501].contains(status) else { return false }
        return !succeeded.has(endpoint)
    }

    private func failure(_ answer: Answer, _ endpoint: Endpoint) -> ErrorKind {
        if wrongEndpoint(answer.status, endpoint) { return .wrongEndpoint }
        return Self.failure(answer.status, answer.error)
    }

    package func detail(_ answer: Answer, _ endpoint: Endpoint) -> FailureDetail {
        var message = answer.message
        if (300..<400).contains(answer.status), let location = answer.headers["Location"].first {
            message = "redirected to \(Answer.oneLine(location))"
        }
        return FailureDetail(status: answer.status, code: answer.error, message: message, endpoint: describe(endpoint, server: answer.server))
    }

    /// What a 200 token answer lacks, in one line that names the keys and cookies it had and
    /// the flags to set.
    package struct MissingTokens: Error {
        var message: String
    }

    /// Where a token of `transport` is read from, for messages: the pointer or `cookie NAME`.
    private func source(_ transport: HTTPProfile.TokenTransport, _ pointer: String) -> String {
        transport.cookieName.map { "the cookie \($0)" } ?? pointer
    }

    /// The tokens of a 200 answer, or what it lacks: the access token; the refresh token of a
    /// login answer (or of a refresh answer under `--rotation always`); the CSRF cookie of a
    /// login answer under double-submit CSRF.
    package func tokens(from answer: Answer, presented: String?) -> Result<IssuedTokens, MissingTokens> {
        func read(_ transport: HTTPProfile.TokenTransport, _ pointer: JSONPointer) -> String? {
            let value = transport.cookieName.map { Self.cookie($0, in: answer.headers) } ?? answer.json.flatMap { pointer.resolve(in: $0) as? String }
            return value?.isEmpty == false ? value : nil
        }
        let access = read(profile.accessTokenIn, accessPointer)
        let refresh = read(profile.refreshTokenIn, refreshPointer)
        let csrf = profile.csrfCookie.flatMap { Self.cookie($0, in: answer.headers) }
        let keptRefresh = presented.map(Self.unpack)
        let needsRefresh = presented == nil || profile.rotation == .always
        guard let access, refresh != nil || !needsRefresh, csrf != nil || profile.csrfCookie == nil || keptRefresh?.csrf != nil else {
            let keys = ((answer.json as? [String: Any])?.keys.filter { $0.count <= 40 }.sorted().prefix(12)).map { Array($0) } ?? []
            let cookies = answer.headers["Set-Cookie"].compactMap { $0.split(separator: "=", maxSplits: 1).first.map { String($0.prefix(40)) } }
            var lacks: [String] = []
            if access == nil { lacks.append("the access token at \(source(profile.accessTokenIn, profile.accessTokenPointer))") }
            if refresh == nil && needsRefresh {
                lacks.append("the refresh token at \(source(profile.refreshTokenIn, profile.refreshTokenPointer))"
                             + (presented != nil ? " (--rotation always)" : ""))
            }
            if let name = profile.csrfCookie, csrf == nil { lacks.append("the CSRF cookie \(name)") }
            return .failure(MissingTokens(message: "the answer lacks " + lacks.joined(separator: " and ")
                + "; its keys: " + (keys.isEmpty ? "none (not a JSON object)" : keys.joined(separator: ", "))
                + "; its cookies: " + (cookies.isEmpty ? "none" : cookies.prefix(12).joined(separator: ", "))
                + " (set --access-token-pointer, --refresh-token-pointer, --access-token-in, --refresh-token-in or --csrf-cookie)"))
        }
        let expires = expiresIn(answer) ?? defaultExpiresIn
        guard let refresh else {
            // RFC 6749 §6: the server MAY issue a new refresh token; a refresh answer without
            // one means the client keeps the one it presented (with a new CSRF value if one came).
            let kept = keptRefresh!
            return .success(IssuedTokens(accessToken: access, refreshToken: Self.hold(kept.token, csrf: csrf ?? kept.csrf), expiresIn: expires))
        }
        if let presented, refresh == keptRefresh?.token {
            // The same refresh token again: kept, with the CSRF value it came with.
            return .success(IssuedTokens(accessToken: access, refreshToken: presented, expiresIn: expires))
        }
        return .success(IssuedTokens(accessToken: access, refreshToken: Self.hold(refresh, csrf: csrf ?? keptRefresh?.csrf), expiresIn: expires))
    }

    /// The longest token and the longest lifetime an answer may name: past these it is a bad
    /// answer, never a trap or memory without bound (docs/design.md, "No answer can hurt the
    /// tool"). 16 KiB holds any JWS a server issues with room to spare; 400 days is longer than
    /// any refresh-token family lifetime TokenBench accepts (`--refresh-ttl`).
    package static let maxTokenBytes = 16_384
    package static let maxLifetimeSeconds = 400.0 * 86_400

    /// Why a token answer cannot be believed, or `nil`: a token over ``maxTokenBytes``, or an
    /// `expires_in` that is not a positive number of at most ``maxLifetimeSeconds``.
    package func implausible(_ answer: Answer) -> String? {
        for (name, cookie) in [("refresh token", profile.refreshTokenIn.cookieName), ("access token", profile.accessTokenIn.cookieName),
                               ("CSRF", profile.csrfCookie)] {
            if let cookie, let token = Self.cookie(cookie, in: answer.headers), token.utf8.count > Self.maxTokenBytes {
                return "the \(name) cookie is \(token.utf8.count) bytes, over \(Self.maxTokenBytes)"
            }
        }
        guard let json = answer.json else { return nil }
        for (name, pointer) in [("access token", accessPointer), ("refresh token", refreshPointer)] {
            if let token = pointer.resolve(in: json) as? String, token.utf8.count > Self.maxTokenBytes {
                return "the \(name) is \(token.utf8.count) bytes, over \(Self.maxTokenBytes)"
            }
        }
        let value = expiresPointer.resolve(in: json)
        let seconds = (value as? NSNumber)?.doubleValue ?? (value as? String).flatMap(Double.init)
        if let seconds, !(seconds.isFinite && seconds <= Self.maxLifetimeSeconds) {
            return "expires_in \(String(describing: value!).prefix(40)) at \(profile.expiresInPointer) is not a lifetime of at most 400 days"
        }
        return nil
    }

    /// The answer's `expires_in` (a number, or a string of digits), seconds, if it has one.
    package func expiresIn(_ answer: Answer) -> Double? {
        guard let json = answer.json else { return nil }
        let value = expiresPointer.resolve(in: json)
        if let number = value as? NSNumber {
            let v = number.doubleValue
            return v.isFinite && v > 0 ? v : nil
        }
        if let text = value as? String, let v = Double(text), v.isFinite, v > 0 { return v }
        return nil
    }

    package func addHeaders(_ headers: inout HTTPHeaders) {
        for h in profile.headers { headers.add(name: h.name, value: h.value) }
    }

    package func addClient(_ fields: inout [(String, String)], _ headers: inout HTTPHeaders) {
        if let basicAuthorization {
            headers.add(name: "Authorization", value: basicAuthorization)
        } else if let id = profile.clientID {
            fields.append(("client_id", id))
        }
    }

    package func setBody(_ request: inout HTTPRequestSpec, _ fields: [(String, String)]) {
        switch profile.encoding {
        case .form:
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            let body = FormURLEncoding.body(fields)
            request.body = ByteBuffer(string: body)
        case .json:
            request.headers.add(name: "Content-Type", value: "application/json")
            // Field names are unique (HTTPProfile.validate), so the object keeps every field.
            let object = Dictionary(fields, uniquingKeysWith: { _, last in last })
            let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
            request.body = ByteBuffer(bytes: data)
        }
    }

    /// Sends a request and reads the answer.
    /// - Parameter readJSON: parse a JSON body (token answers and errors; not needed for a
    ///   successful resource call).
    /// - Returns: the answer, or why none came (transport or TLS), naming the endpoint.
    package func send(_ request: HTTPRequestSpec, endpoint: Endpoint, readJSON: Bool = true) async -> Result<Answer, SendFailure> {
        let answer: HTTPAnswer
        let server = pickServer()
        do {
            answer = try await client(server).execute(request)
        } catch {
            let (kind, message) = Self.transportFailure(error)
            return .failure(SendFailure(kind: kind, detail: FailureDetail(message: message, endpoint: describe(endpoint, server: server))))
        }
        var json: Any? = nil
        let body = answer.body.readableBytesView
        if readJSON || answer.status >= 300, let first = body.first, first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            json = try? JSONSerialization.jsonObject(with: Data(body))
        }
        return .success(Answer(status: answer.status, headers: answer.headers, json: json, server: server, errorPointer: errorPointer))
    }

    /// Sends a request and returns the raw answer, body and all, or `nil` when none came
    /// (a metrics endpoint's text).
    package func fetch(_ request: HTTPRequestSpec) async -> HTTPAnswer? {
        try? await client(pickServer()).execute(request)
    }

    /// Sends a request and reads the answer, or `nil` when none came (the probe's raw requests).
    package func send(_ request: HTTPRequestSpec) async -> Answer? {
        try? await send(request, endpoint: .refresh).get()
    }

    // MARK: Classification

    package static func rejection(_ status: Int, _ error: String?, tokenEndpoint: Bool = false) -> RejectionKind {
        if status == 429 || error == "slow_down" { return .rateLimited }
        switch error {
        case "invalid_grant": return .invalidGrant
        case "invalid_token": return .invalidToken
        default: break
        }
        if status == 401 { return tokenEndpoint ? .invalidGrant : .invalidToken }
        return .invalidRequest
    }

    package static func failure(_ status: Int, _ error: String?) -> ErrorKind {
        if status == 503 || error == "temporarily_unavailable" { return .storeUnavailable }
        if status >= 500 { return .serverError }
        return .badResponse
    }

    /// What kind of failure an error of the HTTP client is, in one line for messages.
    package static func transportFailure(_ error: any Error) -> (ErrorKind, String) {
        if let tls = TLSFailure(error) { return (.tls, tls.message) }
        if let client = error as? HTTP1ClientError {
            switch client {
            case .timedOut: return (.transport, "no answer within --http-timeout")
            case .connectionClosed, .staleConnection: return (.transport, "the server closed the connection")
            case .bodyTooLarge: return (.transport, "the answer's body is over 4 MiB")
            case .unexpectedPart: return (.transport, "the answer was not valid HTTP/1.1")
            case .shutDown: return (.transport, "the run is over")
            }
        }
        if let connect = error as? NIOConnectionError {
            if connect.dnsAAAAError != nil || connect.dnsAError != nil, connect.connectionErrors.isEmpty {
                return (.transport, "the host name does not resolve")
            }
            for attempt in connect.connectionErrors {
                if let io = attempt.error as? IOError, io.errnoCode == ECONNREFUSED { return (.transport, "connection refused") }
            }
            return (.transport, "could not connect")
        }
        if let io = error as? IOError {
            if io.errnoCode == ECONNREFUSED { return (.transport, "connection refused") }
            if io.errnoCode == ECONNRESET { return (.transport, "connection reset by the server") }
            return (.transport, "I/O error (errno \(io.errnoCode))")
        }
        if let channel = error as? ChannelError {
            if case .connectTimeout = channel { return (.transport, "connect timed out") }
            return (.transport, "connection failed (\(channel))")
        }
        if error is HTTPParserError { return (.transport, "the answer was not valid HTTP/1.1") }
        return (.transport, "connection failed (\(String(describing: error).prefix(120)))")
    }

    /// The value of cookie `name` in the answer's `Set-Cookie` headers.
    package static func cookie(_ name: String, in headers: HTTPHeaders) -> String? {
        for header in headers["Set-Cookie"] {
            guard let pair = header.split(separator: ";", maxSplits: 1).first else { continue }
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                return String(parts[1])
            }
        }
        return nil
    }

}
