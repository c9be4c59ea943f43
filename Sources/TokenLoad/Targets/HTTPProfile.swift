/// How to speak to an HTTP token endpoint: paths, request fields, where tokens are found in
/// answers and where the refresh token travels. `native` is `tokenbench serve`'s API;
/// `oauth2` is plain RFC 6749 (form posts to one token path, RFC 7009 revocation); any field
/// can be overridden for a third-party server without code changes.
public struct HTTPProfile: Sendable, Hashable, Codable {
    /// How request bodies are encoded.
    public enum BodyEncoding: String, Sendable, Hashable, Codable, CaseIterable {
        /// `application/x-www-form-urlencoded` (RFC 6749 §4.3.2).
        case form
        /// `application/json`.
        case json
    }

    /// Where the refresh token travels, both ways.
    public enum RefreshTokenTransport: Sendable, Hashable, Codable {
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
    }

    /// `native`, `oauth2` or `custom`.
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
    /// The RFC 7009 `token` field of revocation requests.
    public var revokeTokenField = "token"
    /// JSON pointers (RFC 6901) into token answers.
    public var accessTokenPointer = "/access_token"
    public var refreshTokenPointer = "/refresh_token"
    /// Seconds until the access token expires; when absent, the driver assumes `--access-ttl`.
    public var expiresInPointer = "/expires_in"
    public var refreshTokenIn: RefreshTokenTransport = .body
    /// `client_id` sent with token requests (public clients, RFC 6749 §2.3.1 without secret).
    public var clientID: String? = nil
    /// With ``clientID``: HTTP Basic client authentication (RFC 6749 §2.3.1).
    public var clientSecret: String? = nil

    public init(name: String) {
        self.name = name
    }

    /// `tokenbench serve`'s native API (DESIGN.md).
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
}
