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

    /// Where the refresh token travels, both ways.
    public enum RefreshTokenTransport: Sendable, Hashable {
        /// In the JSON answer (at ``HTTPProfile/refreshTokenPointer``) and the request body field
        /// (``HTTPProfile/refreshTokenField``): RFC 6749 §6.
        case body
        /// In the JSON answer; sent back as `Authorization: Bearer <refresh token>`.
        case bearer
        /// In a `Set-Cookie` of this name; sent back as `Cookie: name=value`.
        case cookie(String)

        /// Parses `body`, `bearer` or `cookie:NAME`.
        public init?(_ text: String) {
            switch text {
            case "body": self = .body
            case "bearer": self = .bearer
            default:
                guard text.hasPrefix("cookie:"), text.count > 7 else { return nil }
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
    public var refreshTokenIn: RefreshTokenTransport = .body
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
    public static let native = HTTPProfile(name: "native")

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
        let refreshField: String? = refreshTokenIn == .body ? refreshTokenField : nil
        try check("login", "--login-field", [loginGrantType.map { _ in "grant_type" }, usernameField, passwordField], loginFields)
        try check("refresh", "--refresh-field", [refreshGrantType.map { _ in "grant_type" }, refreshField], refreshFields)
        try check("revocation", "--revoke-field", [revokeTokenField, revokeTokenHint.map { _ in "token_type_hint" }], revokeFields)
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
