import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Testing
import TokenAuth
import TokenAuthServer
@testable import TokenLoad
@testable import TokenResults
@testable import TokenHTTPClient
@testable import TokenProbe

@Suite("Driver and probe against our own server, over loopback HTTP")
struct EndToEndTests {
    @Test("a short load run over HTTP: every operation measured, hostile traffic refused, no violation")
    func loadRun() async throws {
        var c = LoadConfiguration()
        // Long enough for every hostile kind it claims: replays need a token two rotations old,
        // expired access tokens must be past exp + leeway + 2 s.
        c.users = 30
        c.duration = 5
        c.accessTTL = 1
        c.refreshLead = 0.3
        c.refreshJitter = 0.1
        c.thinkTime = 0.05
        c.sessionLength = 5
        c.grace = 1
        c.leeway = 0
        c.replayRatio = 0.1
        c.concurrentRefreshRatio = 0.1
        c.forgedAccessRatio = 0.05
        c.expiredAccessRatio = 0.05
        c.workers = 2
        try c.validate()
        let service = try await AuthService.synthetic(configuration: c.authConfiguration, store: MemoryRefreshTokenStore(),
                                                      syntheticUsers: c.users, algorithm: .hs256, password: .bcrypt(cost: 4))
        let settings = c
        try await withServer(service) { base in
            var run = settings
            run.target = base
            let target = try HTTPTarget(url: base, profile: .native, connections: 30, defaultExpiresIn: settings.accessTTL!)
            let result = await LoadDriver(configuration: run, target: target).run()
            await target.shutdown()
            for op in ["login", "access", "refresh", "logout"] {
                #expect((result.operations[op]?.count ?? 0) > 0, "\(op) measured")
            }
            #expect(result.operations.values.reduce(0) { $0 + $1.errors } == 0, "\(result.operations.mapValues(\.errorsByKind))")
            #expect(result.invariants.violations == 0, "\(result.invariants.byKind)")
            #expect(result.invariants.checked > 0)
            #expect(result.hostile.attempts > 0)
            #expect(result.hostile.rejected == result.hostile.attempts)
            #expect(result.verdict == .pass, "\(result.inconclusive ?? [])")
            #expect(result.environment.target == base)
        }
    }

    /// The probe against our server; with `admin`, serve's admin routes on and their secret
    /// given to the probe (U1).
    static func probe(algorithm: AccessTokenAlgorithm, admin: Bool = false) async throws -> [ProbeResult] {
        var configuration = AuthConfiguration()
        configuration.graceWindow = 1
        // Short-lived access tokens and no leeway, so E1 (expiry) runs: it waits 2 s.
        configuration.accessTokenLifetime = 1
        configuration.leeway = 0
        configuration.checkSessionOnAccess = true
        let service = try await AuthService.synthetic(configuration: configuration, store: MemoryRefreshTokenStore(), syntheticUsers: 12,
                                                      algorithm: algorithm, password: .bcrypt(cost: 4))
        nonisolated(unsafe) var results: [ProbeResult] = []
        let secret = String(repeating: "s3cret-", count: 6)
        try await withServer(service, adminSecret: admin ? try AdminSecret(text: secret) : nil) { base in
            let target = try HTTPTarget(url: base, profile: .native, connections: 64)
            var probe = Probe(target: target, credentials: Credentials(), grace: 1, leeway: 0, maxWait: 5)
            probe.adminSecret = admin ? secret : nil
            results = await probe.run()
            await target.shutdown()
        }
        return results
    }

    @Test("probe: our server passes every case with an HTTP face (HS256)")
    func probeHS256() async throws {
        let results = try await Self.probe(algorithm: .hs256, admin: true)
        let failed = results.filter { $0.verdict == .fail }
        #expect(failed.isEmpty, "\(failed.map { "\($0.id): \($0.evidence)" })")
        // S4 needs a JWS refresh token; ours are opaque.
        #expect(Set(results.filter { $0.verdict == .notApplicable }.map(\.id)) == ["T4", "T5", "E2", "E3", "X2", "S4"])
        #expect(results.first { $0.id == "U1" }?.evidence.contains("refresh while disabled: invalid_grant") == true,
                "\(results.first { $0.id == "U1" }?.evidence ?? "no U1")")
        #expect(results.first { $0.id == "T5" }?.evidence.contains("unknown kid answered 401") == true)
        #expect(Set(results.filter { $0.verdict == .pass }.map(\.id)) ==
                ["R1", "C1", "C2", "C3", "C4", "C5", "C6", "T1", "T2", "T3", "T6", "T7", "E1", "S1", "S2", "S3", "X1", "X4", "X5", "X6", "U1"])
    }

    @Test("probe: RS256 server refuses HS256 tokens keyed with its public key (T4)")
    func probeRS256() async throws {
        let results = try await Self.probe(algorithm: .rs256)
        #expect(results.first { $0.id == "T4" }?.verdict == .pass)
        #expect(results.filter { $0.verdict == .fail }.isEmpty, "\(results.filter { $0.verdict == .fail }.map(\.evidence))")
    }

    @Test("probe: a server without reuse detection shows failing cases; an absent server fails cleanly")
    func probeSeesMissingFeatures() async throws {
        let service = try await AuthService.synthetic(configuration: AuthConfiguration(), store: NoReuseDetectionStore(), syntheticUsers: 12,
                                                      algorithm: .hs256, password: .bcrypt(cost: 4))
        try await withServer(service) { base in
            let target = try HTTPTarget(url: base, profile: .oauth2, connections: 4)
            let probe = Probe(target: target, credentials: Credentials(), grace: 10)
            let c4 = await probe.c4()
            #expect(c4.verdict == .fail)
            #expect(c4.evidence.contains("then R3: 200"))
            #expect(await probe.c2().verdict == .pass, "the grace window still works")
            #expect(await probe.s2().verdict == .notApplicable, "the oauth2 profile has no logout-all path")
            // Told the server has no grace window, C1 is judged all the same: one successor and
            // refused duplicates are right then; not told, that outcome is not judged.
            let noGrace = await Probe(target: target, credentials: Credentials(), grace: 0).c1()
            #expect(noGrace.verdict == .pass, "\(noGrace.evidence)")
            let unknown = await Probe(target: target, credentials: Credentials(), grace: nil).c1()
            #expect(unknown.verdict == .pass, "this server has a grace window: all ten get the successor: \(unknown.evidence)")
            await target.shutdown()
        }
        // Nothing listens on port 9: every applicable case fails, none crashes, the probe ends.
        let nowhere = try HTTPTarget(url: "http://127.0.0.1:9", profile: .native, connections: 1, timeout: 1)
        let results = await Probe(target: nowhere, credentials: Credentials(), grace: 0).run()
        await nowhere.shutdown()
        #expect(results.count == 27, "every case, U1, R1, S4, X5 and X6 included")
        #expect(!results.contains { $0.verdict == .pass })
    }

    @Test("graceful shutdown finishes the request in flight")
    func gracefulShutdown() async throws {
        // argon2id at 64 MiB makes a login take long enough to be in flight at the signal.
        let service = try await AuthService.synthetic(configuration: AuthConfiguration(), store: MemoryRefreshTokenStore(), syntheticUsers: 1,
                                                      algorithm: .hs256, password: .argon2id(memoryKiB: 65_536, iterations: 3, parallelism: 1))
        var configuration = ServerConfiguration()
        configuration.port = 0
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = try TokenServer(service: service, configuration: configuration, registry: PrometheusCollectorRegistry(),
                              logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            .application { continuation.yield($0) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            async let login = HTTP.form("http://127.0.0.1:\(port)/oauth/token", "grant_type=password&username=user0&password=pw-0")
            try await Task.sleep(nanoseconds: 30_000_000)
            await group.triggerGracefulShutdown()
            let reply = try await login
            #expect(reply.status == 200)
            try await tasks.waitForAll()
        }
    }
}

/// A deliberately broken store (not a mock of a backend): a real memory store that never
/// detects reuse — a spent token older than the immediate predecessor is answered as unknown
/// and the family stays alive, as in servers that lack family revocation.
final class NoReuseDetectionStore: RefreshTokenStore {
    let base = MemoryRefreshTokenStore()
    func create(_ family: RefreshFamily) async throws(StoreError) { try await base.create(family) }
    func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily? { try await base.family(id) }
    func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome {
        if let family = try await base.family(request.family), request.presentedGeneration &+ 1 < family.generation {
            return .mismatch
        }
        return try await base.rotate(request)
    }
    func revoke(_ id: FamilyID, at now: Date, reason: RefreshFamily.RevocationReason) async throws(StoreError) -> Bool {
        try await base.revoke(id, at: now, reason: reason)
    }
    func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int { try await base.revokeAll(subject: subject, at: now) }
    func purgeExpired(asOf now: Date) async throws(StoreError) -> Int { try await base.purgeExpired(asOf: now) }
}
