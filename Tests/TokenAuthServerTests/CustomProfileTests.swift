import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import Logging
import ServiceLifecycle
import Testing
import TokenAuth
import TokenLoad
@testable import TokenResults
@testable import TokenHTTPClient
@testable import TokenProbe

/// A server of another shape, as third-party auth APIs often are: JSON bodies with their own
/// field names, the access token nested in the answer, the refresh token in an HttpOnly cookie,
/// 401 instead of 400 for a bad refresh. Built on our core, so its semantics are known.
struct CookieStyleServer {
    let service: AuthService<MemoryRefreshTokenStore, InMemoryUserDirectory>

    struct Login: Decodable { var email: String; var pass: String }
    struct Logout: Decodable { var rt: String }

    func answer(_ pair: TokenPair) -> Response {
        let body = #"{"data":{"jwt":"\#(pair.accessToken)","ttl":\#(pair.expiresIn)}}"#
        var response = Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        response.setCookie(Cookie(name: "rt", value: pair.refreshToken, path: "/api/session", secure: false, httpOnly: true))
        return response
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("/api/session") { request, context -> Response in
            let login = try await request.decode(as: Login.self, context: context)
            do throws(AuthError) { return answer(try await service.login(username: login.email, password: login.pass)) } catch {
                return Response(status: .unauthorized)
            }
        }
        router.post("/api/session/refresh") { request, _ -> Response in
            guard let token = request.cookies["rt"]?.value else { return Response(status: .unauthorized) }
            do throws(AuthError) { return answer(try await service.refresh(refreshToken: token)) } catch {
                return Response(status: error.code == .temporarilyUnavailable ? .serviceUnavailable : .unauthorized)
            }
        }
        router.get("/api/profile") { request, _ -> Response in
            guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return Response(status: .unauthorized) }
            do throws(AuthError) {
                _ = try await service.authenticate(accessToken: String(header.dropFirst(7)))
                return Response(status: .ok)
            } catch {
                return Response(status: .unauthorized)
            }
        }
        router.post("/api/session/logout") { request, context -> Response in
            let logout = try await request.decode(as: Logout.self, context: context)
            _ = try? await service.revoke(token: logout.rt)
            return Response(status: .noContent)
        }
        return router
    }
}

/// A server whose tokens live in cookies, as Flask-JWT-Extended's and authx's cookie modes set
/// them up (a test double built on our core, named as such): login, refresh and logout set or
/// read `access_token_cookie` and `refresh_token_cookie`; each refresh token comes with a CSRF
/// value in the cookie `csrf_refresh_token`, and a refresh or logout is refused (401, Flask's
/// `{"msg": …}`) unless `X-CSRF-TOKEN` and that cookie both carry the value bound to the
/// presented refresh token. Logout takes the refresh token as `Authorization: Bearer`.
struct CSRFCookieServer {
    let service: AuthService<MemoryRefreshTokenStore, InMemoryUserDirectory>
    /// Refresh token → its CSRF value.
    let csrf = NIOLockedValueBox<[String: String]>([:])

    struct Login: Decodable { var username: String; var password: String }

    func answer(_ pair: TokenPair) -> Response {
        let value = UUID().uuidString
        csrf.withLockedValue { $0[pair.refreshToken] = value }
        var response = Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"login":true}"#)))
        response.setCookie(Cookie(name: "access_token_cookie", value: pair.accessToken, path: "/", secure: false, httpOnly: true))
        response.setCookie(Cookie(name: "refresh_token_cookie", value: pair.refreshToken, path: "/", secure: false, httpOnly: true))
        response.setCookie(Cookie(name: "csrf_refresh_token", value: value, path: "/", secure: false, httpOnly: false))
        return response
    }

    static func refusal(_ message: String) -> Response {
        Response(status: .unauthorized, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"msg":"\#(message)"}"#)))
    }

    /// Whether the request's CSRF header and cookie both carry the value bound to `token`.
    func csrfMatches(_ request: Request, _ token: String) -> Bool {
        guard let bound = csrf.withLockedValue({ $0[token] }) else { return false }
        return request.headers[.init("X-CSRF-TOKEN")!] == bound && request.cookies["csrf_refresh_token"]?.value == bound
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("/login") { request, context -> Response in
            let login = try await request.decode(as: Login.self, context: context)
            do throws(AuthError) { return answer(try await service.login(username: login.username, password: login.password)) } catch {
                return Self.refusal("Bad username or password")
            }
        }
        router.post("/refresh") { request, _ -> Response in
            guard let token = request.cookies["refresh_token_cookie"]?.value else { return Self.refusal("Missing cookie \"refresh_token_cookie\"") }
            guard csrfMatches(request, token) else { return Self.refusal("CSRF double submit tokens do not match") }
            do throws(AuthError) { return answer(try await service.refresh(refreshToken: token)) } catch {
                return Self.refusal("Token has been revoked")
            }
        }
        router.get("/protected") { request, _ -> Response in
            guard let token = request.cookies["access_token_cookie"]?.value else { return Self.refusal("Missing cookie \"access_token_cookie\"") }
            do throws(AuthError) {
                _ = try await service.authenticate(accessToken: token)
                return Response(status: .ok)
            } catch {
                return Self.refusal("Signature verification failed")
            }
        }
        router.post("/logout") { request, _ -> Response in
            guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return Self.refusal("Missing Authorization Header") }
            let token = String(header.dropFirst(7))
            guard csrfMatches(request, token) else { return Self.refusal("CSRF double submit tokens do not match") }
            _ = try? await service.revoke(token: token)
            return Response(status: .ok)
        }
        return router
    }

    /// The profile that drives it.
    static var profile: HTTPProfile {
        var p = HTTPProfile(name: "custom")
        p.loginPath = "/login"
        p.refreshPath = "/refresh"
        p.resourcePath = "/protected"
        p.revokePath = "/logout"
        p.logoutAllPath = nil
        p.encoding = .json
        p.loginGrantType = nil
        p.refreshGrantType = nil
        p.accessTokenIn = .cookie("access_token_cookie")
        p.refreshTokenIn = .cookie("refresh_token_cookie")
        p.revokeTokenIn = .bearer
        p.csrfCookie = "csrf_refresh_token"
        p.csrfHeader = "X-CSRF-TOKEN"
        return p
    }
}

@Suite("A custom profile drives a server of another shape without code changes")
struct CustomProfileTests {
    @Test("JSON fields, nested pointers, refresh token in a cookie: a load run with no errors and no violation")
    func cookieServer() async throws {
        var c = LoadConfiguration()
        c.users = 20
        c.duration = 2.5
        c.accessTTL = 2
        c.refreshLead = 0.5
        c.refreshJitter = 0.2
        c.thinkTime = 0.05
        c.sessionLength = 2
        c.replayRatio = 0.1
        c.workers = 2
        try c.validate()
        let service = try await AuthService.synthetic(configuration: c.authConfiguration, store: MemoryRefreshTokenStore(),
                                                      syntheticUsers: c.users, algorithm: .eddsa, password: .bcrypt(cost: 4))
        var profile = HTTPProfile(name: "custom")
        profile.loginPath = "/api/session"
        profile.refreshPath = "/api/session/refresh"
        profile.resourcePath = "/api/profile"
        profile.revokePath = "/api/session/logout"
        profile.logoutAllPath = nil
        profile.encoding = .json
        profile.loginGrantType = nil
        profile.refreshGrantType = nil
        profile.usernameField = "email"
        profile.passwordField = "pass"
        profile.revokeTokenField = "rt"
        profile.accessTokenPointer = "/data/jwt"
        profile.expiresInPointer = "/data/ttl"
        profile.refreshTokenIn = .cookie("rt")
        let settings = c

        try await withRouter(CookieStyleServer(service: service).router()) { port in
            var run = settings
            run.target = "http://127.0.0.1:\(port)"
            let target = try HTTPTarget(url: run.target, profile: profile, connections: 20, defaultExpiresIn: settings.accessTTL!)
            let result = await LoadDriver(configuration: run, target: target).run()
            await target.shutdown()

            for op in ["login", "access", "refresh", "logout"] {
                #expect((result.operations[op]?.count ?? 0) > 0, "\(op) measured")
                #expect(result.operations[op]?.errors == 0, "\(op): \(result.operations[op]?.errorsByKind ?? [:])")
            }
            #expect(result.invariants.violations == 0, "\(result.invariants.byKind)")
            #expect(result.hostile.attempts > 0)
            #expect(result.hostile.rejected == result.hostile.attempts, "replays refused with 401, read as invalid_grant")
        }
    }
    @Test("tokens in cookies with double-submit CSRF and a Bearer logout: a load run with replays, no errors, no violation")
    func csrfCookieServer() async throws {
        var c = LoadConfiguration()
        c.users = 20
        c.duration = 5
        c.accessTTL = 2
        c.grace = 0
        c.refreshLead = 0.5
        c.refreshJitter = 0.2
        c.thinkTime = 0.05
        c.sessionLength = 4
        c.replayRatio = 0.3
        c.concurrentRefreshRatio = 0.1
        c.workers = 2
        try c.validate()
        let service = try await AuthService.synthetic(configuration: c.authConfiguration, store: MemoryRefreshTokenStore(),
                                                      syntheticUsers: c.users, algorithm: .eddsa, password: .bcrypt(cost: 4))
        let settings = c
        try await withRouter(CSRFCookieServer(service: service).router()) { port in
            var run = settings
            run.target = "http://127.0.0.1:\(port)"
            let target = try HTTPTarget(url: run.target, profile: CSRFCookieServer.profile, connections: 20, defaultExpiresIn: settings.accessTTL!)
            let result = await LoadDriver(configuration: run, target: target).run()
            await target.shutdown()
            for op in ["login", "access", "refresh", "logout"] {
                #expect((result.operations[op]?.count ?? 0) > 0, "\(op) measured")
                #expect(result.operations[op]?.errors == 0, "\(op): \(result.operations[op]?.errorsByKind ?? [:])")
            }
            #expect(result.invariants.violations == 0, "\(result.invariants.byKind)")
            // Every replay carried its own token's CSRF value: refused for the token, and the
            // family revoked by our core's reuse detection, never refused for a CSRF mismatch.
            let replay = try #require(result.hostile.byKind?["replay"])
            #expect(replay.sent > 0 && replay.refused == replay.sent, "\(replay)")
            #expect((result.hostile.byKind?["post_logout_refresh"]?.refused ?? 0) > 0)
        }
    }

    @Test("CSRF and cookies, as the server sees them: the probe's tampering keeps the CSRF value, so the token is what is refused")
    func csrfCookieProbe() async throws {
        var c = LoadConfiguration()
        c.users = 10
        c.accessTTL = 2
        let service = try await AuthService.synthetic(configuration: c.authConfiguration, store: MemoryRefreshTokenStore(),
                                                      syntheticUsers: 10, algorithm: .eddsa, password: .bcrypt(cost: 4))
        try await withRouter(CSRFCookieServer(service: service).router()) { port in
            let target = try HTTPTarget(url: "http://127.0.0.1:\(port)", profile: CSRFCookieServer.profile, connections: 4)
            defer { Task { await target.shutdown() } }
            let probe = Probe(target: target, credentials: Credentials(usernamePattern: "user{n}", passwordPattern: "pw-{n}"), grace: 0, leeway: 0, maxWait: 5)
            let results = await probe.run()
            func verdict(_ id: String) -> String { results.first { $0.id == id }?.verdict.rawValue ?? "missing" }
            func evidence(_ id: String) -> String { results.first { $0.id == id }?.evidence ?? "" }
            #expect(verdict("T7") == "pass", "\(evidence("T7"))")
            #expect(!evidence("T7").contains("CSRF"), "refused for the token, not the CSRF value: \(evidence("T7"))")
            #expect(verdict("S1") == "pass", "\(evidence("S1"))")
            #expect(verdict("C4") == "pass", "\(evidence("C4"))")
            #expect(verdict("X4") == "n/a", "\(evidence("X4"))")
            #expect(verdict("X5") == "n/a", "\(evidence("X5"))")
            #expect(verdict("X6") == "fail", "no Cache-Control: \(evidence("X6"))")
            #expect(verdict("T1") == "pass", "\(evidence("T1"))")
        }
    }

    @Test("the logout request: the token of --revoke-with in the transport of --revoke-token-in, with the refresh token's CSRF value")
    func logoutRequests() throws {
        var p = CSRFCookieServer.profile
        let held = HTTPTarget.hold("R1", csrf: "C1")
        #expect(HTTPTarget.unpack(held) == ("R1", "C1"))
        #expect(HTTPTarget.unpack("R1") == ("R1", nil))
        var request = try #require(try HTTPTarget(url: "http://127.0.0.1:1", profile: p, connections: 1).logoutRequest(refreshToken: held, accessToken: "A1"))
        #expect(request.headers["Authorization"] == ["Bearer R1"])
        #expect(request.headers["X-CSRF-TOKEN"] == ["C1"])
        #expect(request.headers["Cookie"] == ["csrf_refresh_token=C1"])

        p.revokeWith = .access
        p.revokeTokenIn = .cookie("access_token_cookie")
        request = try #require(try HTTPTarget(url: "http://127.0.0.1:1", profile: p, connections: 1).logoutRequest(refreshToken: held, accessToken: "A1"))
        #expect(request.headers["Authorization"].isEmpty)
        #expect(request.headers["Cookie"] == ["access_token_cookie=A1; csrf_refresh_token=C1"])

        p = .oauth2
        p.revokeWith = .access
        request = try #require(try HTTPTarget(url: "http://127.0.0.1:1", profile: p, connections: 1).logoutRequest(refreshToken: "R1", accessToken: "A1"))
        #expect(request.body.map { String(buffer: $0) } == "token=A1&token_type_hint=access_token")
        #expect(request.headers["Cookie"].isEmpty)
        #expect(request.headers["X-CSRF-TOKEN"].isEmpty)
    }

    @Test("profiles that cannot work are refused with the flag: CSRF without cookies, half a CSRF pair, Basic beside a Bearer token, an access token in a body")
    func transportValidation() {
        func flag(_ change: (inout HTTPProfile) -> Void) -> String? {
            var p = HTTPProfile.oauth2
            change(&p)
            do throws(HTTPTargetError) { try p.validate(); return nil } catch { return error.flag }
        }
        #expect(flag { $0.csrfCookie = "c"; $0.csrfHeader = "X-C" } == "--csrf-cookie")
        #expect(flag { $0.refreshTokenIn = .cookie("rt"); $0.csrfCookie = "c" } == "--csrf-header")
        #expect(flag { $0.refreshTokenIn = .cookie("rt"); $0.csrfCookie = "c"; $0.csrfHeader = "Cookie" } == "--csrf-header")
        #expect(flag { $0.refreshTokenIn = .cookie("rt"); $0.csrfCookie = "c"; $0.csrfHeader = "X-C" } == nil)
        #expect(flag { $0.clientID = "a"; $0.clientSecret = "s"; $0.revokeTokenIn = .bearer } == "--revoke-token-in")
        #expect(flag { $0.accessTokenIn = .body } == "--access-token-in")
        #expect(flag { $0.revokeTokenIn = .bearer; $0.revokeFields = [.init(name: "token", value: "x")] } == nil, "no body token field to collide with")
        #expect(HTTPProfile.TokenTransport("cookie:a b") == nil)
    }
}

@Suite("HTTP client edge cases")
struct HTTPClientEdgeTests {
    @Test("a server that does not answer: the request times out as a transport failure, the driver goes on")
    func timeout() async throws {
        let router = Router(context: BasicRequestContext.self)
        router.get("/slow") { _, _ -> Response in
            try await Task.sleep(nanoseconds: 3_000_000_000)
            return Response(status: .ok)
        }
        router.get("/fast") { _, _ in Response(status: .ok) }
        try await withRouter(router) { port in
            var slow = HTTPProfile.native
            slow.resourcePath = "/slow"
            let target = try HTTPTarget(url: "http://127.0.0.1:\(port)", profile: slow, connections: 1, timeout: 0.3)
            let started = ContinuousClock.now
            let outcome = await target.access(accessToken: "x")
            let waited = ContinuousClock.now - started
            guard case .failed(.transport, _) = outcome else {
                Issue.record("expected a transport failure, got \(outcome)")
                return
            }
            #expect(waited < .seconds(1), "timed out after \(waited), timeout 0.3 s")
            // The timed-out connection was dropped; the next request gets a fresh one.
            var fast = HTTPProfile.native
            fast.resourcePath = "/fast"
            let again = try HTTPTarget(url: "http://127.0.0.1:\(port)", profile: fast, connections: 1, timeout: 2)
            guard case .ok = await again.access(accessToken: "x") else {
                Issue.record("the fast route failed")
                return
            }
            await target.shutdown()
            await again.shutdown()
        }
    }
}

@Suite("HTTP client: kept-alive connections the server closes")
struct HTTPClientKeepAliveTests {
    @Test("an idle connection closed by the server is replaced, not reported as a failure")
    func idleClose() async throws {
        let router = Router(context: BasicRequestContext.self)
        router.get("/fast") { _, _ in Response(status: .ok) }
        // The server closes connections idle for 200 ms (as Node, Tomcat or nginx do after theirs).
        try await withRouter(router, server: .http1(configuration: .init(idleTimeout: .milliseconds(200)))) { port in
            var profile = HTTPProfile.native
            profile.resourcePath = "/fast"
            let target = try HTTPTarget(url: "http://127.0.0.1:\(port)", profile: profile, connections: 1, timeout: 2)
            for round in 0..<3 {
                let outcome = await target.access(accessToken: "x")
                guard case .ok = outcome else {
                    Issue.record("round \(round): \(outcome)")
                    break
                }
                try await Task.sleep(nanoseconds: 600_000_000) // past the server's idle timeout
            }
            await target.shutdown()
        }
    }
}
