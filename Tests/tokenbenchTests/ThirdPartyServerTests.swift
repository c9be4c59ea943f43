import Foundation
import Testing
import TokenAuthTesting

/// A third-party server of `Tests/ThirdPartyServers` (from PyPI, in the venv `script/test`
/// makes), started on a free loopback port for one test.
struct ThirdPartyServer {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ThirdPartyServers")
    static let profiles = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("results/profiles")

    /// The venv's Python (`TOKENBENCH_THIRDPARTY_PYTHON`), if set and present.
    static var python: String? {
        guard let path = ProcessInfo.processInfo.environment["TOKENBENCH_THIRDPARTY_PYTHON"],
              FileManager.default.isExecutableFile(atPath: path) else { return nil }
        return path
    }

    /// Whether the tests may run: the venv is there, or `TOKENBENCH_REQUIRE_THIRDPARTY=1` says
    /// that its absence is a failure (then the tests run and fail at start).
    static var enabled: Bool {
        python != nil || ProcessInfo.processInfo.environment["TOKENBENCH_REQUIRE_THIRDPARTY"] == "1"
    }

    let process: BackgroundProcess
    let url: String
    /// The Authlib client's secret, made for this start.
    let clientSecret: String

    /// - Parameters:
    ///   - name: a folder of `Tests/ThirdPartyServers` without `_server`: `simplejwt`, `authlib`,
    ///     `flaskjwt`, `authx` or `dot`.
    ///   - accessTTL: the access-token lifetime it issues, seconds.
    ///   - environment: settings of its README (`TOKENBENCH_SIMPLEJWT_ROTATE=0`, …).
    init(_ name: String, accessTTL: Int = 3, users: Int = 100, environment: [String: String] = [:]) throws {
        guard let python = Self.python else {
            throw BackgroundProcessError(message: "TOKENBENCH_THIRDPARTY_PYTHON is not set or not executable: run script/test (it makes the venv)")
        }
        let port = try RedisServerProcess.freePort()
        clientSecret = UUID().uuidString
        process = try BackgroundProcess(
            python, [Self.folder.appendingPathComponent("start.py").path, name, "--port", String(port)],
            environment: ["TOKENBENCH_ACCESS_TTL": String(accessTTL), "TOKENBENCH_USERS": String(users),
                          "TOKENBENCH_AUTHLIB_CLIENT_SECRET": clientSecret, "TOKENBENCH_DOT_CLIENT_SECRET": clientSecret]
                .merging(environment) { _, given in given },
            ready: "listening on", timeout: 90)
        url = "http://127.0.0.1:\(port)"
    }

    static func profile(_ name: String) -> String { profiles.appendingPathComponent("\(name).json").path }

    /// The client secrets a profile reads from the environment.
    var secrets: [String: String] {
        ["TOKENBENCH_AUTHLIB_CLIENT_SECRET": clientSecret, "TOKENBENCH_DOT_CLIENT_SECRET": clientSecret]
    }
}

/// `tokenbench probe` and `tokenbench run` against real third-party servers, through the
/// profiles shipped in `results/profiles/`, as a user would run them. The verdicts are what
/// these servers really do (neither has reuse detection; both fork under concurrent
/// refreshes), and none is one the tool caused.
@Suite("Third-party servers: djangorestframework-simplejwt and Authlib", .serialized,
       .enabled(if: ThirdPartyServer.enabled, "skipped: no venv of third-party servers (run script/test, or set TOKENBENCH_THIRDPARTY_PYTHON)"))
struct ThirdPartyServerTests {
    let cli = CLITests()

    func probe(_ server: ThirdPartyServer, _ profile: String, _ extra: [String] = []) throws -> [String: (verdict: String, evidence: String)] {
        let file = cli.temporaryDirectory() + ".json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try cli.run(["probe", server.url, "--profile", ThirdPartyServer.profile(profile), "--max-wait", "10s", "--json", file] + extra,
                            environment: server.secrets)
        #expect(r.status == 1, "every server of the corpus fails some case: \(r.stdout)\(r.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let cases = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: String]])
        var out: [String: (String, String)] = [:]
        for c in cases { out[c["id"] ?? "?"] = (c["verdict"] ?? "?", c["evidence"] ?? "") }
        return out
    }

    /// The case `id` has `verdict`, and its evidence contains `evidence` when given.
    func expectCase(_ cases: [String: (verdict: String, evidence: String)], _ id: String, _ verdict: String, _ evidence: String?,
                    sourceLocation: SourceLocation = #_sourceLocation) {
        let c = cases[id]
        #expect(c?.verdict == verdict, "\(id): \(c?.evidence ?? "missing")", sourceLocation: sourceLocation)
        if let evidence {
            #expect(c?.evidence.contains(evidence) == true, "\(id): \(c?.evidence ?? "missing")", sourceLocation: sourceLocation)
        }
    }

    @Test("a stopped server leaves no process behind: gunicorn's master and workers end with the test")
    func stoppedServerLeavesNothing() throws {
        let server = try ThirdPartyServer("simplejwt")
        let port = try #require(server.url.split(separator: ":").last.map(String.init))
        func survivors() throws -> String {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
            p.arguments = ["-f", "--", "--bind 127.0.0.1:\(port) "]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            p.waitUntilExit()
            return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        #expect(try !survivors().isEmpty, "gunicorn runs while the server is up")
        server.process.stop()
        var left = try survivors()
        for _ in 0..<100 where !left.isEmpty {
            Thread.sleep(forTimeInterval: 0.1)
            left = try survivors()
        }
        #expect(left.isEmpty, "processes still serving port \(port) after stop(): \(left)")
    }

    @Test("simplejwt, probed: no family revocation on reuse, the C1 fork, token confusion and alg none refused")
    func probeSimpleJWT() throws {
        let server = try ThirdPartyServer("simplejwt")
        defer { server.process.stop() }
        let cases = try probe(server, "simplejwt")
        func expect(_ id: String, _ verdict: String, _ evidence: String? = nil) { expectCase(cases, id, verdict, evidence) }
        expect("T1", "pass")
        expect("T2", "pass")
        expect("T3", "pass")
        expect("T6", "pass")
        expect("T7", "pass")
        expect("S1", "pass")
        expect("E1", "pass", "401")
        // No reuse detection: a replayed token is refused, the family lives on.
        expect("C4", "fail", "then R3: 200")
        expect("C3", "fail", "then the newest token: 200")
        expect("C5", "fail")
        // Two processes check the blacklist before either writes it: one login, several sessions.
        expect("C1", "fail", "forked")
        // Not an OAuth server: 401 token_not_valid instead of 400 invalid_grant.
        expect("X1", "fail", "401 error=token_not_valid")
        expect("C2", "n/a", "no grace window")
        expect("S2", "n/a")
    }

    @Test("Authlib, probed: RFC 6749 errors and revocation pass; no reuse detection")
    func probeAuthlib() throws {
        let server = try ThirdPartyServer("authlib")
        defer { server.process.stop() }
        let cases = try probe(server, "authlib")
        func expect(_ id: String, _ verdict: String, _ evidence: String? = nil) { expectCase(cases, id, verdict, evidence) }
        for pass in ["T1", "T2", "T6", "T7", "S1", "S3", "X1", "E1"] { expect(pass, "pass") }
        // The probe authenticates the client on its malformed requests too: what is judged is
        // the answer to the malformed part (before: 401 invalid_client, the tool's doing).
        expect("X4", "pass")
        expect("C4", "fail", "then R3: 200")
        expect("C3", "fail")
        expect("T3", "n/a", "not a JWS")
        expect("C2", "n/a", "no grace window")
    }

    /// A load run with logouts and the hostile mix; the violations the server really has, and
    /// no error the tool caused.
    func loadRun(_ name: String, allowed: Set<String>) throws {
        let server = try ThirdPartyServer(name)
        defer { server.process.stop() }
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try cli.run(["run", "--target", server.url, "--profile", ThirdPartyServer.profile(name), "--users", "20",
                             "--duration", "12s", "--think-time", "100ms", "--session-length", "6s", "--refresh-lead", "1s",
                             "--replay-ratio", "0.3", "--concurrent-refresh-ratio", "0.2", "--expired-access-ratio", "0.05",
                             "--forged-access-ratio", "0.05", "--quiet", "--out", out],
                            environment: server.secrets)
        #expect(r.status == 1, "a violation: \(r.stdout)\(r.stderr)")
        let text = try String(contentsOfFile: out + "/result.json", encoding: .utf8)
        #expect(!text.contains(server.clientSecret), "the client secret is never recorded")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let operations = try #require(json["operations"] as? [String: [String: Any]])
        for op in ["login", "access", "refresh", "logout"] {
            #expect((operations[op]?["count"] as? Int ?? 0) > 0, "\(op) happened")
            #expect(operations[op]?["errors"] as? Int == 0, "no \(op) error: \(operations[op]?["errors_by_kind"] ?? "")")
        }
        let invariants = try #require(json["invariants"] as? [String: Any])
        let kinds = try #require(invariants["by_kind"] as? [String: Int])
        #expect((kinds["family_not_revoked_after_replay"] ?? 0) > 0, "no reuse detection: \(kinds)")
        #expect(Set(kinds.keys).isSubset(of: allowed), "only the violations the server has: \(kinds)")
        let hostile = try #require((json["hostile"] as? [String: Any])?["by_kind"] as? [String: [String: Int]])
        for kind in ["replay", "concurrent_refresh", "expired_access", "forged_access", "post_logout_refresh"] {
            #expect((hostile[kind]?["sent"] ?? 0) > 0, "\(kind) sent")
        }
        for kind in ["replay", "expired_access", "forged_access", "post_logout_refresh"] {
            #expect(hostile[kind]?["refused"] == hostile[kind]?["sent"], "every \(kind) refused: \(hostile[kind] ?? [:])")
        }
        let http = try #require((json["config"] as? [String: Any])?["http"] as? [String: Any])
        #expect(http["profile_file"] as? String == ThirdPartyServer.profile(name))
        #expect(http["access_lifetime_source"] as? String == (name == "simplejwt" ? "jwt" : "expires_in"))
        #expect((json["config"] as? [String: Any])?["access-ttl"] as? Double == 3)
    }

    @Test("simplejwt under load with logouts and the hostile mix: its real violations, no tool error")
    func loadSimpleJWT() throws {
        try loadRun("simplejwt", allowed: ["family_not_revoked_after_replay", "concurrent_refresh_forked"])
    }

    @Test("Authlib under load with logouts and the hostile mix: its real violations, no tool error")
    func loadAuthlib() throws {
        try loadRun("authlib", allowed: ["family_not_revoked_after_replay", "concurrent_refresh_forked"])
    }

    @Test("the tool's mistakes are never the server's: a wrong path exits 69, a run too short for a refresh is inconclusive, a profile without revocation logs nobody out")
    func mutations() throws {
        let server = try ThirdPartyServer("simplejwt", accessTTL: 30)
        defer { server.process.stop() }
        let profile = ThirdPartyServer.profile("simplejwt")
        let out = cli.temporaryDirectory()
        // A typo in the refresh path: not current_token_rejected, but exit 69 naming the endpoint.
        let typo = try cli.run(["run", "--target", server.url, "--profile", profile, "--refresh-path", "/api/token/refreshh/",
                                "--duration", "5s", "--out", out])
        #expect(typo.status == 69)
        #expect(typo.stderr == "tokenbench: preflight: refresh POST \(server.url)/api/token/refreshh/ answered 404: the server does not serve this path, method or body format (--refresh-path, --body-format)\n")
        #expect(!FileManager.default.fileExists(atPath: out), "no result directory")
        // A typo in the resource path: not 100 % bad_response and a pass.
        let resource = try cli.run(["run", "--target", server.url, "--profile", profile, "--resource-path", "/api/mee/", "--duration", "5s"])
        #expect(resource.status == 69)
        #expect(resource.stderr.contains("resource GET \(server.url)/api/mee/ answered 404"), "\(resource.stderr)")
        // The revoke field named as the RFC says, not as simplejwt wants: the server's words are quoted.
        let field = try cli.run(["run", "--target", server.url, "--profile", profile, "--revoke-token-field", "token", "--duration", "5s"])
        #expect(field.status == 69)
        #expect(field.stderr.contains("answered 400 \"refresh: This field is required.\""), "\(field.stderr)")
        // 30 s access tokens, a 4 s run: no refresh happened, so the run cannot judge.
        let short = try cli.run(["run", "--target", server.url, "--profile", profile, "--users", "5", "--duration", "4s",
                                 "--session-length", "1h", "--quiet"])
        #expect(short.status == 3, "\(short.stdout)\(short.stderr)")
        #expect(short.stdout.contains("inconclusive: no refresh happened: access tokens live 30.0 s (from jwt)"), "\(short.stdout)")
        // No revocation path: sessions are abandoned, never counted as logged out, nothing is
        // expected of them.
        let none = try cli.run(["run", "--target", server.url, "--profile", profile, "--revoke-path", "none", "--users", "10",
                                "--duration", "4s", "--session-length", "1s", "--access-ttl", "30s", "--quiet", "--out", out])
        defer { try? FileManager.default.removeItem(atPath: out) }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/result.json"))) as? [String: Any])
        let operations = try #require(json["operations"] as? [String: [String: Any]])
        #expect(operations["logout"]?["count"] as? Int == 0)
        #expect((operations["login"]?["count"] as? Int ?? 0) > 10, "sessions ended and users logged in again")
        let invariants = try #require(json["invariants"] as? [String: Any])
        #expect(invariants["violations"] as? Int == 0, "\(invariants)")
        // 1 s sessions and 30 s access tokens: no refresh is due in a session, so none is expected.
        #expect(none.status == 0, "\(none.stdout)\(none.stderr)")
    }
}

/// The corpus beyond simplejwt and Authlib: real, unmodified servers from PyPI, each driven
/// through its profile in `results/profiles/`. The ground truth each test asserts was read from
/// the library's code and its answers to curl first (`Tests/ThirdPartyServers/*/FINDINGS.md`).
@Suite("The corpus of real servers: one that keeps its refresh tokens, tokens in headers and cookies with CSRF, an OAuth server found through discovery", .serialized,
       .enabled(if: ThirdPartyServer.enabled, "skipped: no venv of third-party servers (run script/test, or set TOKENBENCH_THIRDPARTY_PYTHON)"))
struct ServerCorpusTests {
    let cli = CLITests()
    let shared = ThirdPartyServerTests()

    /// A load run with the hostile mix a server that keeps its refresh tokens admits (no replay:
    /// nothing is ever spent) and logouts; returns `result.json`.
    func keepingRun(_ server: ThirdPartyServer, _ profile: String, _ extra: [String] = []) throws -> [String: Any] {
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try cli.run(["run", "--target", server.url, "--profile", ThirdPartyServer.profile(profile), "--users", "20",
                             "--duration", "12s", "--think-time", "100ms", "--session-length", "6s", "--refresh-lead", "1s",
                             "--concurrent-refresh-ratio", "0.2", "--expired-access-ratio", "0.05", "--forged-access-ratio", "0.05",
                             "--quiet", "--out", out] + extra, environment: server.secrets)
        #expect(r.status == 0, "a server that keeps its tokens and revokes at logout passes: \(r.stdout)\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/result.json"))) as? [String: Any])
        let operations = try #require(json["operations"] as? [String: [String: Any]])
        for op in ["login", "access", "refresh", "logout"] {
            #expect((operations[op]?["count"] as? Int ?? 0) > 0, "\(op) happened")
            #expect(operations[op]?["errors"] as? Int == 0, "no \(op) error: \(operations[op]?["errors_by_kind"] ?? "")")
        }
        let invariants = try #require(json["invariants"] as? [String: Any])
        #expect(invariants["violations"] as? Int == 0, "\(invariants)")
        let hostile = try #require((json["hostile"] as? [String: Any])?["by_kind"] as? [String: [String: Int]])
        for (kind, counts) in hostile {
            // Every request accounted for.
            #expect(counts["sent"] == (counts["refused"] ?? 0) + (counts["accepted"] ?? 0) + (counts["unjudged"] ?? 0), "\(kind): \(counts)")
        }
        for kind in ["expired_access", "forged_access", "post_logout_refresh"] {
            #expect((hostile[kind]?["sent"] ?? 0) > 0 && hostile[kind]?["refused"] == hostile[kind]?["sent"], "every \(kind) refused: \(hostile[kind] ?? [:])")
        }
        // Two tabs of a server that keeps its tokens both succeed: expected, never a fork.
        #expect((hostile["concurrent_refresh"]?["accepted"] ?? 0) > 0, "\(hostile["concurrent_refresh"] ?? [:])")
        let http = try #require((json["config"] as? [String: Any])?["http"] as? [String: Any])
        #expect(http["rotation"] as? String == "keeps")
        return json
    }

    /// Ground truth (FINDINGS.md of simplejwt_server, its code and curl): with
    /// `ROTATE_REFRESH_TOKENS = False`, simplejwt's default, `/api/token/refresh/` answers
    /// `{"access": …}` only; the refresh token lives until the blacklist view blacklists it (then
    /// 401 `token_not_valid` "Token is blacklisted"); bad tokens are 401 `token_not_valid`.
    @Test("simplejwt without rotation (its default): R1 fails, reuse cases n/a, logout revokes; a hostile run passes")
    func simpleJWTKeeping() throws {
        let server = try ThirdPartyServer("simplejwt", environment: ["TOKENBENCH_SIMPLEJWT_ROTATE": "0"])
        defer { server.process.stop() }
        let cases = try shared.probe(server, "simplejwt")
        func expect(_ id: String, _ verdict: String, _ evidence: String? = nil) { shared.expectCase(cases, id, verdict, evidence) }
        expect("R1", "fail", "3 of 3 refreshes kept the presented refresh token")
        for id in ["C1", "C2", "C3", "C4", "C5", "X1"] { expect(id, "n/a", "the server keeps its refresh tokens (R1)") }
        for id in ["T1", "T2", "T3", "T6", "T7", "E1", "S1", "S4", "C6"] { expect(id, "pass") }
        expect("S3", "fail", "unknown token: invalid_token (401 token_not_valid)")
        expect("X5", "fail", "WWW-Authenticate: Bearer realm=\"api\"")
        expect("X6", "fail", "Cache-Control none")
        _ = try keepingRun(server, "simplejwt")
    }

    /// Ground truth (flaskjwt_server/FINDINGS.md): `POST /refresh` takes the refresh token as
    /// Bearer and answers `{"access_token"}` only; logout revokes the jti it is shown (then 401
    /// "Token has been revoked"); a wrong token type, a bad signature or `alg: none` is 422
    /// `{"msg"}`, an expired token 401; no `WWW-Authenticate` challenge, no `Cache-Control`.
    @Test("Flask-JWT-Extended, headers mode as documented: refused with 422 is refused; a Bearer logout revokes; a hostile run passes")
    func flaskJWT() throws {
        let server = try ThirdPartyServer("flaskjwt")
        defer { server.process.stop() }
        let cases = try shared.probe(server, "flaskjwt")
        func expect(_ id: String, _ verdict: String, _ evidence: String? = nil) { shared.expectCase(cases, id, verdict, evidence) }
        expect("R1", "fail", "kept the presented refresh token")
        expect("T1", "pass", "422 \"Only non-refresh tokens are allowed\"")
        expect("T2", "pass", "invalid_request (422)")
        expect("T3", "pass", "422 \"The specified alg value is not allowed\"")
        expect("E1", "pass", "401")
        expect("S1", "pass", "refresh then: invalid_grant (401)")
        expect("S4", "pass")
        for id in ["T6", "T7", "C6"] { expect(id, "pass") }
        expect("X1", "n/a")
        expect("X4", "n/a", "the Authorization header")
        expect("X5", "fail", "422 \"Not enough segments\"; WWW-Authenticate: none")
        expect("X6", "fail", "Cache-Control none")
        expect("S3", "fail", "unknown token: invalid_request (422)")
        _ = try keepingRun(server, "flaskjwt")
    }

    /// Ground truth (authx_server/FINDINGS.md): tokens only in cookies (HttpOnly
    /// `access_token_cookie`, `refresh_token_cookie`; readable `csrf_refresh_token`, set at login
    /// only); `POST /refresh` needs `X-CSRF-TOKEN` equal to the refresh token's `csrf` claim and
    /// sets a new access cookie only; expired, tampered and `alg: none` tokens are 422, a wrong
    /// token type or a revoked token 401; the blocklist holds raw token strings, and PyJWT accepts
    /// a trailing `=` on the signature, so a revoked token with `=` appended still refreshes.
    @Test("AuthX, cookies with double-submit CSRF: every request carries its token's CSRF value; S4 finds the revocation bypass; a hostile run passes")
    func authX() throws {
        let server = try ThirdPartyServer("authx")
        defer { server.process.stop() }
        let cases = try shared.probe(server, "authx")
        func expect(_ id: String, _ verdict: String, _ evidence: String? = nil) { shared.expectCase(cases, id, verdict, evidence) }
        expect("R1", "fail", "kept the presented refresh token")
        expect("T1", "pass", "401 \"Access token required\"")
        expect("T3", "pass", "422 \"Invalid Token\"")
        expect("E1", "pass", "422")
        expect("S1", "pass")
        // Tampered tokens are refused for what they are, never for a missing CSRF value.
        expect("T7", "pass", "one character changed: invalid_request (422)")
        expect("S4", "fail", "with '=' appended: 200")
        for id in ["T2", "T6", "C6"] { expect(id, "pass") }
        expect("X4", "n/a", "a cookie")
        expect("X5", "n/a", "travels in a cookie")
        expect("X6", "fail")
        let json = try keepingRun(server, "authx")
        let http = try #require((json["config"] as? [String: Any])?["http"] as? [String: Any])
        #expect(http["csrf_cookie"] as? String == "csrf_refresh_token" && http["access_token_in"] as? String == "cookie:access_token_cookie")
    }

    /// Ground truth (dot_server/FINDINGS.md): the OpenID Connect document of the issuer
    /// `URL/o` names `/o/token/`, `/o/userinfo/` and `/o/.well-known/jwks.json` but no
    /// revocation endpoint; its RFC 8414 document adds `/o/revoke_token/`. DOT rotates, refuses a
    /// spent token with 400 `invalid_grant` and does not revoke the family (reuse protection off
    /// by default); userinfo refuses with 401 and RFC 6750's challenge; token answers are
    /// `no-store` JSON.
    @Test("django-oauth-toolkit found through discovery: paths from its metadata; RFC 6749 conformance passes; no reuse detection, under load too")
    func dotThroughDiscovery() throws {
        let server = try ThirdPartyServer("dot")
        defer { server.process.stop() }
        let cases = try shared.probe(server, "dot-discovery", ["--issuer", server.url + "/o"])
        func expect(_ id: String, _ verdict: String, _ evidence: String? = nil) { shared.expectCase(cases, id, verdict, evidence) }
        expect("R1", "pass", "3 of 3 refreshes issued a new refresh token")
        expect("T1", "pass", "GET /o/userinfo/ with the refresh token: 401")
        for id in ["T2", "T6", "T7", "E1", "S1", "S3", "X1", "X4", "X6"] { expect(id, "pass") }
        expect("X5", "pass", "error=\"invalid_token\"")
        expect("C4", "fail", "then R3: 200")
        expect("C3", "fail", "then the newest token: 200")
        expect("T3", "n/a", "not a JWS")
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try cli.run(["run", "--target", server.url, "--profile", ThirdPartyServer.profile("dot-discovery"), "--issuer", server.url + "/o",
                             "--users", "20", "--duration", "12s", "--think-time", "100ms", "--session-length", "6s", "--refresh-lead", "1s",
                             "--replay-ratio", "0.3", "--expired-access-ratio", "0.05", "--forged-access-ratio", "0.05", "--quiet", "--out", out],
                            environment: server.secrets)
        #expect(r.status == 1, "no reuse detection: \(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("discovery: \(server.url)/o/.well-known/openid-configuration: token /o/token/, revocation /o/revoke_token/, userinfo /o/userinfo/"), "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/result.json"))) as? [String: Any])
        let kinds = try #require((json["invariants"] as? [String: Any])?["by_kind"] as? [String: Int])
        #expect((kinds["family_not_revoked_after_replay"] ?? 0) > 0 && Set(kinds.keys) == ["family_not_revoked_after_replay"], "\(kinds)")
        let operations = try #require(json["operations"] as? [String: [String: Any]])
        for op in ["login", "access", "refresh", "logout"] {
            #expect(operations[op]?["errors"] as? Int == 0, "no \(op) error: \(operations[op]?["errors_by_kind"] ?? "")")
        }
        let http = try #require((json["config"] as? [String: Any])?["http"] as? [String: Any])
        #expect(http["resource_path"] as? String == "/o/userinfo/" && http["jwks_path"] as? String == "/o/.well-known/jwks.json")
    }
}
