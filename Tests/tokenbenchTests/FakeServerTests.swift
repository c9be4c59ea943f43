import Foundation
import Testing
import TokenAuthTesting

/// A fake server of `Tests/FakeServers/fake_token_server.py` (Python's standard library), on a
/// free loopback port for one test.
struct FakeTokenServer {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FakeServers/fake_token_server.py").path
    static let profile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FakeServers/fake-refusing.json").path

    let process: BackgroundProcess
    let url: String

    /// - Parameter mode: `refusing` or `hostile` (see the script).
    init(_ mode: String) throws {
        let port = try RedisServerProcess.freePort()
        process = try BackgroundProcess("/usr/bin/env", ["python3", Self.script, "--mode", mode, "--port", String(port)],
                                        ready: "listening on", timeout: 30)
        url = "http://127.0.0.1:\(port)"
    }
}

/// Ground truth of the `refusing` server, read from its code and checked with curl: a login
/// answers 200 `{access_token, refresh_token, expires_in: 2}` (opaque tokens); `GET /me` with an
/// unknown, altered or expired access token answers **422** `{"detail": "Signature verification
/// failed"}`; a refresh with a spent token answers **401** `{"detail": "Token is invalid or
/// expired"}` and revokes the family; `/logout` revokes the family. It is not an OAuth server,
/// and it refuses every bad token.
@Suite("Refused is refused, every request accounted for, and no answer can crash the tool", .serialized)
struct FakeServerTests {
    let cli = CLITests()

    @Test("a server that refuses forged tokens with 422 and replays with 401: every hostile request refused, counted by status, no violation")
    func refusalsWhateverTheStatus() throws {
        let server = try FakeTokenServer("refusing")
        defer { server.process.stop() }
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        // Sessions of 4–12 s with a refresh every 1.5 s: each has spent tokens old enough to replay
        // (two rotations back, or one more than grace + 1 s ago), and most end in a logout.
        let r = try cli.run(["run", "--target", server.url, "--profile", FakeTokenServer.profile, "--users", "10", "--duration", "10s",
                             "--think-time", "100ms", "--session-length", "8s", "--refresh-lead", "500ms", "--refresh-jitter", "0s",
                             "--replay-ratio", "0.3", "--forged-access-ratio", "0.2", "--quiet", "--out", out])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/result.json"))) as? [String: Any])
        let hostile = try #require((json["hostile"] as? [String: Any])?["by_kind"] as? [String: [String: Int]])
        let refusedBy = try #require((json["hostile"] as? [String: Any])?["refused_by"] as? [String: [String: Int]])
        let forged = try #require(hostile["forged_access"])
        let sent = try #require(forged["sent"])
        #expect(sent > 0)
        #expect(forged["refused"] == sent, "\(forged)")
        #expect(forged["accepted"] == 0)
        #expect(forged["unjudged"] == 0)
        #expect(refusedBy["forged_access"] == ["422": sent], "\(refusedBy)")
        let replays = try #require(hostile["replay"]?["sent"])
        #expect(replays > 0)
        #expect(refusedBy["replay"] == ["401": replays], "\(refusedBy)")
        #expect(r.stdout.contains("forged_access \(sent) sent: \(sent) refused (422 ×\(sent)), 0 accepted"), "\(r.stdout)")
        let invariants = try #require(json["invariants"] as? [String: Any])
        #expect(invariants["violations"] as? Int == 0, "\(invariants)")
    }

    @Test("the preflight teaches: the last account of --users logs in too, and a lifetime the server's answers contradict is named")
    func preflightTeaches() throws {
        let server = try FakeTokenServer("refusing")
        defer { server.process.stop() }
        let tooMany = try cli.run(["run", "--target", server.url, "--profile", FakeTokenServer.profile, "--users", "3000", "--duration", "2s"])
        #expect(tooMany.status == 69, "\(tooMany.stdout)\(tooMany.stderr)")
        #expect(tooMany.stderr.contains("the login of 'user2999', the last of --users 3000, was refused"), "\(tooMany.stderr)")
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let ttl = try cli.run(["run", "--target", server.url, "--profile", FakeTokenServer.profile, "--users", "5", "--duration", "3s",
                               "--access-ttl", "1s", "--refresh-lead", "500ms", "--refresh-jitter", "0s", "--session-length", "1h",
                               "--quiet", "--out", out])
        #expect(ttl.stderr.contains("access tokens live 2.00 s (from expires_in; --access-ttl 1s ignored)"), "\(ttl.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/result.json"))) as? [String: Any])
        #expect((json["notes"] as? [String])?.contains("access tokens live 2.00 s (from expires_in; --access-ttl 1s ignored)") == true,
                "\(json["notes"] ?? "")")
    }

    @Test("a server that refuses with a redirect: unjudged until the profile names the status (--refusal-status 302), then refused; --error-pointer reads its label")
    func refusalStatus() throws {
        let server = try FakeTokenServer("refusing")
        defer { server.process.stop() }
        func run(_ extra: [String]) throws -> [String: Any] {
            let out = cli.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: out) }
            let r = try cli.run(["run", "--target", server.url, "--profile", FakeTokenServer.profile, "--resource-path", "/me-redirect",
                                 "--users", "4", "--duration", "4s", "--think-time", "50ms", "--forged-access-ratio", "0.3",
                                 "--quiet", "--out", out] + extra)
            #expect([0, 3].contains(r.status), "\(r.stdout)\(r.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/result.json"))) as? [String: Any])
            let hostile = try #require(json["hostile"] as? [String: Any])
            return try #require((hostile["by_kind"] as? [String: [String: Any]])?["forged_access"])
        }
        // Ground truth (the script, and curl): GET /me-redirect with a bad token answers 302
        // Location: /login with {"problem": {"code": "token_rejected"}}.
        let unnamed = try run([])
        #expect((unnamed["sent"] as? Int ?? 0) > 0 && unnamed["refused"] as? Int == 0 && unnamed["unjudged"] as? Int == unnamed["sent"] as? Int,
                "a 302 is no refusal until the profile says so: \(unnamed)")
        let named = try run(["--refusal-status", "302", "--error-pointer", "/problem/code"])
        #expect((named["sent"] as? Int ?? 0) > 0 && named["refused"] as? Int == named["sent"] as? Int, "\(named)")
        let r = try cli.run(["run", "--target", server.url, "--refusal-status", "500", "--duration", "1s"])
        #expect(r.status == 64 && r.stderr.contains("--refusal-status: expected a 3xx status"), "\(r.stderr)")
    }

    @Test("the probe judges security cases by refusal, whatever the status: T1 passes on a 422")
    func probeRefusals() throws {
        let server = try FakeTokenServer("refusing")
        defer { server.process.stop() }
        let file = cli.temporaryDirectory() + ".json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try cli.run(["probe", server.url, "--profile", FakeTokenServer.profile, "--max-wait", "5s", "--json", file])
        #expect([0, 1].contains(r.status), "\(r.stdout)\(r.stderr)")
        let cases = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [[String: String]])
        let t1 = cases.first { $0["id"] == "T1" }
        #expect(t1?["verdict"] == "pass", "\(t1 ?? [:])")
        #expect(t1?["evidence"]?.contains("422 \"Signature verification failed\"") == true, "\(t1 ?? [:])")
        let t2 = cases.first { $0["id"] == "T2" }
        #expect(t2?["verdict"] == "pass", "refreshing with the access token is refused with 401: \(t2 ?? [:])")
        let e1 = cases.first { $0["id"] == "E1" }
        #expect(e1?["verdict"] == "pass", "the expired token is refused with 422: \(e1 ?? [:])")
    }

    /// Ground truth of the `hostile` server: after four sound answers, its token answers cycle
    /// through a 20 KiB access token, `expires_in: 1e19`, malformed JSON, a JSON array, a
    /// 5 MiB body, two responses to one request, and a Content-Length longer than the body.
    @Test("a deliberately hostile fake server: run and probe end with an exit code of their own, never a crash; its answers are bad_response")
    func hostileServer() throws {
        let server = try FakeTokenServer("hostile")
        defer { server.process.stop() }
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try cli.run(["run", "--target", server.url, "--profile", FakeTokenServer.profile, "--users", "8", "--duration", "5s",
                             "--think-time", "100ms", "--session-length", "2s", "--max-error-rate", "100%", "--quiet", "--out", out])
        #expect([0, 1, 2, 3].contains(r.status), "a verdict, not a crash: \(r.status) \(r.stdout)\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/result.json"))) as? [String: Any])
        let operations = try #require(json["operations"] as? [String: [String: Any]])
        let loginErrors = operations["login"]?["errors_by_kind"] as? [String: Int] ?? [:]
        let refreshErrors = operations["refresh"]?["errors_by_kind"] as? [String: Int] ?? [:]
        #expect((loginErrors["bad_response"] ?? 0) + (refreshErrors["bad_response"] ?? 0) > 0, "\(loginErrors) \(refreshErrors)")
        let probe = try cli.run(["probe", server.url, "--profile", FakeTokenServer.profile, "--max-wait", "5s"])
        #expect([0, 1, 64, 69].contains(probe.status), "an exit code, not a crash: \(probe.status) \(probe.stdout)\(probe.stderr)")
    }
}

/// Ground truth of the fake server's discovery documents (its code, and curl): the issuer
/// `URL/rfc8414` has RFC 8414 metadata only (`/.well-known/oauth-authorization-server/rfc8414`,
/// 404 at the OpenID Connect path) naming `URL/login` as the token endpoint, `URL/logout` as the
/// revocation endpoint and `URL/jwks` (404) as its JWK Set; `/missing` has no document;
/// `/malformed` answers truncated JSON; `/wrong-issuer` names `https://auth.example.com`;
/// `/elsewhere` puts its token endpoint there; `/no-token` names none; `/huge` is 5 MiB.
@Suite("Discovery (--issuer): OpenID Connect, then RFC 8414; a broken document is one line, the right exit code, nothing written", .serialized)
struct DiscoveryTests {
    let cli = CLITests()

    @Test("RFC 8414 metadata gives the paths; a flag beside --issuer wins; the issuer, the document and jwks_uri are recorded")
    func rfc8414() throws {
        let server = try FakeTokenServer("refusing")
        defer { server.process.stop() }
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        // The metadata says /login for both grants; this server refreshes at /refresh, so the
        // flag given beside --issuer overrides the document.
        let r = try cli.run(["run", "--target", server.url, "--profile", FakeTokenServer.profile, "--issuer", server.url + "/rfc8414",
                             "--refresh-path", "/refresh", "--users", "4", "--duration", "3s", "--think-time", "100ms", "--quiet", "--out", out])
        #expect(r.stderr.contains("discovery: \(server.url)/.well-known/oauth-authorization-server/rfc8414: token /login, revocation /logout, userinfo none, JWKS /jwks"), "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/result.json"))) as? [String: Any])
        let http = try #require((json["config"] as? [String: Any])?["http"] as? [String: Any])
        #expect(http["issuer"] as? String == server.url + "/rfc8414")
        #expect(http["discovery_document"] as? String == server.url + "/.well-known/oauth-authorization-server/rfc8414")
        #expect(http["jwks_path"] as? String == "/jwks")
        #expect(http["login_path"] as? String == "/login")
        #expect(http["refresh_path"] as? String == "/refresh", "the flag won")
        let operations = try #require(json["operations"] as? [String: [String: Any]])
        #expect((operations["refresh"]?["count"] as? Int ?? 0) > 0 && operations["refresh"]?["errors"] as? Int == 0, "\(operations["refresh"] ?? [:])")
    }

    @Test("a missing, malformed, foreign, off-server, token-less or giant document: one line, exit 69 or 64, no result written", arguments: [
        ("missing", 69, "no metadata document for the issuer"), ("malformed", 69, "not a JSON object"),
        ("wrong-issuer", 69, "names the issuer 'https://auth.example.com'"), ("elsewhere", 64, "token_endpoint https://auth.example.com/token is not under"),
        ("no-token", 69, "names no token_endpoint"), ("huge", 69, "no answer"),
    ])
    func broken(_ issuer: String, _ status: Int32, _ message: String) throws {
        let server = try FakeTokenServer("refusing")
        defer { server.process.stop() }
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try cli.run(["run", "--target", server.url, "--profile", FakeTokenServer.profile, "--issuer", server.url + "/" + issuer,
                             "--users", "2", "--duration", "2s", "--quiet", "--out", out])
        #expect(r.status == status, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/result.json"), "nothing written")
    }

    @Test("an issuer that is not a URL is refused before anything is sent (exit 64)")
    func notAURL() throws {
        let r = try cli.run(["probe", "http://127.0.0.1:1", "--issuer", "auth.example.com"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--issuer: expected the issuer's http:// or https:// URL"), "\(r.stderr)")
    }
}

/// Ground truth of the `keeping` server (its code, and curl): a refresh answers 200
/// `{"access_token", "expires_in": 2, "token_type"}` with no refresh token; the presented
/// refresh token keeps working until `/logout` revokes it (401 afterwards). RFC 6749 §6 allows
/// this: it is the flow TokenBench started from.
@Suite("A server that keeps its refresh tokens (RFC 6749 §6) is driven and judged by what it promises", .serialized)
struct KeepingServerTests {
    let cli = CLITests()

    @Test("run: the preflight sees that the server keeps its tokens; two-tab refreshes are expected, logouts still revoke; pass")
    func run() throws {
        let server = try FakeTokenServer("keeping")
        defer { server.process.stop() }
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try cli.run(["run", "--target", server.url, "--profile", FakeTokenServer.profile, "--users", "10", "--duration", "6s",
                             "--think-time", "100ms", "--session-length", "3s", "--refresh-lead", "500ms", "--refresh-jitter", "0s",
                             "--concurrent-refresh-ratio", "0.3", "--forged-access-ratio", "0.1", "--quiet", "--out", out])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/result.json"))) as? [String: Any])
        let http = try #require((json["config"] as? [String: Any])?["http"] as? [String: Any])
        #expect(http["rotation"] as? String == "keeps")
        let invariants = try #require(json["invariants"] as? [String: Any])
        #expect(invariants["violations"] as? Int == 0, "\(invariants)")
        let refresh = try #require((json["operations"] as? [String: [String: Any]])?["refresh"])
        #expect((refresh["count"] as? Int ?? 0) > 0)
        #expect(refresh["errors"] as? Int == 0, "\(refresh["errors_by_kind"] ?? "")")
        let hostile = try #require((json["hostile"] as? [String: Any])?["by_kind"] as? [String: [String: Any]])
        let pairs = try #require(hostile["concurrent_refresh"])
        #expect((pairs["sent"] as? Int ?? 0) > 0)
        #expect(pairs["accepted"] as? Int == pairs["sent"] as? Int, "both tabs succeed: \(pairs)")
        let afterLogout = try #require(hostile["post_logout_refresh"])
        #expect(afterLogout["refused"] as? Int == afterLogout["sent"] as? Int, "\(afterLogout)")
        #expect((json["notes"] as? [String])?.contains { $0.hasPrefix("the server keeps its refresh tokens") } == true)
    }

    /// Ground truth of the `sometimes` server (its code): refreshes alternate between a new
    /// refresh token and none (the presented one kept), across all sessions.
    @Test("a server that rotates only sometimes: R1 says so with the counts, and a run's note gives them")
    func sometimes() throws {
        let server = try FakeTokenServer("sometimes")
        defer { server.process.stop() }
        let file = cli.temporaryDirectory() + ".json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        _ = try cli.run(["probe", server.url, "--profile", FakeTokenServer.profile, "--max-wait", "5s", "--json", file])
        let cases = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [[String: String]])
        let r1 = cases.first { $0["id"] == "R1" }
        #expect(r1?["verdict"] == "fail" && r1?["evidence"]?.hasPrefix("rotates only sometimes: ") == true, "\(r1 ?? [:])")
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = try cli.run(["run", "--target", server.url, "--profile", FakeTokenServer.profile, "--users", "6", "--duration", "5s",
                         "--think-time", "100ms", "--session-length", "4s", "--refresh-lead", "500ms", "--quiet", "--out", out])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/result.json"))) as? [String: Any])
        let notes = json["notes"] as? [String] ?? []
        #expect(notes.contains { $0.hasPrefix("the server rotates refresh tokens only sometimes: ") }, "\(notes)")
    }

    @Test("a replay ratio, or --rotation always, against a server that keeps its tokens: one line, exit 64, nothing written")
    func contradictions() throws {
        let server = try FakeTokenServer("keeping")
        defer { server.process.stop() }
        let out = cli.temporaryDirectory()
        let replay = try cli.run(["run", "--target", server.url, "--profile", FakeTokenServer.profile, "--replay-ratio", "0.1",
                                  "--duration", "2s", "--out", out])
        #expect(replay.status == 64, "\(replay.stdout)\(replay.stderr)")
        #expect(replay.stderr.hasPrefix("tokenbench: --replay-ratio: the server keeps its refresh tokens"), "\(replay.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/result.json"))
        let always = try cli.run(["run", "--target", server.url, "--profile", FakeTokenServer.profile, "--rotation", "always",
                                  "--duration", "2s"])
        #expect(always.status == 64, "\(always.stdout)\(always.stderr)")
        #expect(always.stderr.contains("--rotation always, but the server kept its refresh token"), "\(always.stderr)")
    }

    @Test("probe: R1 fails with the evidence, and the reuse cases are not applicable; --write-profile writes what it learned, and a run takes it")
    func probe() throws {
        let server = try FakeTokenServer("keeping")
        defer { server.process.stop() }
        let file = cli.temporaryDirectory() + ".json"
        let written = cli.temporaryDirectory() + "-profile.json"
        defer { try? FileManager.default.removeItem(atPath: file); try? FileManager.default.removeItem(atPath: written) }
        let r = try cli.run(["probe", server.url, "--profile", FakeTokenServer.profile, "--max-wait", "5s", "--json", file,
                             "--header", "X-Api-Key: k-123", "--write-profile", written])
        #expect(r.stderr.contains("profile written to \(written)"), "\(r.stderr)")
        let profile = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: written))) as? [String: Any])
        #expect(profile["rotation"] as? String == "never", "R1 saw 3 of 3 refreshes keep the token: \(profile)")
        #expect(profile["refresh-path"] as? String == "/refresh" && profile["refresh-token-field"] as? String == "refresh_token")
        #expect(profile["grace"] as? String == "0s" && profile["leeway"] as? String == "0s", "as the profile it probed with said")
        #expect((profile["description"] as? String)?.contains("access tokens live 2.00 s (from expires_in)") == true, "\(profile)")
        #expect(profile["header"] as? [String] == ["X-Api-Key: ${TOKENBENCH_HEADER_X_API_KEY}"], "never the header's value")
        #expect(!String(decoding: try Data(contentsOf: URL(fileURLWithPath: written)), as: UTF8.self).contains("k-123"))
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try cli.run(["run", "--target", server.url, "--profile", written, "--users", "4", "--duration", "3s", "--think-time", "100ms",
                               "--quiet", "--out", out], environment: ["TOKENBENCH_HEADER_X_API_KEY": "k-123"])
        #expect([0, 3].contains(run.status), "the written profile drives a run: \(run.stdout)\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: out + "/result.json"))
        #expect(r.status == 1, "R1 fails: \(r.stdout)\(r.stderr)")
        let cases = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [[String: String]])
        let r1 = cases.first { $0["id"] == "R1" }
        #expect(r1?["verdict"] == "fail")
        #expect(r1?["evidence"]?.contains("3 of 3 refreshes kept the presented refresh token") == true, "\(r1 ?? [:])")
        for id in ["C1", "C2", "C3", "C4", "C5"] {
            let c = cases.first { $0["id"] == id }
            #expect(c?["verdict"] == "n/a", "\(id): \(c ?? [:])")
        }
    }
}
