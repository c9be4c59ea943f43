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
        "refresh-token-in", "access-token-in", "revoke-token-in", "revoke-with", "csrf-cookie", "csrf-header", "rotation", "client-id", "client-secret", "header", "login-field", "refresh-field", "revoke-field",
        "username-pattern", "password-pattern", "users-csv", "cacert", "insecure",
        "grace", "leeway", "access-ttl", "refresh-ttl",
    ]

    package static let rules = Scenario.Rules(
        kind: "profile", command: "HTTP-target", allowed: keys,
        refused: ["profile": "is not a profile key: name the built-in profile to start from with \"base\""],
        repeatable: ["header", "login-field", "refresh-field", "revoke-field"],
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
}
