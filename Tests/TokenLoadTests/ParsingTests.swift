import Testing
import TokenAuth
@testable import TokenLoad
@testable import TokenResults
@testable import TokenReport
@testable import TokenHTTPClient
@testable import TokenProbe

@Suite("Flags, durations, SLOs, scheduling")
struct ParsingTests {
    @Test(arguments: [("30s", 30.0), ("250ms", 0.25), ("2m", 120), ("1h", 3600), ("1.5s", 1.5), ("10", 10), ("0s", 0)])
    func durations(_ text: String, _ seconds: Double) {
        #expect(DurationValue.seconds(text) == seconds)
    }

    @Test(arguments: ["", "abc", "-1s", "1x", "s", "nan", "inf", "1e400s"])
    func badDurations(_ text: String) {
        #expect(DurationValue.seconds(text) == nil)
    }

    @Test func sloForms() throws {
        let p99 = try SLO(parsing: "refresh.p99<20ms")
        #expect(p99.operation == "refresh" && p99.metric == .p99 && p99.comparison == .lt && p99.threshold == 20_000)
        let rate = try SLO(parsing: "refresh.error_rate<1%")
        #expect(rate.metric == .errorRate && rate.threshold == 0.01)
        let throughput = try SLO(parsing: "access.throughput>=5000")
        #expect(throughput.comparison == .ge && throughput.threshold == 5000)
        let phase = try SLO(parsing: "sign.p50<=15us")
        #expect(phase.operation == "sign" && abs(phase.threshold - 15) < 1e-9)
    }

    @Test(arguments: ["refresh.p99", "refresh<20ms", "nothing.p99<1ms", "refresh.p98<1ms", "refresh.p99<fast",
                      "refresh.error_rate<150%", "refresh.p99<20", ""])
    func badSLOs(_ text: String) {
        #expect(throws: SettingError.self) { try SLO(parsing: text) }
    }

    @Test func configurationRanges() {
        var c = LoadConfiguration()
        #expect(throws: Never.self) { try c.validate() }
        c.users = -1
        #expect(throws: ConfigurationError(setting: "--users", accepted: "an integer 1 ... 10000000")) { try c.validate() }
        c = LoadConfiguration()
        c.replayRatio = 1.5
        #expect(throws: ConfigurationError.self) { try c.validate() }
        c = LoadConfiguration()
        c.model = .open
        #expect(throws: ConfigurationError(setting: "--rate", accepted: "required by the open model")) { try c.validate() }
    }

    @Test("--rate: a total, or per-operation rates; anything else refused; a refresh rate too low for the users and token lifetime refused")
    func rates() throws {
        var c = LoadConfiguration()
        c.model = .open
        try c.setRates("5000")
        #expect(c.rate == 5000 && c.refreshRate == nil && c.intendedArrivalRate == 5000)
        try c.setRates("refresh=2000,access=8000")
        #expect(c.rate == 8000 && c.refreshRate == 2000 && c.intendedArrivalRate == 10_000)
        try c.setRates(" access = 10 , refresh = 250.5 ")
        #expect(c.rate == 10 && c.refreshRate == 250.5)
        try c.setRates("refresh=500")
        #expect(c.rate == nil && c.refreshRate == 500 && c.intendedArrivalRate == 500)
        try c.validate()
        for bad in ["", "fast", "refresh", "refresh=", "=5", "login=5", "refresh=1,refresh=2", "refresh=1,,access=2", "refresh=1;access=2"] {
            var d = LoadConfiguration()
            #expect(throws: ConfigurationError.self, "\(bad)") { try d.setRates(bad) }
        }
        // 100 users refreshing 20 times a second in all: each every 5 s, as long as its 5 s token.
        c = LoadConfiguration()
        c.model = .open
        c.users = 100
        c.accessTTL = 5
        c.refreshLead = 1
        try c.setRates("refresh=20")
        #expect(throws: ConfigurationError.self) { try c.validate() }
        try c.setRates("refresh=25") // every 4 s: the token's 5 s less the 1 s lead
        try c.validate()
        c.refreshRate = 0
        #expect(throws: ConfigurationError.self) { try c.validate() }
        c.refreshRate = 100
        c.model = .closed
        #expect(throws: ConfigurationError.self) { try c.validate() }
    }

    @Test("a URL's password is never printed: user information redacted, however malformed the rest")
    func redaction() {
        #expect(Redaction.url("postgres://app:s3cret@db:5432/x") == "postgres://app:***@db:5432/x")
        #expect(Redaction.url("postgres://app:s3cret@127.0.0.1:notaport/x") == "postgres://app:***@127.0.0.1:notaport/x")
        #expect(Redaction.url("postgres://app:s3cret@[::1/x") == "postgres://app:***@[::1/x")
        #expect(Redaction.url("redis://:s3cret@127.0.0.1:1/0") == "redis://:***@127.0.0.1:1/0")
        #expect(Redaction.url("http://u:p:q@h:1/a@b") == "http://u:***@h:1/a@b")
        for kept in ["postgres://app@db/x", "memory", "sqlite:/tmp/a:b@c", "http://h/p?u=a:b@c", ""] {
            #expect(Redaction.url(kept) == kept)
        }
    }

    @Test("phase ordinals follow AuthPhase.allCases")
    func phaseOrdinals() {
        #expect(AuthPhase.allCases.map(PhaseRecorder.ordinal) == Array(AuthPhase.allCases.indices))
    }

    @Test func timerHeapPopsInOrder() {
        var heap = TimerHeap(capacity: 100)
        var rng = SplitMix64(seed: 3)
        var values: [UInt64] = []
        for i in 0..<1000 {
            let v = rng.next() % 10_000
            values.append(v)
            heap.push(v, Int32(i))
        }
        var popped: [UInt64] = []
        while let (due, _) = heap.pop() { popped.append(due) }
        #expect(popped == values.sorted())
    }

    @Test("same seed, same decisions for a user")
    func seeded() {
        var a = VirtualUser(number: 7, seed: 42)
        var b = VirtualUser(number: 7, seed: 42)
        var c = VirtualUser(number: 8, seed: 42)
        let sa = (0..<20).map { _ in a.rng.next() }
        #expect(sa == (0..<20).map { _ in b.rng.next() })
        #expect(sa != (0..<20).map { _ in c.rng.next() })
    }
}
