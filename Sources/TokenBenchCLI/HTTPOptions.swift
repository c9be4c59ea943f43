import ArgumentParser
import Foundation
import TokenAuth
import TokenLoad
import TokenResults
import TokenReport
import TokenHTTPClient
import TokenProbe

/// How to speak to an HTTP target (`run --target URL`, `probe URL`): a profile and overrides.
struct HTTPOptions: ParsableArguments {
    @Option(help: "HTTP profile: native (tokenbench serve), oauth2 (RFC 6749 form posts), custom, or a profile file (FILE.json, see results/profiles/).")
    var profile: String = "native"
    @Option(name: .customLong("profile-file"), help: .hidden)
    var profileFile: String?
    @Option(help: "HTTP: most keep-alive connections to the server (default: the number of users, at most 256).")
    var connections: Int?
    @Option(name: .customLong("http-timeout"), help: "HTTP: timeout of one request.")
    var httpTimeout: String = "10s"
    @Option(help: ArgumentHelp("The authorization server's issuer URL: its metadata (OpenID Connect Discovery, else RFC 8414) gives the token, revocation, userinfo and JWKS paths; flags given beside it win.", valueName: "url"))
    var issuer: String?
    @Option(name: .customLong("jwks-path"), help: "The server's JWK Set path (RFC 7517), which probe case T4 reads (default: jwks_uri of --issuer; native: /.well-known/jwks.json).")
    var jwksPath: String?
    @Option(name: .customLong("login-path"), help: "Login (password grant) path.")
    var loginPath: String?
    @Option(name: .customLong("refresh-path"), help: "Refresh path.")
    var refreshPath: String?
    @Option(name: .customLong("resource-path"), help: "Protected resource path (GET with Bearer).")
    var resourcePath: String?
    @Option(name: .customLong("revoke-path"), help: "RFC 7009 revocation path, or 'none' (sessions are then abandoned, never logged out).")
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
    @Option(name: .customLong("revoke-token-field"), help: "Revocation request field of the token (RFC 7009: token).")
    var revokeTokenField: String?
    @Option(name: .customLong("revoke-token-hint"), help: "token_type_hint sent with revocations (RFC 7009: refresh_token), or 'none'.")
    var revokeTokenHint: String?
    @Option(name: .customLong("access-token-pointer"), help: "JSON pointer (RFC 6901) of the access token in answers.")
    var accessTokenPointer: String?
    @Option(name: .customLong("refresh-token-pointer"), help: "JSON pointer of the refresh token in answers.")
    var refreshTokenPointer: String?
    @Option(name: .customLong("expires-in-pointer"), help: "JSON pointer of the access token's lifetime in seconds (else the JWT's exp − iat, else --access-ttl).")
    var expiresInPointer: String?
    @Option(name: .customLong("refresh-token-in"), help: "Where the refresh token travels: body, bearer or cookie:NAME.")
    var refreshTokenIn: String?
    @Option(name: .customLong("access-token-in"), help: "Where the access token travels: bearer (read at --access-token-pointer, sent as Authorization: Bearer) or cookie:NAME.")
    var accessTokenIn: String?
    @Option(name: .customLong("revoke-token-in"), help: "Where a logout's token travels: body (--revoke-token-field, RFC 7009), bearer or cookie:NAME.")
    var revokeTokenIn: String?
    @Option(name: .customLong("revoke-with"), help: "Which token a logout presents: refresh (RFC 7009) or access.")
    var revokeWith: String?
    @Option(name: .customLong("refusal-status"), help: ArgumentHelp("A 3xx status that refuses, besides any 4xx but 429 (a server that answers a bad token with a redirect to its login page). Repeatable.", valueName: "status"))
    var refusalStatuses: [Int] = []
    @Option(name: .customLong("error-pointer"), help: "JSON pointer (RFC 6901) of the error label in this server's error answers, read before RFC 6749's error and DRF's code.")
    var errorPointer: String?
    @Option(name: .customLong("csrf-cookie"), help: "Double-submit CSRF: the cookie whose value refresh and logout requests repeat in --csrf-header.")
    var csrfCookie: String?
    @Option(name: .customLong("csrf-header"), help: "Double-submit CSRF: the header that carries --csrf-cookie's value, e.g. X-CSRF-TOKEN.")
    var csrfHeader: String?
    @Option(help: "Whether the server rotates refresh tokens: auto (read from its answers; a refresh answer without a refresh token keeps the presented one, RFC 6749 §6), always, or never.")
    var rotation: String?
    @Option(name: .customLong("client-id"), help: "client_id sent with token requests.")
    var clientID: String?
    @Option(name: .customLong("client-secret"), help: "With --client-id: HTTP Basic client authentication (never recorded in results).")
    var clientSecret: String?
    @Option(name: .customLong("header"), help: ArgumentHelp("A header sent with every request, 'Name: value'. Repeatable.", valueName: "header"))
    var headers: [String] = []
    @Option(name: .customLong("login-field"), help: ArgumentHelp("An extra body field of login requests, name=value. Repeatable.", valueName: "field"))
    var loginFields: [String] = []
    @Option(name: .customLong("refresh-field"), help: ArgumentHelp("An extra body field of refresh requests, name=value. Repeatable.", valueName: "field"))
    var refreshFields: [String] = []
    @Option(name: .customLong("revoke-field"), help: ArgumentHelp("An extra body field of revocation requests, name=value. Repeatable.", valueName: "field"))
    var revokeFields: [String] = []
    @Option(name: .customLong("cacert"), help: ArgumentHelp("HTTPS: trust only the CA certificates of this PEM file (as curl's --cacert).", valueName: "file"))
    var caCertificate: String?
    @Flag(name: .customLong("insecure"), help: "HTTPS: verify neither the certificate nor the host name (as curl's --insecure).")
    var insecure = false
    @Option(name: .customLong("username-pattern"), help: "Usernames; {n} is the user number.")
    var usernamePattern: String = "user{n}"
    @Option(name: .customLong("password-pattern"), help: "Passwords; {n} is the user number.")
    var passwordPattern: String = "pw-{n}"
    @Option(name: .customLong("users-csv"), help: "CSV file with columns username,password (instead of the patterns).")
    var usersCSV: String?

    /// The profile with every override applied.
    /// - Throws: `ValidationError` naming the flag.
    func httpProfile(discovered: Discovery.Metadata? = nil) throws -> HTTPProfile {
        guard var p = HTTPProfile.named(profile) else {
            throw ValidationError("--profile: expected native, oauth2, custom or a profile file such as results/profiles/simplejwt.json (got '\(profile)')")
        }
        if let issuer, !Discovery.isIssuerURL(issuer) {
            throw ValidationError("--issuer: expected the issuer's http:// or https:// URL, without query or fragment, e.g. https://auth.example.com (got '\(issuer)')")
        }
        if let d = discovered {
            // The metadata's endpoints first; every flag and profile key below still wins.
            p.loginPath = d.tokenPath
            p.refreshPath = d.tokenPath
            p.revokePath = d.revocationPath
            if let userinfo = d.userinfoPath { p.resourcePath = userinfo }
            p.jwksPath = d.jwksPath
        }
        func path(_ value: String?, _ flag: String) throws -> String? {
            guard let value else { return nil }
            guard value.hasPrefix("/"), !value.contains(where: { $0 == " " || $0.isNewline || $0 == "#" || $0 == "?" }) else {
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
            guard !value.isEmpty, !value.contains(where: { $0.isNewline }) else {
                throw ValidationError("\(flag): expected a field name (got '\(value)')")
            }
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
        p.jwksPath = try optionalPath(jwksPath, "--jwks-path", p.jwksPath)
        if let bodyFormat {
            guard let e = HTTPProfile.BodyEncoding(rawValue: bodyFormat) else {
                throw ValidationError("--body-format: expected form or json (got '\(bodyFormat)')")
            }
            p.encoding = e
        }
        if let v = loginGrantType { p.loginGrantType = v == "none" ? nil : try field(v, "--login-grant-type") }
        if let v = refreshGrantType { p.refreshGrantType = v == "none" ? nil : try field(v, "--refresh-grant-type") }
        if let v = try field(usernameField, "--username-field") { p.usernameField = v }
        if let v = try field(passwordField, "--password-field") { p.passwordField = v }
        if let v = try field(refreshTokenField, "--refresh-token-field") { p.refreshTokenField = v }
        if let v = try field(revokeTokenField, "--revoke-token-field") { p.revokeTokenField = v }
        if let v = revokeTokenHint { p.revokeTokenHint = v == "none" ? nil : try field(v, "--revoke-token-hint") }
        if let v = try pointer(accessTokenPointer, "--access-token-pointer") { p.accessTokenPointer = v }
        if let v = try pointer(refreshTokenPointer, "--refresh-token-pointer") { p.refreshTokenPointer = v }
        if let v = try pointer(expiresInPointer, "--expires-in-pointer") { p.expiresInPointer = v }
        func transport(_ value: String?, _ flag: String, _ accepted: String = "body, bearer or cookie:NAME") throws -> HTTPProfile.TokenTransport? {
            guard let value else { return nil }
            guard let t = HTTPProfile.TokenTransport(value), t != .body || accepted.hasPrefix("body") else {
                throw ValidationError("\(flag): expected \(accepted) (got '\(value)')")
            }
            return t
        }
        if let t = try transport(refreshTokenIn, "--refresh-token-in") { p.refreshTokenIn = t }
        if let t = try transport(accessTokenIn, "--access-token-in", "bearer or cookie:NAME") { p.accessTokenIn = t }
        if let t = try transport(revokeTokenIn, "--revoke-token-in") { p.revokeTokenIn = t }
        if let revokeWith {
            guard let r = HTTPProfile.RevokeWith(rawValue: revokeWith) else {
                throw ValidationError("--revoke-with: expected refresh or access (got '\(revokeWith)')")
            }
            p.revokeWith = r
        }
        p.refusalStatuses = refusalStatuses
        if let v = try pointer(errorPointer, "--error-pointer") { p.errorPointer = v }
        if let v = csrfCookie { p.csrfCookie = v }
        if let v = csrfHeader { p.csrfHeader = v }
        if let rotation {
            guard let r = HTTPProfile.Rotation(rawValue: rotation) else {
                throw ValidationError("--rotation: expected auto, always or never (got '\(rotation)')")
            }
            p.rotation = r
        }
        p.clientID = clientID
        if clientSecret != nil && clientID == nil { throw ValidationError("--client-secret: needs --client-id") }
        p.clientSecret = clientSecret
        p.headers = try headers.map(Self.header)
        p.loginFields = try loginFields.map { try Self.bodyField($0, "--login-field") }
        p.refreshFields = try refreshFields.map { try Self.bodyField($0, "--refresh-field") }
        p.revokeFields = try revokeFields.map { try Self.bodyField($0, "--revoke-field") }
        do throws(HTTPTargetError) { try p.validate() } catch {
            throw ValidationError("\(error.flag): expected \(error.accepted)")
        }
        return p
    }

    /// `Name: value` (RFC 9110 §5: a token, a colon, a value without control characters); the
    /// headers the driver sets itself are refused.
    /// - Throws: `ValidationError` (`--header`).
    static func header(_ text: String) throws -> HTTPProfile.Header {
        let fail = ValidationError("--header: expected 'Name: value' with a token name and no line breaks (got '\(text)')")
        guard let colon = text.firstIndex(of: ":") else { throw fail }
        let name = String(text[..<colon])
        let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        let tokenCharacters = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        guard !name.isEmpty, name.allSatisfy(tokenCharacters.contains),
              !value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) else { throw fail }
        guard !HTTPProfile.reservedHeaders.contains(name.lowercased()) else {
            throw ValidationError("--header: expected a header the driver does not set itself (\(name) is set by the profile: use --client-id/--client-secret or --refresh-token-in)")
        }
        return HTTPProfile.Header(name: name, value: value)
    }

    /// `name=value`.
    /// - Throws: `ValidationError` naming `flag`.
    static func bodyField(_ text: String, _ flag: String) throws -> HTTPProfile.Field {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex,
              !text.contains(where: { $0.isNewline }) else {
            throw ValidationError("\(flag): expected name=value (got '\(text)')")
        }
        return HTTPProfile.Field(name: String(text[..<equals]), value: String(text[text.index(after: equals)...]))
    }

    /// The metadata of `--issuer` for a target at `url` (``Discovery``), or `nil` without it.
    /// - Throws: `ExitCode` 64 or 69 after one line: a document that is missing, malformed or
    ///   names another issuer (69), endpoints on another server or a client authentication the
    ///   token endpoint does not take (64).
    func discover(url: String) async throws -> Discovery.Metadata? {
        guard let issuer else { return nil }
        let timeout = try pool(users: 1).timeout
        switch await Discovery.fetch(issuer: issuer, targetURL: url.split(separator: ",").first.map(String.init) ?? url, tls: tls, timeout: timeout) {
        case .success(let metadata):
            if clientSecret != nil, !metadata.authMethods.contains("client_secret_basic") {
                FileHandle.standardError.write(Data("tokenbench: --client-secret: the token endpoint takes \(metadata.authMethods.joined(separator: ", ")) (\(metadata.documentURL)); TokenBench authenticates a client with a secret by client_secret_basic\n".utf8))
                throw ExitCode(Verdict.badInput.exitCode)
            }
            FileHandle.standardError.write(Data("discovery: \(metadata.documentURL): token \(metadata.tokenPath), revocation \(metadata.revocationPath ?? "none"), userinfo \(metadata.userinfoPath ?? "none"), JWKS \(metadata.jwksPath ?? "none")\n".utf8))
            return metadata
        case .failure(let failure):
            FileHandle.standardError.write(Data("tokenbench: \(failure.message)\n".utf8))
            throw ExitCode(failure.exitCode)
        }
    }

    /// How to trust an HTTPS server.
    var tls: TLSSettings { TLSSettings(caCertificateFile: caCertificate, insecure: insecure) }

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

    /// The HTTP target for `url`, and its description for `result.json`.
    /// - Throws: `ValidationError` for a bad URL, profile, CA file or pool setting.
    func target(url: String, users: Int, accessTTL: Double, discovered: Discovery.Metadata? = nil) throws -> (HTTPTarget, HTTPTargetDescription) {
        let pool = try pool(users: users)
        let profile = try httpProfile(discovered: discovered)
        if !url.lowercased().hasPrefix("https://"), caCertificate != nil || insecure {
            throw ValidationError("--cacert/--insecure: apply to https:// targets only (got '\(url)')")
        }
        do throws(HTTPTargetError) {
            let target = try HTTPTarget(url: url, profile: profile, connections: pool.connections, timeout: pool.timeout,
                                        defaultExpiresIn: accessTTL, tls: tls)
            var description = HTTPTargetDescription(urls: url.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, profile: profile, profileFile: profileFile,
                                                    connections: pool.connections, timeout: pool.timeout,
                                                    tls: url.lowercased().hasPrefix("https://") ? tls : nil)
            description.issuer = issuer
            description.discoveryDocument = discovered?.documentURL
            return (target, description)
        } catch {
            if error.flag == "--target" { throw ValidationError("\(error.flag): expected \(error.accepted) (got '\(url)')") }
            throw ValidationError("\(error.flag): expected \(error.accepted)")
        }
    }
}
