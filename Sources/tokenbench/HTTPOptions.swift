import ArgumentParser
import TokenAuth
import TokenLoad

/// How to speak to an HTTP target (`run --target URL`, `probe URL`): a profile and overrides.
struct HTTPOptions: ParsableArguments {
    @Option(help: "HTTP profile: native (tokenbench serve), oauth2 (RFC 6749 form posts), custom.")
    var profile: String = "native"
    @Option(help: "HTTP: most keep-alive connections to the server (default: the number of users, at most 256).")
    var connections: Int?
    @Option(name: .customLong("http-timeout"), help: "HTTP: timeout of one request.")
    var httpTimeout: String = "10s"
    @Option(name: .customLong("login-path"), help: "Login (password grant) path.")
    var loginPath: String?
    @Option(name: .customLong("refresh-path"), help: "Refresh path.")
    var refreshPath: String?
    @Option(name: .customLong("resource-path"), help: "Protected resource path (GET with Bearer).")
    var resourcePath: String?
    @Option(name: .customLong("revoke-path"), help: "RFC 7009 revocation path, or 'none'.")
    var revokePath: String?
    @Option(name: .customLong("logout-all-path"), help: "'Log out everywhere' path (POST with Bearer), or 'none'.")
    var logoutAllPath: String?
    @Option(name: .customLong("body-format"), help: "Request bodies: form or json.")
    var bodyFormat: String?
    @Option(name: .customLong("login-grant-type"), help: "grant_type sent at login, or 'none'.")
    var loginGrantType: String?
    @Option(name: .customLong("refresh-grant-type"), help: "grant_type sent at refresh, or 'none'.")
    var refreshGrantType: String?
    @Option(name: .customLong("username-field"), help: "Request field of the username.")
    var usernameField: String?
    @Option(name: .customLong("password-field"), help: "Request field of the password.")
    var passwordField: String?
    @Option(name: .customLong("refresh-token-field"), help: "Request field of the refresh token.")
    var refreshTokenField: String?
    @Option(name: .customLong("access-token-pointer"), help: "JSON pointer (RFC 6901) of the access token in answers.")
    var accessTokenPointer: String?
    @Option(name: .customLong("refresh-token-pointer"), help: "JSON pointer of the refresh token in answers.")
    var refreshTokenPointer: String?
    @Option(name: .customLong("expires-in-pointer"), help: "JSON pointer of the access token's lifetime in seconds.")
    var expiresInPointer: String?
    @Option(name: .customLong("refresh-token-in"), help: "Where the refresh token travels: body, bearer or cookie:NAME.")
    var refreshTokenIn: String?
    @Option(name: .customLong("client-id"), help: "client_id sent with token requests.")
    var clientID: String?
    @Option(name: .customLong("client-secret"), help: "With --client-id: HTTP Basic client authentication.")
    var clientSecret: String?
    @Option(name: .customLong("username-pattern"), help: "Usernames; {n} is the user number.")
    var usernamePattern: String = "user{n}"
    @Option(name: .customLong("password-pattern"), help: "Passwords; {n} is the user number.")
    var passwordPattern: String = "pw-{n}"
    @Option(name: .customLong("users-csv"), help: "CSV file with columns username,password (instead of the patterns).")
    var usersCSV: String?

    /// The profile with every override applied.
    /// - Throws: `ValidationError` naming the flag.
    func httpProfile() throws -> HTTPProfile {
        guard var p = HTTPProfile.named(profile) else {
            throw ValidationError("--profile: expected native, oauth2 or custom (got '\(profile)')")
        }
        func path(_ value: String?, _ flag: String) throws -> String? {
            guard let value else { return nil }
            guard value.hasPrefix("/"), !value.contains(where: { $0 == " " || $0 == "\n" }) else {
                throw ValidationError("\(flag): expected a path starting with / (got '\(value)')")
            }
            return value
        }
        func optionalPath(_ value: String?, _ flag: String, _ current: String?) throws -> String? {
            guard let value else { return current }
            return value == "none" ? nil : try path(value, flag)
        }
        func field(_ value: String?, _ flag: String) throws -> String? {
            guard let value else { return nil }
            guard !value.isEmpty else { throw ValidationError("\(flag): expected a field name (got an empty string)") }
            return value
        }
        func pointer(_ value: String?, _ flag: String) throws -> String? {
            guard let value else { return nil }
            guard JSONPointer(value) != nil else { throw ValidationError("\(flag): expected an RFC 6901 JSON pointer such as /access_token (got '\(value)')") }
            return value
        }
        if let v = try path(loginPath, "--login-path") { p.loginPath = v }
        if let v = try path(refreshPath, "--refresh-path") { p.refreshPath = v }
        if let v = try path(resourcePath, "--resource-path") { p.resourcePath = v }
        p.revokePath = try optionalPath(revokePath, "--revoke-path", p.revokePath)
        p.logoutAllPath = try optionalPath(logoutAllPath, "--logout-all-path", p.logoutAllPath)
        if let bodyFormat {
            guard let e = HTTPProfile.BodyEncoding(rawValue: bodyFormat) else {
                throw ValidationError("--body-format: expected form or json (got '\(bodyFormat)')")
            }
            p.encoding = e
        }
        if let v = loginGrantType { p.loginGrantType = v == "none" ? nil : v }
        if let v = refreshGrantType { p.refreshGrantType = v == "none" ? nil : v }
        if let v = try field(usernameField, "--username-field") { p.usernameField = v }
        if let v = try field(passwordField, "--password-field") { p.passwordField = v }
        if let v = try field(refreshTokenField, "--refresh-token-field") { p.refreshTokenField = v }
        if let v = try pointer(accessTokenPointer, "--access-token-pointer") { p.accessTokenPointer = v }
        if let v = try pointer(refreshTokenPointer, "--refresh-token-pointer") { p.refreshTokenPointer = v }
        if let v = try pointer(expiresInPointer, "--expires-in-pointer") { p.expiresInPointer = v }
        if let refreshTokenIn {
            guard let t = HTTPProfile.RefreshTokenTransport(refreshTokenIn) else {
                throw ValidationError("--refresh-token-in: expected body, bearer or cookie:NAME (got '\(refreshTokenIn)')")
            }
            p.refreshTokenIn = t
        }
        p.clientID = clientID
        if clientSecret != nil && clientID == nil { throw ValidationError("--client-secret: needs --client-id") }
        p.clientSecret = clientSecret
        return p
    }

    /// The users' credentials.
    /// - Throws: `ValidationError` for an unusable CSV file or a pattern without `{n}`.
    func credentials() throws -> Credentials {
        if let usersCSV {
            do throws(ConfigurationError) { return try Credentials(csvFile: usersCSV) } catch {
                throw ValidationError("--users-csv: expected \(error.accepted) (got '\(usersCSV)')")
            }
        }
        guard usernamePattern.contains("{n}") else {
            throw ValidationError("--username-pattern: expected a pattern containing {n}, e.g. user{n} (got '\(usernamePattern)')")
        }
        return Credentials(usernamePattern: usernamePattern, passwordPattern: passwordPattern)
    }

    /// Connection-pool size and request timeout for `users` virtual users.
    func pool(users: Int) throws -> (connections: Int, timeout: Double) {
        let connections = self.connections ?? min(users, 256)
        guard (1...10_000).contains(connections) else { throw ValidationError("--connections: expected 1 ... 10000 (got \(connections))") }
        let timeout = try Flags.seconds(httpTimeout, "--http-timeout")
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--http-timeout: expected a duration of 1ms ... 10m") }
        return (connections, timeout)
    }

    /// The HTTP target for `url`.
    func target(url: String, users: Int, accessTTL: Double) throws -> HTTPTarget {
        let pool = try pool(users: users)
        do {
            return try HTTPTarget(url: url, profile: httpProfile(), connections: pool.connections, timeout: pool.timeout,
                                  defaultExpiresIn: accessTTL)
        } catch let error as HTTPTargetError {
            throw ValidationError("\(error.flag): expected \(error.accepted) (got '\(url)')")
        }
    }
}
