import Foundation
import TokenResults

/// An HTTP profile as data: a JSON file whose keys are the HTTP-target flags of `run` and
/// `probe` without their dashes, like a scenario (``Scenario``), plus `base` (the built-in
/// profile it starts from: `native`, `oauth2` or `custom`, default `custom`) and what is known of
/// the server's settings (`grace`, `leeway`, `access-ttl`, `refresh-ttl`):
///
/// ```json
/// { "description": "djangorestframework-simplejwt with rotation and the blacklist",
///   "base": "custom", "login-path": "/api/token/", "refresh-path": "/api/token/refresh/",
///   "body-format": "json", "refresh-token-field": "refresh", "grace": "0s" }
/// ```
///
/// `--profile FILE.json` places the file's flags before all others, so a scenario's flags and
/// the command line's override them; lists (`header`, `login-field`, …) add up. Unknown keys,
/// a key named twice and keys that describe a run rather than a server are refused.
public enum ProfileFile {
    /// The keys a profile file may hold.
    public static let keys: Set<String> = [
        "base", "issuer", "login-path", "refresh-path", "resource-path", "revoke-path", "logout-all-path", "jwks-path", "body-format",
        "login-grant-type", "refresh-grant-type", "username-field", "password-field", "refresh-token-field",
        "revoke-token-field", "revoke-token-hint", "access-token-pointer", "refresh-token-pointer", "expires-in-pointer",
        "refresh-token-in", "access-token-in", "revoke-token-in", "revoke-with", "csrf-cookie", "csrf-header", "refusal-status", "error-pointer", "rotation", "client-id", "client-secret", "header", "login-field", "refresh-field", "revoke-field",
        "username-pattern", "password-pattern", "users-csv", "cacert", "insecure",
        "grace", "leeway", "access-ttl", "refresh-ttl",
    ]

    package static let rules = Scenario.Rules(
        kind: "profile", command: "HTTP-target", allowed: keys,
        refused: ["profile": "is not a profile key: name the built-in profile to start from with \"base\""],
        repeatable: ["header", "login-field", "refresh-field", "revoke-field", "refusal-status"],
        renamed: ["base": "profile"], flags: ["insecure"])

    /// Reads a profile file into flags (`["--profile", "custom", "--login-path", "/api/token/", …]`).
    /// - Throws: ``ScenarioError`` (kind `profile`) naming the file and the problem.
    public static func arguments(path: String, environment: [String: String]) throws(ScenarioError) -> [String] {
        let parsed = try Scenario.load(path: path, environment: environment, rules: rules)
        var arguments = parsed.arguments
        if !arguments.contains("--profile") { arguments = ["--profile", "custom"] + arguments }
        return arguments
    }

    /// Whether a `--profile` value names a file rather than a built-in profile.
    public static func isFile(_ value: String) -> Bool {
        value.hasSuffix(".json") || value.contains("/")
    }

    /// A profile file describing `profile` and what is known of the server, in the order of the
    /// flags' table (docs/profiles.md): what `probe --write-profile` writes. Never a secret: a
    /// client secret becomes `${TOKENBENCH_CLIENT_SECRET}` and a header's value
    /// `${TOKENBENCH_HEADER_<NAME>}`, read from the environment when the file is used.
    /// - Parameters:
    ///   - known: `grace`, `leeway`, `access-ttl`, `refresh-ttl` and `rotation` as learned or
    ///     given (`"2s"`, `"never"`), in the order given.
    ///   - issuer: `--issuer`, when the paths came from discovery.
    /// - Returns: the file's bytes, pretty-printed JSON.
    public static func document(describing profile: HTTPProfile, description: String, known: [(String, String)], issuer: String?) -> Data {
        var entries: [(String, String)] = [("description", description), ("base", "custom")]
        func add(_ key: String, _ value: String?) { entries.append((key, value ?? "none")) }
        if let issuer { add("issuer", issuer) }
        add("login-path", profile.loginPath)
        add("refresh-path", profile.refreshPath)
        add("resource-path", profile.resourcePath)
        add("revoke-path", profile.revokePath)
        add("logout-all-path", profile.logoutAllPath)
        if let jwks = profile.jwksPath { add("jwks-path", jwks) }
        add("body-format", profile.encoding.rawValue)
        add("login-grant-type", profile.loginGrantType)
        add("refresh-grant-type", profile.refreshGrantType)
        add("username-field", profile.usernameField)
        add("password-field", profile.passwordField)
        add("refresh-token-field", profile.refreshTokenField)
        add("revoke-token-field", profile.revokeTokenField)
        add("revoke-token-hint", profile.revokeTokenHint)
        add("access-token-pointer", profile.accessTokenPointer)
        add("refresh-token-pointer", profile.refreshTokenPointer)
        add("expires-in-pointer", profile.expiresInPointer)
        add("access-token-in", profile.accessTokenIn.text)
        add("refresh-token-in", profile.refreshTokenIn.text)
        add("revoke-token-in", profile.revokeTokenIn.text)
        add("revoke-with", profile.revokeWith.rawValue)
        if let pointer = profile.errorPointer { add("error-pointer", pointer) }
        if let cookie = profile.csrfCookie, let header = profile.csrfHeader {
            add("csrf-cookie", cookie)
            add("csrf-header", header)
        }
        if let id = profile.clientID {
            add("client-id", id)
            if profile.clientSecret != nil { add("client-secret", "${TOKENBENCH_CLIENT_SECRET}") }
        }
        entries += known
        var lists: [(String, [String])] = []
        let headers = profile.headers.map { h in
            "\(h.name): ${TOKENBENCH_HEADER_\(String(h.name.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }))}"
        }
        for (key, values) in [("header", headers), ("login-field", profile.loginFields.map { "\($0.name)=\($0.value)" }),
                              ("refresh-field", profile.refreshFields.map { "\($0.name)=\($0.value)" }),
                              ("revoke-field", profile.revokeFields.map { "\($0.name)=\($0.value)" }),
                              ("refusal-status", profile.refusalStatuses.map(String.init))] where !values.isEmpty {
            lists.append((key, values))
        }
        func quoted(_ text: String) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        }
        var lines = entries.map { "  \(quoted($0.0)): \(quoted($0.1))" }
        lines += lists.map { "  \(quoted($0.0)): [" + $0.1.map(quoted).joined(separator: ", ") + "]" }
        return Data(("{\n" + lines.joined(separator: ",\n") + "\n}\n").utf8)
    }
}
