import Foundation
import Testing
import TokenAuth
import TokenLoad
@testable import TokenResults
@testable import TokenReport
@testable import TokenHTTPClient
@testable import TokenProbe

/// A **deliberately broken** store, the one mock in this suite: a dictionary behind a lock
/// whose `rotate` skips the compare-and-swap, rotating whatever generation is presented, so
/// spent refresh tokens keep working. It exists to prove that the driver's invariant checker
/// catches a store that breaks rotation semantics.
final class SkipsCompareAndSwapStore: RefreshTokenStore {
    let families = Locked<[FamilyID: RefreshFamily]>([:])
    func create(_ family: RefreshFamily) async throws(StoreError) { families.withLock { $0[family.id] = family } }
    func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily? { families.withLock { $0[id] } }
    func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome {
        families.withLock { all in
            guard var family = all[request.family] else { return .notFound }
            if family.isRevoked { return .revoked(family) }
            // The bug: no check that the presented token is the current one.
            family.generation = request.presentedGeneration + 1
            family.previousDigest = request.presentedDigest
            family.currentDigest = request.successorDigest
            family.issuedAt = request.now
            all[request.family] = family
            return .rotated(family)
        }
    }
    func revoke(_ id: FamilyID, at now: Date, reason: RefreshFamily.RevocationReason) async throws(StoreError) -> Bool {
        families.withLock { all in
            guard var f = all[id], !f.isRevoked else { return false }
            f.revokedAt = now
            all[id] = f
            return true
        }
    }
    func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int { 0 }
    func purgeExpired(asOf now: Date) async throws(StoreError) -> Int { 0 }
}

/// A second **deliberately broken** store: it answers "rotated" but forgets to write the
/// rotation, so the successor it handed out is refused next time (a lost update).
final class LosesRotationsStore: RefreshTokenStore {
    let base = MemoryRefreshTokenStore()
    func create(_ family: RefreshFamily) async throws(StoreError) { try await base.create(family) }
    func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily? { try await base.family(id) }
    func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome {
        guard let family = try await base.family(request.family) else { return .notFound }
        return family.applying(request) // computed, never stored: the bug
    }
    func revoke(_ id: FamilyID, at now: Date, reason: RefreshFamily.RevocationReason) async throws(StoreError) -> Bool {
        try await base.revoke(id, at: now, reason: reason)
    }
    func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int { try await base.revokeAll(subject: subject, at: now) }
    func purgeExpired(asOf now: Date) async throws(StoreError) -> Int { try await base.purgeExpired(asOf: now) }
}

@Suite("Load driver")
struct LoadDriverTests {
    func smallRun() -> LoadConfiguration {
        var c = LoadConfiguration()
        c.users = 40
        c.duration = 3
        c.warmup = 0
        c.accessTTL = 1
        c.refreshLead = 0.3
        c.refreshJitter = 0.1
        c.thinkTime = 0.02
        c.sessionLength = 3
        c.leeway = 0
        c.grace = 0.5
        c.passwordHash = "argon2id"
        c.passwordHashCost = 8
        c.replayRatio = 0.3
        c.concurrentRefreshRatio = 0.3
        c.expiredAccessRatio = 0.1
        c.forgedAccessRatio = 0.1
        c.workers = 2
        return c
    }

    @Test("a short in-process run exercises every operation and hostile kind, and the core violates nothing")
    func inProcessRun() async throws {
        var c = smallRun()
        c.duration = 5 // expired access tokens must be past exp + leeway + 2 s before they are sent
        c.sessionLength = 5
        try c.validate()
        let phases = PhaseRecorder(stripes: c.workers)
        let target = try await InProcessTarget.make(c, phases: phases)
        let result = await LoadDriver(configuration: c, target: target, phases: phases).run()
        #expect(result.schema == "tokenbench.result/v1")
        for op in ["login", "access", "refresh", "logout"] {
            #expect((result.operations[op]?.count ?? 0) > 0, "\(op) was exercised")
        }
        #expect(result.operations["access"]?.errors == 0)
        #expect(result.invariants.checked > 0)
        #expect(result.invariants.violations == 0, "\(result.invariants.byKind)")
        #expect(result.hostile.attempts > 0)
        #expect(result.hostile.rejected == result.hostile.attempts)
        for phase in ["password_hash", "sign", "verify", "store_lookup", "store_rotate", "store_create", "store_revoke"] {
            #expect((result.phases[phase]?.count ?? 0) > 0, "phase \(phase) measured")
        }
        #expect(result.timeline.count == 5)
        for kind in HostileKind.allCases { #expect((result.hostile.byKind?[kind.rawValue]?.sent ?? 0) > 0, "\(kind) sent") }
        #expect(result.verdict == .pass, "\(result.inconclusive ?? [])")
    }

    @Test("the invariant checker catches a store that skips the compare-and-swap")
    func brokenStoreIsCaught() async throws {
        var c = smallRun()
        c.concurrentRefreshRatio = 0
        c.expiredAccessRatio = 0
        c.forgedAccessRatio = 0
        c.replayRatio = 0.5
        let target = try await InProcessTarget.make(c, store: SkipsCompareAndSwapStore(), phases: nil)
        let result = await LoadDriver(configuration: c, target: target).run()
        #expect(result.invariants.violations > 0)
        #expect((result.invariants.byKind["spent_token_accepted"] ?? 0) > 0)
        #expect(result.verdict == .invariantViolation)
    }

    @Test("the invariant checker catches a store that loses rotations")
    func lostRotationsAreCaught() async throws {
        var c = smallRun()
        c.replayRatio = 0
        c.concurrentRefreshRatio = 0
        c.expiredAccessRatio = 0
        c.forgedAccessRatio = 0
        c.grace = 0 // so the lost successor is not rescued by the grace window
        let target = try await InProcessTarget.make(c, store: LosesRotationsStore(), phases: nil)
        let result = await LoadDriver(configuration: c, target: target).run()
        #expect((result.invariants.byKind["current_token_rejected"] ?? 0) > 0)
        #expect(result.verdict == .invariantViolation)
    }

    @Test("families that reach their absolute end are not counted as violations")
    func familyExpiryIsNotAViolation() async throws {
        var c = smallRun()
        c.refreshTTL = 2
        c.sessionLength = 3600
        c.concurrentRefreshRatio = 1
        c.replayRatio = 0
        let target = try await InProcessTarget.make(c, phases: nil)
        let result = await LoadDriver(configuration: c, target: target).run()
        #expect((result.operations["refresh"]?.errorsByKind["invalid_grant"] ?? 0) > 0, "families did expire during the run")
        #expect(result.invariants.violations == 0, "\(result.invariants.byKind)")
    }

    @Test("the no-op target measures the driver alone")
    func noop() async throws {
        var c = LoadConfiguration()
        c.users = 100
        c.duration = 1
        c.thinkTime = 0
        c.target = "noop"
        let result = await LoadDriver(configuration: c, target: NoOpTarget()).run()
        #expect((result.operations["access"]?.count ?? 0) > 1000)
        #expect(result.operations["login"]?.count == 100, "each user logs in once; tokens never expire")
    }

    @Test("a spooled run (tokenbench run's) keeps its whole timeline and log on disk, then removes the files")
    func spooledTimeline() async throws {
        var c = LoadConfiguration()
        c.users = 20
        c.duration = 3
        c.thinkTime = 0.01
        c.target = "noop"
        func spoolFiles() throws -> Set<String> {
            Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
                .filter { $0.hasPrefix("tokenbench-timeline-") })
        }
        let before = try spoolFiles()
        var driver = LoadDriver(configuration: c, target: NoOpTarget())
        driver.spoolIntervals = true
        let result = await driver.run()
        #expect(result.timeline.map(\.second) == [1, 2, 3])
        // Every completed operation is in exactly one second of the timeline, as in memory.
        let inTimeline = result.timeline.reduce(0) { $0 + ($1.operations["access"] ?? 0) }
        #expect(inTimeline == result.operations["access"]?.count)
        #expect(inTimeline > 0)
        #expect(result.timeline.allSatisfy { $0.memory != nil && $0.byOperation?["access"] != nil })
        #expect(result.stability?.seconds == 2, "the last, partial second is left out")
        let log = result.intervalLog?.text() ?? ""
        #expect(log.split(separator: "\n").filter { $0.hasPrefix("Tag=access,") }.count == 3, "one access interval a second")
        // The timeline's spool lives as long as the run's collector (the log's, as long as the result).
        #expect(try spoolFiles().subtracting(before).isEmpty, "the timeline's spool file is removed after the run")
    }

    @Test("open model: operations are due at the arrival rate, latency counts from the intended start")
    func openModel() async throws {
        var c = LoadConfiguration()
        c.model = .open
        c.rate = 2000
        c.users = 200
        c.duration = 2
        c.target = "noop"
        try c.validate()
        #expect(c.effectiveThinkTime == 0.1)
        let result = await LoadDriver(configuration: c, target: NoOpTarget()).run()
        let total = result.operations.values.reduce(0) { $0 + $1.count }
        #expect(total > 2000 && total <= 4200, "about rate × duration = 4000 operations, got \(total)")
    }

    @Test("open model: a target that keeps up achieves the intended rate, whatever its latency (no edge bias from answers in flight at the end)")
    func achievedRate() async throws {
        var c = LoadConfiguration()
        c.model = .open
        c.rate = 200
        c.users = 100
        c.duration = 2
        c.warmup = 0.5
        c.accessTTL = 3600
        c.sessionLength = 3600
        c.target = "simulated:100x100ms"
        try c.validate()
        // 1,000 ops/s of capacity at 200 ops/s: every arrival is served 100 ms after it is due.
        // Arrivals due in the window's last 100 ms are still in flight at its end (5 % of the
        // window); the ones due in the warm-up's last 100 ms complete in it instead.
        let result = await LoadDriver(configuration: c, target: SimulatedTarget(spec: c.target)!).run()
        let achieved = try #require(result.achievedRatePerS)
        #expect(abs(achieved - 200) <= 3, "achieved \(achieved) ops/s of 200")
    }

    @Test("per-operation rates: refreshes and resource calls each arrive at their own rate, the core refreshing before its tokens fall due and violating nothing")
    func perOperationRates() async throws {
        var c = smallRun()
        c.model = .open
        c.users = 50
        c.accessTTL = 30 // the tokens would not fall due in the run: every refresh is an arrival
        c.refreshLead = 1
        c.sessionLength = 3600
        c.replayRatio = 0
        c.concurrentRefreshRatio = 0
        c.expiredAccessRatio = 0
        c.forgedAccessRatio = 0
        c.warmup = 1
        c.duration = 3
        try c.setRates("refresh=200,access=100")
        try c.validate()
        let target = try await InProcessTarget.make(c, phases: nil)
        let result = await LoadDriver(configuration: c, target: target).run()
        // 200 refreshes and 100 resource calls a second for 3 s, each user refreshing every
        // 0.25 s; the 50 logins fell in the warm-up.
        let refreshes = try #require(result.operations["refresh"]).count
        let accesses = try #require(result.operations["access"]).count
        #expect(abs(refreshes - 600) <= 6, "\(refreshes) refreshes")
        #expect(abs(accesses - 300) <= 3, "\(accesses) resource calls")
        #expect(result.operations["login"]?.count ?? 0 == 0)
        #expect(abs((result.achievedRatePerS ?? 0) - 300) <= 3, "\(result.achievedRatePerS ?? 0)")
        #expect(result.operations["refresh"]?.errors == 0 && result.operations["access"]?.errors == 0)
        #expect(result.invariants.violations == 0, "\(result.invariants.byKind)")
        #expect(result.verdict == .pass, "\(result.inconclusive ?? [])")
    }

    @Test("per-operation rates: refreshes alone make a whole run; equal rates do not queue a user's resource calls behind its refreshes")
    func refreshOnlyAndEqualRates() async throws {
        var c = LoadConfiguration()
        c.model = .open
        c.users = 20
        c.accessTTL = 3600
        c.sessionLength = 3600
        c.warmup = 1
        c.duration = 2
        c.target = "simulated:8x10ms"
        try c.setRates("refresh=100")
        try c.validate()
        let alone = await LoadDriver(configuration: c, target: SimulatedTarget(spec: c.target)!).run()
        #expect(alone.operations["access"]?.count ?? 0 == 0)
        #expect(abs((alone.operations["refresh"]?.count ?? 0) - 200) <= 2)
        #expect(alone.verdict == .pass, "no resource call is expected of a refresh-only run: \(alone.inconclusive ?? [])")
        // 200 calls a second against 800 of capacity: every call takes its 10 ms.
        try c.setRates("refresh=100,access=100")
        let both = await LoadDriver(configuration: c, target: SimulatedTarget(spec: c.target)!).run()
        let access = try #require(both.operations["access"])
        #expect(abs(access.count - 200) <= 2)
        #expect(access.latencyUs.p50 < 15_000, "a resource call waited for its user's refresh: p50 \(access.latencyUs.p50) µs")
    }

    @Test("SLOs: a breach sets the verdict")
    func sloBreach() async throws {
        var c = LoadConfiguration()
        c.users = 10
        c.duration = 1
        c.target = "noop"
        c.accessTTL = 3600 // tokens outlive the sessions: no refresh is expected of this run
        let slos = [try SLO(parsing: "access.throughput>1000000000"), try SLO(parsing: "access.error_rate<1%")]
        let result = await LoadDriver(configuration: c, target: NoOpTarget(expiresIn: 3600), slos: slos).run()
        #expect(result.slo.map(\.passed) == [false, true])
        #expect(result.verdict == .sloBreach)
    }
}
