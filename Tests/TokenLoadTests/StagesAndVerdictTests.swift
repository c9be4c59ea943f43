import Foundation
import Testing
import TokenAuth
@testable import TokenLoad
@testable import TokenResults
@testable import TokenReport
@testable import TokenHTTPClient
@testable import TokenProbe

@Suite("Ramping stages: parsing, the schedule's arithmetic, runs that follow it")
struct StageTests {
    @Test("k6-style stages: users or rates, never mixed; bad ones refused")
    func parsing() throws {
        let users = try LoadStage.parse("30s:100,2m:1000,30s:0")
        #expect(users.rates == false)
        #expect(users.stages == [LoadStage(duration: 30, target: 100), LoadStage(duration: 120, target: 1000), LoadStage(duration: 30, target: 0)])
        let rates = try LoadStage.parse("10s:50/s, 1m:500/s")
        #expect(rates.rates)
        #expect(rates.stages.map(\.target) == [50, 500])
        for bad in ["", "30s", "30s:100,1m:5/s", "0s:10", "30s:-1", "30s:1.5", "x:10", "30s:0,10s:0", "30s:10,"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try LoadStage.parse(bad) }
        }
    }

    @Test("open model: arrival k+½ of a constant rate is (k+½)/r; on a ramp the arrivals follow ∫rate")
    func arrivals() {
        let constant = LoadSchedule(constant: 100)
        #expect(constant.arrival(0) == 0.005)
        #expect(constant.arrival(99) == 0.995)
        // 0 → 100/s over 10 s (500 arrivals), then 100/s for 10 s (1000 more).
        let ramp = LoadSchedule(stages: [LoadStage(duration: 10, target: 100), LoadStage(duration: 10, target: 100)])
        #expect(abs(ramp.arrival(49.5)! - 10 * (0.1).squareRoot()) < 1e-9, "Λ(t) = 5 t² up to 10 s: 50 arrivals by √10 s")
        #expect(abs(ramp.arrival(499.5)! - 10) < 1e-9)
        #expect(abs(ramp.arrival(999.5)! - 15) < 1e-9)
        #expect(ramp.arrival(1499.5) == 20)
        #expect(ramp.arrival(1500) == nil, "nothing after the last stage")
        // A falling ramp: 100 → 0 over 10 s holds 500 arrivals.
        let down = LoadSchedule(stages: [LoadStage(duration: 1e-9, target: 100), LoadStage(duration: 10, target: 0)])
        #expect(abs(down.arrival(374.5)! - 5) < 1e-6, "Λ(5) = 100·5 − 5·25 = 375")
    }

    @Test("closed model: user n is active while the level exceeds n, and knows when it next will be")
    func activation() {
        let s = LoadSchedule(stages: [LoadStage(duration: 10, target: 10), LoadStage(duration: 10, target: 10), LoadStage(duration: 10, target: 0)])
        #expect(abs(s.level(at: 5) - 5) < 1e-9)
        #expect(s.level(at: 15) == 10)
        #expect(abs(s.activation(of: 3, after: 0)! - 3) < 1e-3)
        #expect(s.activation(of: 3, after: 12) == 12, "already active")
        #expect(s.activation(of: 3, after: 28) == nil, "ramped down for good")
        #expect(s.activation(of: 10, after: 0) == nil, "the level never exceeds 10")
        #expect(LoadSchedule(constant: 5).activation(of: 4, after: 2) == 2)
    }

    @Test("a closed-model ramp through the driver: users come and go with the level, the timeline says what was intended")
    func closedRamp() async throws {
        var c = LoadConfiguration()
        c.target = "noop"
        c.stages = [LoadStage(duration: 1, target: 40), LoadStage(duration: 1, target: 40), LoadStage(duration: 1, target: 0)]
        c.users = 40
        c.duration = 3
        c.thinkTime = 0.05
        c.accessTTL = 3600
        c.sessionLength = 3600
        try c.validate()
        let result = await LoadDriver(configuration: c, target: NoOpTarget()).run()
        #expect(result.operations["login"]?.count == 40, "every user logged in once, as the ramp reached it")
        #expect(result.timeline.map(\.targetUsers) == [40, 40, 0])
        let perSecond = result.timeline.map { $0.operations["access"] ?? 0 }
        #expect(perSecond[1] > perSecond[0] && perSecond[1] > perSecond[2], "the plateau is the busiest second: \(perSecond)")
    }

    @Test("an open-model ramp through the driver: the operations follow the integral of the rate")
    func openRamp() async throws {
        var c = LoadConfiguration()
        c.target = "noop"
        c.model = .open
        c.stages = [LoadStage(duration: 1, target: 1000), LoadStage(duration: 1, target: 1000)]
        c.users = 100
        c.duration = 2
        c.accessTTL = 3600
        c.sessionLength = 3600
        try c.validate()
        let result = await LoadDriver(configuration: c, target: NoOpTarget()).run()
        let total = result.operations.values.reduce(0) { $0 + $1.count }
        #expect(abs(total - 1500) <= 75, "500 arrivals on the ramp, 1000 on the plateau: \(total)")
        #expect(result.timeline.map(\.targetRate) == [1000, 1000])
    }
}

@Suite("Verdicts: what a run claims, what it could not judge")
struct VerdictTests {
    func noopRun(_ adjust: (inout LoadConfiguration) -> Void, slos: [SLO] = []) async throws -> RunResult {
        var c = LoadConfiguration()
        c.target = "noop"
        c.users = 20
        c.duration = 1
        c.thinkTime = 0.01
        adjust(&c)
        try c.validate()
        return await LoadDriver(configuration: c, target: NoOpTarget(expiresIn: c.accessTTL ?? 3600), slos: slos).run()
    }

    @Test("access tokens that outlive the run: no refresh happened, inconclusive, with the reason")
    func noRefresh() async throws {
        let r = try await noopRun { $0.accessTTL = 30 }
        #expect(r.verdict == .inconclusive)
        #expect(r.inconclusive?.first?.hasPrefix("no refresh happened: access tokens live 30.0 s, so a refresh falls due after about 28.8 s") == true, "\(r.inconclusive ?? [])")
        // Sessions shorter than the refresh point claim no refresh.
        let short = try await noopRun { $0.accessTTL = 30; $0.sessionLength = 0.5; $0.logoutRatio = 0 }
        #expect(short.verdict == .pass, "\(short.inconclusive ?? [])")
    }

    func inProcessRun(_ adjust: (inout LoadConfiguration) -> Void) async throws -> RunResult {
        var c = LoadConfiguration()
        c.users = 20
        c.duration = 2
        c.thinkTime = 0.02
        c.passwordHash = "bcrypt"
        adjust(&c)
        try c.validate()
        let target = try await InProcessTarget.make(c, phases: nil)
        return await LoadDriver(configuration: c, target: target).run()
    }

    @Test("sessions that end within the run claim logouts; a hostile ratio claims its traffic")
    func claims() async throws {
        let r = try await inProcessRun { $0.accessTTL = 1; $0.refreshLead = 0.5; $0.refreshJitter = 0; $0.sessionLength = 1.5; $0.logoutRatio = 1 }
        #expect(r.verdict == .pass, "\(r.inconclusive ?? [])")
        #expect((r.operations["logout"]?.count ?? 0) > 0)
        // Sessions end within the run, but a logout ratio of 0.1 % gives none of them a logout.
        let unended = try await inProcessRun { $0.users = 1; $0.accessTTL = 1; $0.refreshLead = 0.5; $0.sessionLength = 1; $0.logoutRatio = 0.001 }
        #expect(unended.inconclusive?.contains { $0.hasPrefix("no logout happened") } == true, "\(unended.inconclusive ?? [])")
        let never = try await inProcessRun { $0.accessTTL = 3600; $0.sessionLength = 3600; $0.forgedAccessRatio = 1e-9 }
        #expect(never.inconclusive?.contains { $0.hasPrefix("--forged-access-ratio is set, but no forged access token was sent") } == true,
                "\(never.inconclusive ?? [])")
    }

    @Test("a driver late beyond --max-lag is saturated: inconclusive")
    func saturated() async throws {
        let r = try await noopRun { $0.accessTTL = 3600; $0.sessionLength = 3600; $0.maxLag = 1e-9 }
        #expect(r.verdict == .inconclusive)
        #expect(r.inconclusive?.contains { $0.hasPrefix("the driver was saturated: its scheduling lag p99 was") } == true, "\(r.inconclusive ?? [])")
        var c = LoadConfiguration()
        #expect(c.effectiveMaxLag == 1, "closed model: one think time (1 s), when longer than 100 ms")
        c.thinkTime = 0.01
        #expect(c.effectiveMaxLag == 0.1)
    }

    @Test("precedence: a violation beats inconclusive, inconclusive beats an SLO breach")
    func precedence() async throws {
        var r = try await noopRun({ $0.accessTTL = 30 }, slos: [try SLO(parsing: "access.throughput>1000000000")])
        #expect(r.verdict == .inconclusive)
        r.invariants.violations = 1
        #expect(r.judgedVerdict == .invariantViolation)
        r.invariants.violations = 0
        r.inconclusive = []
        #expect(r.judgedVerdict == .sloBreach)
    }

    @Test("an SLO over an operation with no samples fails and says so")
    func sloWithoutSamples() async throws {
        let r = try await noopRun({ $0.accessTTL = 3600; $0.sessionLength = 60 }, slos: [try SLO(parsing: "logout.p99<1s")])
        #expect(r.slo == [SLOResult(slo: "logout.p99<1s", observed: nil, passed: false, note: "no samples")])
        #expect(r.verdict == .sloBreach, "\(r.inconclusive ?? [])")
        #expect(ConsoleReport.render(r).contains("slo logout.p99<1s: BREACH (no samples)"))
    }

    @Test("progress lines cover their whole interval: the rate and p99 of five seconds, not of the last one")
    func progressInterval() {
        var interval = ProgressInterval()
        var h = LatencyHistogram.interval()
        _ = h.record(1_000_000)
        func snapshot(_ t: Double, _ ops: Int, _ histogram: LatencyHistogram) -> ProgressSnapshot {
            ProgressSnapshot(elapsed: t, total: 10, warmingUp: false, operationsPerSecond: ops, p99Us: 0, interval: histogram,
                             errors: 0, violations: 0)
        }
        for t in 1...4 { #expect(interval.add(snapshot(Double(t), 1000, LatencyHistogram.interval()), print: false) == nil) }
        let line = interval.add(snapshot(5, 0, h), print: true)
        #expect(line?.contains("800 ops/s") == true, "4000 operations over 5 s: \(line ?? "")")
        #expect(line?.contains("p99 1000 µs") == true, "the slow second's p99 is kept: \(line ?? "")")
    }
}

@Suite("Profile files and strict JSON")
struct ProfileFileTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID().uuidString).json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a profile file becomes flags: base is --profile, lists repeat, insecure is a flag, ${NAME} reads the environment")
    func arguments() throws {
        let path = try write(#"{"description": "x", "base": "oauth2", "header": ["X-A: 1", "X-B: 2"], "insecure": true, "client-secret": "${S}", "grace": "0s"}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let args = try ProfileFile.arguments(path: path, environment: ["S": "hunter2"])
        #expect(args == ["--profile", "oauth2", "--client-secret", "hunter2", "--grace", "0s", "--header", "X-A: 1", "--header", "X-B: 2", "--insecure"])
        let plain = try write(#"{"login-path": "/login"}"#)
        defer { try? FileManager.default.removeItem(atPath: plain) }
        #expect(try ProfileFile.arguments(path: plain, environment: [:]) == ["--profile", "custom", "--login-path", "/login"])
    }

    @Test("bad profile files: unknown keys, a key named twice, run settings, missing files — each named",
          arguments: [
            (#"{"login-pth": "/x"}"#, #""login-pth" is not a profile key"#),
            (#"{"login-path": "/a", "login-path": "/b"}"#, #"names "login-path" twice"#),
            (#"{"users": 10}"#, #""users" is not a profile key"#),
            (#"{"profile": "oauth2"}"#, "name the built-in profile to start from with \"base\""),
            (#"{"insecure": "yes"}"#, "must be true or false"),
            (#"{"header": []}"#, "is an empty list"),
            (#"{"login-path": "/a",}"#, "trailing comma"),
          ])
    func bad(_ text: String, _ message: String) throws {
        let path = try write(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ScenarioError.self) { try ProfileFile.arguments(path: path, environment: [:]) }
        do { _ = try ProfileFile.arguments(path: path, environment: [:]) } catch {
            #expect(error.description.hasPrefix("profile \(path) "), "\(error)")
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test("strict JSON: duplicate keys at any depth and trailing commas; strings and escapes are not keys")
    func strict() {
        #expect(StrictJSON.problem(in: Array(#"{"a": 1, "b": {"a": 2}}"#.utf8)) == nil)
        #expect(StrictJSON.problem(in: Array(#"{"a": 1, "b": {"c": 2, "c": 3}}"#.utf8)) == #"names "c" twice"#)
        #expect(StrictJSON.problem(in: Array(#"{"a": ["a", "a"], "s": "x\"a\": 1"}"#.utf8)) == nil)
        #expect(StrictJSON.problem(in: Array(#"[1, 2,]"#.utf8)) == "has a trailing comma before ']'")
        #expect(StrictJSON.problem(in: Array(#"[{"a": 1}, {"a": 2}]"#.utf8)) == nil)
    }

    @Test("a profile that sends one field twice in a request is refused")
    func duplicateField() throws {
        var p = HTTPProfile.native
        p.loginFields = [HTTPProfile.Field(name: "username", value: "x")]
        #expect(throws: HTTPTargetError.self) { try p.validate() }
        p.loginFields = [HTTPProfile.Field(name: "scope", value: "a"), HTTPProfile.Field(name: "scope", value: "b")]
        #expect(throws: HTTPTargetError.self) { try p.validate() }
        p.loginFields = [HTTPProfile.Field(name: "scope", value: "a")]
        p.revokeFields = [HTTPProfile.Field(name: "token", value: "x")]
        #expect(throws: HTTPTargetError.self) { try p.validate() }
        p.revokeFields = []
        p.headers = [HTTPProfile.Header(name: "X-Key", value: "1"), HTTPProfile.Header(name: "x-key", value: "2")]
        #expect(throws: HTTPTargetError.self) { try p.validate() }
        p.headers = [HTTPProfile.Header(name: "X-Key", value: "1")]
        try p.validate()
    }

    @Test("the recorded target description holds no secret: the client secret, header and field values are left out")
    func description() throws {
        var p = HTTPProfile.oauth2
        p.clientID = "app"
        p.clientSecret = "hunter2"
        p.headers = [HTTPProfile.Header(name: "X-Api-Key", value: "k-secret")]
        p.loginFields = [HTTPProfile.Field(name: "otp", value: "123456")]
        let d = HTTPTargetDescription(urls: ["https://a"], profile: p, profileFile: nil, connections: 4, timeout: 10, tls: TLSSettings())
        let json = String(decoding: try JSONEncoder().encode(d), as: UTF8.self)
        for secret in ["hunter2", "k-secret", "123456"] { #expect(!json.contains(secret), "\(secret) in \(json)") }
        #expect(d.clientAuthentication == "basic")
        #expect(d.headers == ["X-Api-Key"])
        #expect(d.loginFields == ["otp"])
    }
}
