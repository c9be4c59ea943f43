import TokenResults
import TokenHTTPClient
/// How to speak to an HTTP token endpoint: paths, request fields, where tokens are found in
/// answers and where the refresh token travels. `native` is `tokenbench serve`'s API;
/// `oauth2` is plain RFC 6749 (form posts to one token path, RFC 7009 revocation); any field
/// can be overridden for a third-party server without code changes, on the command line or in
/// a profile file (`--profile FILE.json`, ``ProfileFile``).
public struct HTTPProfile: Sendable, Hashable {
    /// How request bodies are encoded.
    public enum BodyEncoding: String, Sendable, Hashable, Codable, CaseIterable {
        /// `application/x-www-form-urlencoded` (RFC 6749 §4.3.2).
        case form
        /// `application/json`.
        case json
    }

    /// Where a token travels, both ways (`--refresh-token-in`, `--access-token-in`,
    /// `--revoke-token-in`).
    public enum TokenTransport: Sendable, Hashable {
        /// In the JSON answer and a request body field: RFC 6749 §6 (refresh), RFC 7009 §2.1
        /// (revocation). Never the access token's: RFC 6750 §2.2's form-encoded body is for
        /// resource requests TokenBench does not make.
        case body
        /// In the JSON answer; sent as `Authorization: Bearer <token>` (RFC 6750 §2.1).
        case bearer
        /// In a `Set-Cookie` of this name (RFC 6265, HttpOnly cookies included); sent back as
        /// `Cookie: name=value`.
        case cookie(String)

        /// Parses `body`, `bearer` or `cookie:NAME` (NAME an RFC 6265 cookie name: an RFC 9110
        /// token).
        public init?(_ text: String) {
            switch text {
            case "body": self = .body
            case "bearer": self = .bearer
            default:
                guard text.hasPrefix("cookie:"), HTTPProfile.isToken(text.dropFirst(7)) else { return nil }
                self = .cookie(String(text.dropFirst(7)))
            }
        }

        /// `body`, `bearer` or `cookie:NAME`.
        public var text: String {
            switch self {
            case .body: "body"
            case .bearer: "bearer"
            case .cookie(let name): "cookie:\(name)"
            }
        }

        /// The cookie's name, when the token travels in one.
        public var cookieName: String? {
            if case .cookie(let name) = self { return name }
            return nil
        }
    }

    /// Which token a logout presents (`--revoke-with`).
    public enum RevokeWith: String, Sendable, Hashable, CaseIterable {
        /// The refresh token: RFC 7009 with `token_type_hint=refresh_token`, which ends the
        /// session (RFC 7009 §2.1: revoking a refresh token should revoke its access tokens).
        case refresh
        /// The access token, where a server's logout wants it (a `@jwt_required` logout view);
        /// whether that ends the refresh token too is the server's promise, checked by the
        /// post-logout refresh.
        case access
    }

    /// Whether `text` is an RFC 9110 §5.6.2 token (a header or cookie name).
    public static func isToken<S: StringProtocol>(_ text: S) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { c in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || "!#$%&'*+-.^_`|~".utf8.contains(c)
        }
    }

    /// A request header sent with every request (`--header 'Name: value'`).
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// An extra body field of one kind of request (`--login-field name=value`).
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// `native`, `oauth2` or `custom`: the base the overrides start from.
    public var name: String
    /// Login (password grant) path.
    public var loginPath = "/oauth/token"
    /// Refresh path.
    public var refreshPath = "/oauth/token"
    /// The protected resource, called with `Authorization: Bearer <access token>`.
    public var resourcePath = "/me"
    /// RFC 7009 revocation path (logout); `nil`: the server has none, sessions are abandoned.
    public var revokePath: String? = "/oauth/revoke"
    /// "Log out everywhere" (Bearer access token); `nil` when the server has none.
    public var logoutAllPath: String? = "/auth/logout-all"
    /// The server's JWK Set (RFC 7517), which probe case T4 reads: `jwks_uri` of its metadata
    /// (``Discovery``) or `--jwks-path`; `nil` when unknown.
    public var jwksPath: String? = nil
    /// The body encoding of login, refresh and revoke requests.
    public var encoding: BodyEncoding = .form
    /// `grant_type` sent at login; `nil` sends none (a custom login endpoint).
    public var loginGrantType: String? = "password"
    /// `grant_type` sent at refresh; `nil` sends none.
    public var refreshGrantType: String? = "refresh_token"
    public var usernameField = "username"
    public var passwordField = "password"
    public var refreshTokenField = "refresh_token"
    /// The field of revocation requests that carries the token: RFC 7009's `token`.
    public var revokeTokenField = "token"
    /// RFC 7009's `token_type_hint=refresh_token` with revocation requests; `nil` sends none.
    public var revokeTokenHint: String? = "refresh_token"
    /// JSON pointers (RFC 6901) into token answers.
    public var accessTokenPointer = "/access_token"
    public var refreshTokenPointer = "/refresh_token"
    /// Seconds until the access token expires (RFC 6749 §5.1 `expires_in`). When an answer has
    /// none, the lifetime is the JWT's `exp − iat` if the access token is a JWS, else `--access-ttl`.
    public var expiresInPointer = "/expires_in"
    public var refreshTokenIn: TokenTransport = .body
    /// Where the access token travels: `bearer` (read at ``accessTokenPointer``, sent as
    /// `Authorization: Bearer`) or `cookie:NAME`.
    public var accessTokenIn: TokenTransport = .bearer
    /// Where a logout's token travels: `body` (``revokeTokenField``, RFC 7009), `bearer` or
    /// `cookie:NAME`.
    public var revokeTokenIn: TokenTransport = .body
    /// Which token a logout presents.
    public var revokeWith: RevokeWith = .refresh
    /// Statuses that refuse besides any 4xx but 429 (`--refusal-status`, profile key
    /// `refusal-status`): a server that answers a bad token with a redirect to its login page.
    /// 3xx only: a 2xx accepts, and a 5xx is never a refusal.
    public var refusalStatuses: [Int] = []
    /// An RFC 6901 pointer to the error label of answers a server writes its own way
    /// (`--error-pointer /error/code`), read before RFC 6749's `error` and DRF's `code`.
    public var errorPointer: String? = nil
    /// Double-submit CSRF (`--csrf-cookie NAME --csrf-header NAME`, as Flask-JWT-Extended,
    /// authx and Django's cookie set-ups require): on refresh and logout requests the header
    /// carries, and the `Cookie` header repeats, the value of the cookie ``csrfCookie`` that
    /// arrived with the refresh token being presented. Both or neither.
    public var csrfCookie: String? = nil
    public var csrfHeader: String? = nil
    /// Whether the server rotates refresh tokens: its own choice (RFC 6749 §6: it MAY issue a new
    /// one), so `auto` by default, read from its answers. A refresh answer without a refresh
    /// token means the server kept the presented one.
    public var rotation: Rotation = .auto

    /// What is known of the server's rotation (`--rotation`, profile key `rotation`).
    public enum Rotation: String, Sendable, Hashable, Codable, CaseIterable {
        /// Read from the answers: a new refresh token is a rotation; none, or the same one, is not.
        case auto
        /// The server always rotates: a refresh answer without a refresh token is a bad answer,
        /// and a server that keeps its tokens is refused by the preflight.
        case always
        /// The server never rotates: one that does is refused by the preflight.
        case never
    }
    /// `client_id` sent with token requests (public clients, RFC 6749 §2.3.1 without secret).
    public var clientID: String? = nil
    /// With ``clientID``: HTTP Basic client authentication (RFC 6749 §2.3.1).
    public var clientSecret: String? = nil
    /// Headers sent with every request, in order.
    public var headers: [Header] = []
    /// Extra body fields of login, refresh and revocation requests.
    public var loginFields: [Field] = []
    public var refreshFields: [Field] = []
    public var revokeFields: [Field] = []

    public init(name: String) {
        self.name = name
    }

    /// `tokenbench serve`'s native API (docs/serve.md).
    public static let native: HTTPProfile = {
        var p = HTTPProfile(name: "native")
        p.jwksPath = "/.well-known/jwks.json"
        return p
    }()

    /// Plain OAuth 2.0: RFC 6749 form posts to `/oauth/token`, RFC 7009 revocation at
    /// `/oauth/revoke`, no "log out everywhere". Override paths for a given server.
    public static var oauth2: HTTPProfile {
        var p = HTTPProfile(name: "oauth2")
        p.logoutAllPath = nil
        return p
    }

    /// The profile of this name.
    public static func named(_ name: String) -> HTTPProfile? {
        switch name {
        case "native": .native
        case "oauth2": .oauth2
        case "custom": HTTPProfile(name: "custom")
        default: nil
        }
    }

    /// Headers that the driver sets itself and a `--header` may not replace.
    public static let reservedHeaders: Set<String> = ["host", "content-length", "content-type", "transfer-encoding", "connection", "authorization", "cookie"]

    /// Checks that no request sends one field twice (an extra field named like the username,
    /// password, refresh-token, revoke-token, `grant_type` or `client_id` field, or two extra
    /// fields of one name).
    /// - Throws: ``HTTPTargetError`` naming the request and the field.
    public func validate() throws(HTTPTargetError) {
        func check(_ request: String, _ flag: String, _ builtIn: [String?], _ extra: [Field]) throws(HTTPTargetError) {
            var seen = Set(builtIn.compactMap { $0 })
            if clientID != nil && clientSecret == nil { seen.insert("client_id") }
            for field in extra {
                guard seen.insert(field.name).inserted else {
                    throw HTTPTargetError(flag, "each field of a \(request) request named once (\"\(field.name)\" is sent twice)")
                }
            }
        }
        if let status = refusalStatuses.first(where: { !(300..<400).contains($0) }) {
            throw HTTPTargetError("--refusal-status", "a 3xx status (any 4xx but 429 refuses already; a 2xx accepts; a 5xx never refuses), not \(status)")
        }
        if accessTokenIn == .body {
            throw HTTPTargetError("--access-token-in", "bearer or cookie:NAME (an access token is never sent in a body field here)")
        }
        if (csrfCookie == nil) != (csrfHeader == nil) {
            throw HTTPTargetError(csrfCookie == nil ? "--csrf-cookie" : "--csrf-header", "both --csrf-cookie and --csrf-header, or neither")
        }
        if let header = csrfHeader, !Self.isToken(header) || Self.reservedHeaders.contains(header.lowercased()) {
            throw HTTPTargetError("--csrf-header", "a header name the driver does not set itself, such as X-CSRF-TOKEN (got '\(header)')")
        }
        if let cookie = csrfCookie, !Self.isToken(cookie) {
            throw HTTPTargetError("--csrf-cookie", "a cookie name, such as csrf_refresh_token (got '\(cookie)')")
        }
        if csrfCookie != nil, refreshTokenIn.cookieName == nil, accessTokenIn.cookieName == nil {
            throw HTTPTargetError("--csrf-cookie", "tokens that travel in cookies (--refresh-token-in or --access-token-in cookie:NAME): double-submit CSRF guards cookies")
        }
        if clientSecret != nil, refreshTokenIn == .bearer || revokeTokenIn == .bearer {
            throw HTTPTargetError(refreshTokenIn == .bearer ? "--refresh-token-in" : "--revoke-token-in",
                                  "body or cookie:NAME with --client-secret (HTTP Basic client authentication takes the Authorization header)")
        }
        let refreshField: String? = refreshTokenIn == .body ? refreshTokenField : nil
        try check("login", "--login-field", [loginGrantType.map { _ in "grant_type" }, usernameField, passwordField], loginFields)
        try check("refresh", "--refresh-field", [refreshGrantType.map { _ in "grant_type" }, refreshField], refreshFields)
        try check("revocation", "--revoke-field", revokeTokenIn == .body ? [revokeTokenField, revokeTokenHint.map { _ in "token_type_hint" }] : [], revokeFields)
        if usernameField == passwordField {
            throw HTTPTargetError("--password-field", "a field other than the username's (both are \"\(usernameField)\")")
        }
        var names = Set<String>()
        for header in headers {
            guard names.insert(header.name.lowercased()).inserted else {
                throw HTTPTargetError("--header", "each header named once (\"\(header.name)\" is given twice)")
            }
        }
    }
}

/// The target of an HTTP run as `result.json` records it (`config.http`): everything needed to
/// run it again, never a secret — the client secret is recorded as present or not, header and
/// extra-field values as their names only (they may carry API keys).
public struct HTTPTargetDescription: Sendable, Hashable, Codable {
    public var urls: [String]
    /// The profile's base (`native`, `oauth2`, `custom`).
    public var profile: String
    /// `--profile FILE.json`, if the profile came from a file.
    public var profileFile: String?
    public var loginPath: String
    public var refreshPath: String
    public var resourcePath: String
    public var revokePath: String?
    public var logoutAllPath: String?
    public var jwksPath: String?
    /// `--issuer` and the metadata document the paths came from (``Discovery``).
    public var issuer: String?
    public var discoveryDocument: String?
    public var bodyFormat: String
    public var loginGrantType: String?
    public var refreshGrantType: String?
    public var usernameField: String
    public var passwordField: String
    public var refreshTokenField: String
    public var revokeTokenField: String
    public var revokeTokenHint: String?
    public var accessTokenPointer: String
    public var refreshTokenPointer: String
    public var expiresInPointer: String
    public var refreshTokenIn: String
    /// `bearer` or `cookie:NAME` (absent from results written before it existed: `bearer`).
    public var accessTokenIn: String?
    /// `body`, `bearer` or `cookie:NAME` (absent from older results: `body`).
    public var revokeTokenIn: String?
    /// `refresh` or `access` (absent from older results: `refresh`).
    public var revokeWith: String?
    /// `--refusal-status` and `--error-pointer`, when given.
    public var refusalStatuses: [Int]?
    public var errorPointer: String?
    /// Double-submit CSRF: the cookie and header names (names only).
    public var csrfCookie: String?
    public var csrfHeader: String?
    /// `--access-ttl` as given when the server's answers said otherwise (and won), seconds.
    public var accessTTLIgnored: Double?
    /// `--rotation` as given (`auto`, `always`, `never`).
    public var rotationExpected: String?
    /// What the preflight saw: `rotates` (a new refresh token) or `keeps` (none, or the same).
    public var rotation: String?
    public var clientID: String?
    /// `basic` (HTTP Basic with a secret), `body` (`client_id` in the body) or `none`.
    public var clientAuthentication: String
    /// Names only.
    public var headers: [String]
    public var loginFields: [String]
    public var refreshFields: [String]
    public var revokeFields: [String]
    public var connections: Int
    public var timeoutS: Double
    /// HTTPS only: `--cacert` (its path) and `--insecure`.
    public var caCertificate: String?
    public var insecure: Bool?
    /// Where the access-token lifetime came from: `expires_in`, `jwt` (`exp − iat`) or
    /// `--access-ttl`; and where the refresh-token lifetime came from: `--refresh-ttl`, `jwt`, or
    /// `unknown`.
    public var accessLifetimeSource: String?
    public var refreshLifetimeSource: String?

    enum CodingKeys: String, CodingKey {
        case urls, profile, headers, connections, insecure
        case profileFile = "profile_file"
        case loginPath = "login_path"
        case refreshPath = "refresh_path"
        case resourcePath = "resource_path"
        case revokePath = "revoke_path"
        case logoutAllPath = "logout_all_path"
        case jwksPath = "jwks_path"
        case issuer
        case discoveryDocument = "discovery_document"
        case bodyFormat = "body_format"
        case loginGrantType = "login_grant_type"
        case refreshGrantType = "refresh_grant_type"
        case usernameField = "username_field"
        case passwordField = "password_field"
        case refreshTokenField = "refresh_token_field"
        case revokeTokenField = "revoke_token_field"
        case revokeTokenHint = "revoke_token_hint"
        case accessTokenPointer = "access_token_pointer"
        case refreshTokenPointer = "refresh_token_pointer"
        case expiresInPointer = "expires_in_pointer"
        case refreshTokenIn = "refresh_token_in"
        case accessTokenIn = "access_token_in"
        case revokeTokenIn = "revoke_token_in"
        case revokeWith = "revoke_with"
        case refusalStatuses = "refusal_statuses"
        case errorPointer = "error_pointer"
        case csrfCookie = "csrf_cookie"
        case csrfHeader = "csrf_header"
        case rotationExpected = "rotation_expected"
        case accessTTLIgnored = "access_ttl_ignored_s"
        case rotation
        case clientID = "client_id"
        case clientAuthentication = "client_authentication"
        case loginFields = "login_fields"
        case refreshFields = "refresh_fields"
        case revokeFields = "revoke_fields"
        case timeoutS = "timeout_s"
        case caCertificate = "cacert"
        case accessLifetimeSource = "access_lifetime_source"
        case refreshLifetimeSource = "refresh_lifetime_source"
    }

    public init(urls: [String], profile p: HTTPProfile, profileFile: String?, connections: Int, timeout: Double,
                tls: TLSSettings?) {
        self.urls = urls
        profile = p.name
        self.profileFile = profileFile
        loginPath = p.loginPath
        refreshPath = p.refreshPath
        resourcePath = p.resourcePath
        revokePath = p.revokePath
        logoutAllPath = p.logoutAllPath
        jwksPath = p.jwksPath
        bodyFormat = p.encoding.rawValue
        loginGrantType = p.loginGrantType
        refreshGrantType = p.refreshGrantType
        usernameField = p.usernameField
        passwordField = p.passwordField
        refreshTokenField = p.refreshTokenField
        revokeTokenField = p.revokeTokenField
        revokeTokenHint = p.revokeTokenHint
        accessTokenPointer = p.accessTokenPointer
        refreshTokenPointer = p.refreshTokenPointer
        expiresInPointer = p.expiresInPointer
        refreshTokenIn = p.refreshTokenIn.text
        accessTokenIn = p.accessTokenIn.text
        revokeTokenIn = p.revokeTokenIn.text
        revokeWith = p.revokeWith.rawValue
        refusalStatuses = p.refusalStatuses.isEmpty ? nil : p.refusalStatuses
        errorPointer = p.errorPointer
        csrfCookie = p.csrfCookie
        csrfHeader = p.csrfHeader
        rotationExpected = p.rotation == .auto ? nil : p.rotation.rawValue
        clientID = p.clientID
        clientAuthentication = p.clientID == nil ? "none" : (p.clientSecret == nil ? "body" : "basic")
        headers = p.headers.map(\.name)
        loginFields = p.loginFields.map(\.name)
        refreshFields = p.refreshFields.map(\.name)
        revokeFields = p.revokeFields.map(\.name)
        self.connections = connections
        timeoutS = timeout
        caCertificate = tls?.caCertificateFile
        insecure = tls.map { $0.insecure }
    }
}
