import Foundation
import Hummingbird
import Synchronization
import Testing
import TokenAuth
@testable import TokenLoad
@testable import TokenResults
@testable import TokenHTTPClient
@testable import TokenProbe

/// A deliberately forking token server (a mock, named as such): every refresh of any token it
/// issued succeeds with a new token, and every token it ever issued stays valid. One login
/// becomes as many sessions as concurrent refreshes. Opaque tokens, no `expires_in`.
struct ForkingServerMock {
    let issued = TokenSet()

    final class TokenSet: Sendable {
        let tokens = Locked(Set<String>())
        func mint() -> String {
            let t = UUID().uuidString
            tokens.withLock { _ = $0.insert(t) }
            return t
        }
        func knows(_ t: String) -> Bool { tokens.withLock { $0.contains(t) } }
    }

    func router(expiresIn: Int?) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let issued = self.issued
        @Sendable func answer() -> Response {
            let lifetime = expiresIn.map { #","expires_in":\#($0)"# } ?? ""
            let body = #"{"access_token":"\#(issued.mint())","refresh_token":"\#(issued.mint())"\#(lifetime)}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.post("/oauth/token") { request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 16_384))
            if body.contains("grant_type=password") { return answer() }
            guard let field = body.split(separator: "&").first(where: { $0.hasPrefix("refresh_token=") }),
                  issued.knows(String(field.dropFirst("refresh_token=".count))) else {
                return Response(status: .badRequest, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: #"{"error":"invalid_grant"}"#)))
            }
            try await Task.sleep(nanoseconds: 5_000_000) // long enough for two tabs to overlap
            return answer()
        }
        router.get("/me") { request, _ -> Response in
            guard let header = request.headers[.authorization], issued.knows(String(header.dropFirst(7))) else {
                return Response(status: .unauthorized)
            }
            return Response(status: .ok)
        }
        router.post("/oauth/revoke") { _, _ in Response(status: .ok) }
        return router
    }
}

/// A resource that is slow (a stalled server), or that fails every other call with a 500.
struct SlowOrFailingResourceMock {
    func router(delay: Double, failEverySecond: Bool) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("/oauth/token") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: #"{"access_token":"a","refresh_token":"r","expires_in":3600}"#)))
        }
        let calls = Counter()
        router.get("/me") { _, _ -> Response in
            if delay > 0 { try await Task.sleep(nanoseconds: UInt64(delay * 1e9)) }
            if failEverySecond, calls.next() % 2 == 1 {
                return Response(status: .internalServerError, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: #"{"error":"server_error","error_description":"boom"}"#)))
            }
            return Response(status: .ok)
        }
        router.post("/oauth/revoke") { _, _ in Response(status: .ok) }
        return router
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
        func next() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
    }
}

@Suite("Verdicts against real HTTP servers of known behaviour")
struct HTTPVerdictTests {
    @Test("two successors that both keep working are a fork: concurrent_refresh_forked, never 'revoked'; the probe's C1 fails")
    func fork() async throws {
        let mock = ForkingServerMock()
        try await withRouter(mock.router(expiresIn: 1)) { port in
            var c = LoadConfiguration()
            c.target = "http://127.0.0.1:\(port)"
            c.users = 10
            c.duration = 3
            c.accessTTL = 1
            c.refreshLead = 0.3
            c.refreshJitter = 0.1
            c.thinkTime = 0.1
            c.sessionLength = 60
            c.logoutRatio = 0
            c.grace = 0 // told: no grace window; concurrent refreshes are allowed all the same
            c.leeway = nil
            c.refreshTTL = nil
            c.concurrentRefreshRatio = 1
            try c.validate()
            let target = try HTTPTarget(url: c.target, profile: .oauth2, connections: 20, defaultExpiresIn: 1)
            let result = await LoadDriver(configuration: c, target: target).run()
            #expect((result.invariants.byKind["concurrent_refresh_forked"] ?? 0) > 0, "\(result.invariants.byKind)")
            #expect(result.invariants.byKind["benign_concurrent_refresh_revoked"] == nil)
            #expect(result.verdict == .invariantViolation)
            let c1 = await Probe(target: target, credentials: Credentials(), grace: 0).c1()
            #expect(c1.verdict == .fail)
            #expect(c1.evidence.contains("forked"), "\(c1.evidence)")
            await target.shutdown()
        }
    }

    @Test("opaque tokens without expires_in and no --access-ttl: the preflight says so, exit 64; with it, the lifetime is the given one")
    func noLifetime() async throws {
        let mock = ForkingServerMock()
        try await withRouter(mock.router(expiresIn: nil)) { port in
            let target = try HTTPTarget(url: "http://127.0.0.1:\(port)", profile: .oauth2, connections: 2)
            guard case .failure(let failure) = await Preflight.run(target, credentials: Credentials(), accessTTL: nil) else {
                Issue.record("the preflight should fail")
                return
            }
            #expect(failure.exitCode == 64)
            #expect(failure.message.contains("give --access-ttl"), "\(failure.message)")
            let given = try await Preflight.run(target, credentials: Credentials(), accessTTL: 42).get()
            #expect(given.accessLifetime == 42)
            #expect(given.accessLifetimeSource == "--access-ttl")
            #expect(given.accessTokenIsJWS == false)
            await target.shutdown()
        }
    }

    @Test("a stalled server shows as latency, never as a saturated driver")
    func stalledServer() async throws {
        let mock = SlowOrFailingResourceMock()
        try await withRouter(mock.router(delay: 0.2, failEverySecond: false)) { port in
            var c = LoadConfiguration()
            c.target = "http://127.0.0.1:\(port)"
            c.model = .open
            c.rate = 200 // each of the 20 users is due every 100 ms, and every answer takes 200 ms
            c.users = 20
            c.duration = 3
            c.accessTTL = 3600
            c.sessionLength = 3600
            c.grace = nil
            c.leeway = nil
            try c.validate()
            let target = try HTTPTarget(url: c.target, profile: .oauth2, connections: 20, defaultExpiresIn: 3600)
            let result = await LoadDriver(configuration: c, target: target).run()
            await target.shutdown()
            let access = try #require(result.operations["access"])
            #expect(access.latencyUs.p50 >= 200_000, "latency from the intended start holds the stall: \(access.latencyUs)")
            #expect(result.schedulingLagUs.p99 < 50_000, "the driver was not late: \(result.schedulingLagUs)")
            #expect(!(result.inconclusive ?? []).contains { $0.contains("saturated") }, "\(result.inconclusive ?? [])")
        }
    }

    @Test("errors are recorded by status and by the server's code; over the error budget the run is inconclusive and says why")
    func errorBudget() async throws {
        let mock = SlowOrFailingResourceMock()
        try await withRouter(mock.router(delay: 0, failEverySecond: true)) { port in
            var c = LoadConfiguration()
            c.target = "http://127.0.0.1:\(port)"
            c.users = 5
            c.duration = 2
            c.thinkTime = 0.02
            c.accessTTL = 3600
            c.sessionLength = 3600
            c.grace = nil
            c.leeway = nil
            try c.validate()
            let target = try HTTPTarget(url: c.target, profile: .oauth2, connections: 5, defaultExpiresIn: 3600)
            let result = await LoadDriver(configuration: c, target: target).run()
            await target.shutdown()
            let access = try #require(result.operations["access"])
            #expect((access.errorsByStatus?["500"] ?? 0) > 0, "\(access.errorsByStatus ?? [:])")
            #expect(access.errorsByKind["server_error"] == access.errors, "the server's own code: \(access.errorsByKind)")
            #expect((access.responsesByStatus?["2xx"] ?? 0) > 0)
            #expect(result.verdict == .inconclusive)
            let reason = try #require(result.inconclusive?.first { $0.hasPrefix("access:") })
            #expect(reason.contains("status 500") && reason.contains("over the 1.00 % budget"), "\(reason)")
        }
    }

    @Test("an endpoint the server does not serve stops the run at once (verdict unreachable), naming it")
    func wrongEndpointMidRun() async throws {
        let service = try await AuthService.synthetic(configuration: AuthConfiguration(), store: MemoryRefreshTokenStore(),
                                                      syntheticUsers: 10, algorithm: .hs256, password: .bcrypt(cost: 4))
        try await withServer(service) { base in
            var profile = HTTPProfile.native
            profile.revokePath = "/oauth/revoke-typo"
            var c = LoadConfiguration()
            c.target = base
            c.users = 10
            c.duration = 30
            c.thinkTime = 0.05
            c.sessionLength = 0.3
            c.logoutRatio = 1
            try c.validate()
            let target = try HTTPTarget(url: base, profile: profile, connections: 10, defaultExpiresIn: 5)
            let started = ContinuousClock.now
            let result = await LoadDriver(configuration: c, target: target).run()
            await target.shutdown()
            #expect(ContinuousClock.now - started < .seconds(5), "stopped at once, not after 30 s")
            #expect(result.verdict == .unreachable)
            let aborted = try #require(result.aborted)
            #expect(aborted.status == 404)
            #expect(aborted.endpoint == "revoke POST \(base)/oauth/revoke-typo")
            #expect(aborted.message.contains("answered 404"), "\(aborted.message)")
        }
    }
}
