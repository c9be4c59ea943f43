import Foundation
import NIOCore
import NIOHTTP1
import Prometheus
import Testing
import TokenAuth
import TokenAuthServer
import TokenAuthTesting

@Suite("HTTP API (docs/serve.md), on loopback")
struct ServerTests {
    static func service(grace: Double = 10, checkSession: Bool = true) async throws
        -> AuthService<MemoryRefreshTokenStore, InMemoryUserDirectory>
    {
        var configuration = AuthConfiguration()
        configuration.graceWindow = grace
        configuration.checkSessionOnAccess = checkSession
        return try await AuthService.synthetic(configuration: configuration, store: MemoryRefreshTokenStore(), syntheticUsers: 10,
                                               algorithm: .hs256, password: .bcrypt(cost: 4))
    }

    @Test("login, resource, refresh, revoke: RFC 6749 §5.1 shapes, no-store, case-insensitive Bearer")
    func flow() async throws {
        try await withServer(try await Self.service()) { base in
            let login = try await HTTP.form(base + "/oauth/token", "grant_type=password&username=user1&password=pw-1")
            #expect(login.status == 200)
            #expect(login.headers["Cache-Control"].first == "no-store")
            #expect(login.json?["token_type"] as? String == "Bearer")
            #expect(login.json?["expires_in"] as? Int == 300)
            let access = try #require(login.json?["access_token"] as? String)
            let refresh = try #require(login.json?["refresh_token"] as? String)

            let me = try await HTTP.send(.GET, base + "/me", headers: [("Authorization", "bEaReR \(access)")])
            #expect(me.status == 200)
            #expect(me.json?["sub"] as? String == "user1")

            let json = #"{"grant_type":"refresh_token","refresh_token":"\#(refresh)"}"#
            let rotated = try await HTTP.send(.POST, base + "/oauth/token", headers: [("Content-Type", "application/json; charset=utf-8")], body: json)
            #expect(rotated.status == 200)
            let next = try #require(rotated.json?["refresh_token"] as? String)
            #expect(next != refresh)

            let revoke = try await HTTP.form(base + "/oauth/revoke", "token=\(next)&token_type_hint=refresh_token")
            #expect(revoke.status == 200)
            let after = try await HTTP.form(base + "/oauth/token", "grant_type=refresh_token&refresh_token=\(next)")
            #expect(after.status == 400)
            #expect(after.error == "invalid_grant")
            // Session check: the access token of a revoked session no longer opens the resource.
            let gone = try await HTTP.send(.GET, base + "/me", headers: [("Authorization", "Bearer \(access)")])
            #expect(gone.status == 401)
            #expect(gone.headers["WWW-Authenticate"].first?.contains(#"error="invalid_token""#) == true)
        }
    }

    @Test("bad input: a 4xx with a JSON error naming the problem, never a 5xx, nothing written (X4, T7)")
    func badInput() async throws {
        let harness = try await ConformanceHarness(store: MemoryRefreshTokenStore())
        try await withServer(harness.service) { base in
            let token = base + "/oauth/token"
            let pair = try await harness.login(1)
            let before = harness.store.snapshot
            let form = ("Content-Type", "application/x-www-form-urlencoded")
            let json = ("Content-Type", "application/json")
            let cases: [(String, [(String, String)], ByteBuffer, Int, String)] = [
                ("no content type", [], ByteBuffer(string: "grant_type=refresh_token"), 400, "invalid_request"),
                ("text/plain", [("Content-Type", "text/plain")], ByteBuffer(string: "grant_type=refresh_token"), 400, "invalid_request"),
                ("malformed JSON", [json], ByteBuffer(string: #"{"grant_type": "refresh_tok"#), 400, "invalid_request"),
                ("JSON number field", [json], ByteBuffer(string: #"{"grant_type":"refresh_token","refresh_token":5}"#), 400, "invalid_request"),
                ("JSON array", [json], ByteBuffer(string: "[]"), 400, "invalid_request"),
                ("empty JSON body", [json], ByteBuffer(), 400, "invalid_request"),
                ("empty form", [form], ByteBuffer(), 400, "invalid_request"),
                ("duplicated field", [form], ByteBuffer(string: "grant_type=refresh_token&refresh_token=\(pair.refreshToken)&refresh_token=x"), 400, "invalid_request"),
                ("duplicated grant_type", [form], ByteBuffer(string: "grant_type=refresh_token&grant_type=password&refresh_token=\(pair.refreshToken)"), 400, "invalid_request"),
                ("unknown grant_type", [form], ByteBuffer(string: "grant_type=client_credentials"), 400, "unsupported_grant_type"),
                ("missing refresh_token", [form], ByteBuffer(string: "grant_type=refresh_token"), 400, "invalid_request"),
                ("missing password", [form], ByteBuffer(string: "grant_type=password&username=user1"), 400, "invalid_request"),
                ("bad percent-encoding", [form], ByteBuffer(string: "grant_type=refresh_token&refresh_token=%zz"), 400, "invalid_request"),
                ("nested key", [form], ByteBuffer(string: "grant_type=refresh_token&refresh_token[a]=b"), 400, "invalid_request"),
                ("not UTF-8", [form], ByteBuffer(bytes: [0x67, 0x3D, 0xFF, 0xFE]), 400, "invalid_request"),
                ("20 KB body", [form], ByteBuffer(string: "grant_type=refresh_token&refresh_token=" + String(repeating: "A", count: 20_000)), 413, "invalid_request"),
                ("1 MB body", [form], ByteBuffer(repeating: UInt8(ascii: "a"), count: 1 << 20), 413, "invalid_request"),
                ("forged refresh token", [form], ByteBuffer(string: "grant_type=refresh_token&refresh_token=" + String(repeating: "A", count: 76)), 400, "invalid_grant"),
                ("access token as refresh token", [form], ByteBuffer(string: "grant_type=refresh_token&refresh_token=\(pair.accessToken)"), 400, "invalid_grant"),
                ("non-ASCII refresh token", [form], ByteBuffer(string: "grant_type=refresh_token&refresh_token=%C3%A9%F0%9F%99%82"), 400, "invalid_grant"),
                ("over-long password", [form], ByteBuffer(string: "grant_type=password&username=user1&password=" + String(repeating: "p", count: 2000)), 400, "invalid_request"),
            ]
            for (name, headers, body, status, error) in cases {
                let reply = try await HTTP.send(.POST, token, headers: headers, bytes: body)
                #expect(reply.status == status, "\(name)")
                #expect(reply.error == error, "\(name): \(reply.body)")
                #expect(reply.headers["Content-Type"].first == "application/json", "\(name)")
            }
            let revoke = try await HTTP.send(.POST, base + "/oauth/revoke", headers: [form], body: "token_type_hint=refresh_token")
            #expect(revoke.status == 400)
            #expect(revoke.error == "invalid_request")

            // Garbage Authorization headers at the protected resource and at logout-all.
            let authorizations: [([(String, String)], Int, String?)] = [
                ([], 401, "invalid_token"),
                ([("Authorization", "Basic dXNlcjE6cHctMQ==")], 401, "invalid_token"),
                ([("Authorization", "Bearer")], 401, "invalid_token"),
                ([("Authorization", "Bearer a b")], 400, "invalid_request"),
                ([("Authorization", "Bearer é")], 400, "invalid_request"),
                ([("Authorization", "Bearer \(pair.accessToken)"), ("Authorization", "Bearer \(pair.accessToken)")], 400, "invalid_request"),
                ([("Authorization", "Bearer garbage")], 401, "invalid_token"),
                ([("Authorization", "Bearer \(pair.refreshToken)")], 401, "invalid_token"),
                ([("Authorization", "Bearer " + String(repeating: "A", count: 9000))], 401, "invalid_token"),
            ]
            for (headers, status, error) in authorizations {
                for (method, path) in [(HTTPMethod.GET, "/me"), (.POST, "/auth/logout-all")] {
                    let reply = try await HTTP.send(method, base + path, headers: headers)
                    #expect(reply.status == status, "\(path) \(headers.map(\.1).map { String($0.prefix(20)) })")
                    #expect(reply.error == error, "\(path): \(reply.body)")
                    #expect(reply.headers["WWW-Authenticate"].first?.hasPrefix("Bearer") == true)
                }
            }
            let unknown = try await HTTP.send(.GET, base + "/nowhere")
            #expect(unknown.status == 404)
            #expect(unknown.error == "not_found")

            // Nothing written by any of it, and the real token still rotates.
            #expect(harness.store.snapshot.writes == before.writes)
            let ok = try await HTTP.form(token, "grant_type=refresh_token&refresh_token=\(pair.refreshToken)")
            #expect(ok.status == 200)
        }
    }

    @Test("store outage: 503 with a JSON error, never treated as valid; recovers by itself (X2, HTTP face)")
    func storeOutage() async throws {
        let store = SwitchableOutageStore()
        var configuration = AuthConfiguration()
        configuration.checkSessionOnAccess = true
        let service = try await AuthService.synthetic(configuration: configuration, store: store, syntheticUsers: 4,
                                                      algorithm: .hs256, password: .bcrypt(cost: 4))
        try await withServer(service) { base in
            let login = try await HTTP.form(base + "/oauth/token", "grant_type=password&username=user2&password=pw-2")
            let access = try #require(login.json?["access_token"] as? String)
            let refresh = try #require(login.json?["refresh_token"] as? String)
            store.setDown(true)
            let replies = [
                try await HTTP.form(base + "/oauth/token", "grant_type=refresh_token&refresh_token=\(refresh)"),
                try await HTTP.form(base + "/oauth/token", "grant_type=password&username=user2&password=pw-2"),
                try await HTTP.send(.GET, base + "/me", headers: [("Authorization", "Bearer \(access)")]),
                try await HTTP.form(base + "/oauth/revoke", "token=\(refresh)"),
            ]
            for reply in replies {
                #expect(reply.status == 503)
                #expect(reply.error == "temporarily_unavailable")
                #expect(reply.headers["Retry-After"].first == "1")
            }
            store.setDown(false)
            let again = try await HTTP.form(base + "/oauth/token", "grant_type=refresh_token&refresh_token=\(refresh)")
            #expect(again.status == 200)
            let metrics = try await HTTP.send(.GET, base + "/metrics")
            #expect(metrics.body.contains(#"tokenauth_store_errors_total{endpoint="token"} 2"#))
            #expect(metrics.body.contains(#"tokenauth_store_errors_total{endpoint="me"} 1"#))
        }
    }

    @Test("/metrics: refresh outcomes by reason and request latency per route, Prometheus text")
    func metrics() async throws {
        try await withServer(try await Self.service()) { base in
            let login = try await HTTP.form(base + "/oauth/token", "grant_type=password&username=user3&password=pw-3")
            let r1 = try #require(login.json?["refresh_token"] as? String)
            let second = try await HTTP.form(base + "/oauth/token", "grant_type=refresh_token&refresh_token=\(r1)")
            let r2 = try #require(second.json?["refresh_token"] as? String)
            _ = try await HTTP.form(base + "/oauth/token", "grant_type=refresh_token&refresh_token=\(r2)")
            _ = try await HTTP.form(base + "/oauth/token", "grant_type=refresh_token&refresh_token=\(r1)") // reuse
            let metrics = try await HTTP.send(.GET, base + "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.headers["Content-Type"].first?.hasPrefix("text/plain") == true)
            #expect(metrics.body.contains(#"tokenauth_refresh_total{outcome="refreshed"} 2"#))
            #expect(metrics.body.contains(#"tokenauth_refresh_total{outcome="reuse_detected"} 1"#))
            #expect(metrics.body.contains(#"http_server_request_duration_bucket{http_route="/oauth/token""#) == false,
                    "request latencies go to the bootstrapped MetricsSystem, which tests leave alone")
        }
    }

    @Test("JWKS publishes the public key whose kid signs the tokens; /healthz answers")
    func jwks() async throws {
        let service = try await AuthService.synthetic(configuration: AuthConfiguration(), store: MemoryRefreshTokenStore(), syntheticUsers: 2,
                                                      algorithm: .es256, password: .bcrypt(cost: 4))
        try await withServer(service) { base in
            let set = try await HTTP.send(.GET, base + "/.well-known/jwks.json")
            #expect(set.status == 200)
            let keys = try #require(set.json?["keys"] as? [[String: Any]])
            #expect(keys.count == 1)
            #expect(keys.first?["kty"] as? String == "EC")
            #expect(keys.first?["kid"] as? String == service.keys.currentKey.kid)
            #expect(keys.first?["d"] == nil)
            let health = try await HTTP.send(.GET, base + "/healthz")
            #expect(health.status == 200)
            #expect(health.json?["status"] as? String == "ok")
        }
    }
}
