import Foundation
import Testing
import TokenAuth
import TokenAuthRedis
import TokenAuthTesting
import TokenLoad
@testable import TokenResults

/// The fault run: a short load run whose store server is killed in the middle and started
/// again. Errors are recorded as `store_unavailable`, the process keeps running, no invariant
/// is violated, and throughput comes back.
@Suite("Fault run", .enabled(if: RedisServerProcess.isAvailable, "skipped: redis-server is not installed"))
struct FaultRunTests {
    @Test("Redis killed 1.5 s into a 5 s run and restarted 1 s later")
    func redisKilledDuringRun() async throws {
        let server = try RedisServerProcess()
        let store = try await RedisRefreshTokenStore.connect(server.url, connections: 4, operationTimeout: 0.5)
        var c = LoadConfiguration()
        c.users = 20
        c.workers = 2
        c.duration = 5
        c.accessTTL = 2
        c.refreshLead = 1
        c.refreshJitter = 0.2
        c.thinkTime = 0.005
        c.sessionLength = 60
        c.passwordHash = "bcrypt"
        c.passwordHashCost = 4
        let phases = PhaseRecorder(stripes: c.workers)
        let target = try await InProcessTarget.make(c, store: store, phases: phases)
        var driver = LoadDriver(configuration: c, target: target, phases: phases)
        driver.store = (backend: "redis", statistics: store.statistics)

        async let result = driver.run()
        try await Task.sleep(nanoseconds: 1_500_000_000)
        server.stop()
        try await Task.sleep(nanoseconds: 1_000_000_000)
        try server.start()
        let r = await result

        let unavailable = r.operations.values.reduce(0) { $0 + ($1.errorsByKind["store_unavailable"] ?? 0) }
        let otherErrors = r.operations.values.reduce(0) { $0 + $1.errors } - unavailable
        #expect(unavailable > 0, "the outage shows as store_unavailable errors")
        #expect(otherErrors == 0, "no other kind of error: \(r.operations.mapValues(\.errorsByKind))")
        #expect(r.invariants.violations == 0, "no invariant violated: \(r.invariants.byKind)")
        // A run whose store was down for a fifth of it cannot judge the target's latency: the
        // errors are over the 1 % budget, and the verdict says so instead of "pass".
        #expect(r.verdict == .inconclusive)
        #expect(r.inconclusive?.contains { $0.contains("store_unavailable") && $0.contains("--max-error-rate") } == true, "\(r.inconclusive ?? [])")
        #expect((r.store?.counters?.unavailable ?? 0) > 0)

        // Throughput comes back: the last second runs without errors at ≥ 25 % of the first.
        let seconds = r.timeline
        let first = try #require(seconds.first).operations.values.reduce(0, +)
        let last = try #require(seconds.last)
        let lastOps = last.operations.values.reduce(0, +)
        #expect(first > 0)
        #expect(lastOps * 4 >= first, "throughput recovered: \(lastOps) ops in the last second vs \(first) in the first")
        #expect(last.errors == 0, "no errors in the last second")
        #expect(seconds.contains { $0.errors > 0 }, "the outage is visible in the timeline")
        await store.close()
    }
}
