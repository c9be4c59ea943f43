import Foundation
import Hummingbird
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
