import Foundation
import Testing
@testable import TokenLoad
@testable import TokenResults
@testable import TokenReport
@testable import TokenHTTPClient
@testable import TokenProbe

/// The venv's Python with the PyPI `hdrhistogram` package (`TOKENBENCH_THIRDPARTY_PYTHON`,
/// made by script/bootstrap --test); required when `TOKENBENCH_REQUIRE_THIRDPARTY=1`.
enum PythonHdrHistogram {
    static var python: String? {
        guard let path = ProcessInfo.processInfo.environment["TOKENBENCH_THIRDPARTY_PYTHON"],
              FileManager.default.isExecutableFile(atPath: path) else { return nil }
        return path
    }
    static var enabled: Bool { python != nil || ProcessInfo.processInfo.environment["TOKENBENCH_REQUIRE_THIRDPARTY"] == "1" }
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("HdrHistogram/interop.py").path
    }

    /// Runs `interop.py` and returns its exit status and standard output.
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let python = try #require(Self.python, "TOKENBENCH_THIRDPARTY_PYTHON is not set: run script/test (it makes the venv)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script] + arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}

@Suite("Shards and their exact merge", .serialized)
struct ShardMergeTests {
    /// A short open-model run of the no-op target, shard `index` of `count` (nil: unsharded).
    func run(_ shard: LoadConfiguration.Shard?, rate: Double = 1000, users: Int = 60, startAt: Double? = nil) async throws -> RunResult {
        var c = LoadConfiguration()
        c.model = .open
        c.rate = rate
        c.users = users
        c.duration = 2
        c.target = "noop"
        c.accessTTL = 1
        c.refreshLead = 0.2
        c.refreshJitter = 0.1
        c.sessionLength = 1.5
        c.shard = shard
        c.workers = 2
        try c.validate()
        return await LoadDriver(configuration: c, target: NoOpTarget(expiresIn: 1)).run(startAt: startAt)
    }

    @Test("the histograms' samples are exactly the latency.hlog intervals' sum, operation by operation")
    func logAddsUpToResult() async throws {
        let r = try await run(nil)
        let log = try #require(r.intervalLog)
        #expect(!log.intervals.isEmpty)
        for (op, summary) in r.operations where summary.count > 0 {
            var sum = LatencyHistogram.latency()
            for i in log.intervals where i.tag == op { try HdrHistogramCodec.decode(i.encoded).add(to: &sum) }
            let whole = try HdrHistogramCodec.decode(try #require(r.histograms?.operations[op])).histogram()
            #expect(Int(sum.totalCount) == summary.count, "\(op)")
            #expect(HdrHistogramCodec.encode(sum) == HdrHistogramCodec.encode(whole), "\(op)")
        }
    }

    @Test("shards drive disjoint users whose arrivals add up to the whole run's; the merge sums them exactly")
    func mergeTwoShards() async throws {
        let at = Date().timeIntervalSince1970 + 2
        async let a = run(.init(index: 0, count: 2), startAt: at)
        async let b = run(.init(index: 1, count: 2), startAt: at)
        let (ra, rb) = try await (a, b)
        #expect(ra.shard?.users == 30 && rb.shard?.users == 30)
        #expect(ra.shard?.firstUser == 0 && rb.shard?.firstUser == 30)
        #expect(ra.shard?.ratePerS == 500 && rb.shard?.ratePerS == 500)
        #expect(ra.measureStartUnixS == rb.measureStartUnixS, "a common --start-at: one measured window")
        var merger = ResultMerger(slos: [try SLO(parsing: "access.p99<1s")])
        try merger.add(ra, log: ra.intervalLog, source: "a")
        try merger.add(rb, log: rb.intervalLog, source: "b")
        let (m, log) = try merger.finish()
        for op in ["login", "access", "refresh"] {
            let count = (ra.operations[op]?.count ?? 0) + (rb.operations[op]?.count ?? 0)
            #expect(m.operations[op]?.count == count, "\(op)")
            #expect(count > 0, "\(op)")
            var all = LatencyHistogram.latency()
            for r in [ra, rb] { try HdrHistogramCodec.decode(try #require(r.histograms?.operations[op])).add(to: &all) }
            #expect(m.operations[op]?.latencyUs == LatencySummary(all), "\(op): percentiles of the summed histogram")
        }
        #expect(m.invariants.checked == ra.invariants.checked + rb.invariants.checked)
        #expect(m.config.shard == nil)
        #expect(m.shard == nil)
        #expect(m.slo.first?.passed == true)
        #expect(m.verdict == .pass, "\(m.inconclusive ?? []) / shards: \(ra.inconclusive ?? []) \(rb.inconclusive ?? [])")
        // The timeline, second by second.
        for entry in m.timeline {
            let parts = [ra, rb].compactMap { r in r.timeline.first { $0.second == entry.second } }
            #expect(entry.operations["access"] == parts.reduce(0) { $0 + ($1.operations["access"] ?? 0) }, "second \(entry.second)")
        }
        // The merged log holds every sample once.
        let merged = try #require(log)
        var accessInLog: UInt64 = 0
        for i in merged.intervals where i.tag == "access" { accessInLog += try HdrHistogramCodec.decode(i.encoded).totalCount }
        #expect(Int(accessInLog) == m.operations["access"]?.count)
        // The shards together are the unsharded run: the same arrivals (the no-op target keeps time).
        let whole = try await run(nil)
        let sessions = (whole.operations["login"]?.count ?? 0)
        #expect(abs((m.operations["login"]?.count ?? 0) - sessions) <= 2, "logins: \(m.operations["login"]?.count ?? 0) merged, \(sessions) unsharded")
    }

    @Test("merge refuses what is not the shards of one run, naming why")
    func refusals() async throws {
        let a = try await run(.init(index: 0, count: 2))
        let b = try await run(.init(index: 1, count: 2))
        let other = try await run(.init(index: 1, count: 2), rate: 2000)
        let whole = try await run(nil)
        func fails(_ inputs: [RunResult], _ expected: String) {
            var merger = ResultMerger()
            do {
                for (i, r) in inputs.enumerated() { try merger.add(r, log: r.intervalLog, source: "r\(i)") }
                _ = try merger.finish()
                Issue.record("merged, expected a refusal containing '\(expected)'")
            } catch {
                #expect(error.description.contains(expected), "\(error.description)")
            }
        }
        fails([a, a], "overlaps")
        fails([a], "shards missing: 1/2")
        fails([a, other], "another run's settings")
        fails([a, whole], "not a shard")
        var renamed = b
        renamed.scenario = "other"
        fails([a, renamed], "scenario")
        var newer = b
        newer.environment.gitCommit = "0123abc"
        fails([a, newer], "version")
        var older = b
        older.histograms = nil
        fails([a, older], "no histograms")
    }

    @Test("the PyPI hdrhistogram package decodes our result.json and latency.hlog to the same counts and percentiles",
          .enabled(if: PythonHdrHistogram.enabled, "skipped: no venv with hdrhistogram (run script/test)"))
    func pythonReadsOurs() async throws {
        let r = try await run(nil)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenbench-hlog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try r.jsonData().write(to: dir.appendingPathComponent("result.json"))
        try Data(try #require(r.intervalLog).text().utf8).write(to: dir.appendingPathComponent("latency.hlog"))
        let out = try PythonHdrHistogram.run(["verify", dir.path])
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect((json["failures"] as? [String]) == [])
        let ops = try #require(json["operations"] as? [String: [String: Any]])
        #expect(ops["access"]?["count"] as? Int == r.operations["access"]?.count)
        let logged = try #require(json["log"] as? [String: [String: Any]])
        #expect(logged["refresh"]?["count"] as? Int == r.operations["refresh"]?.count)
        #expect(json["intervals"] as? Int == r.intervalLog?.intervals.count)
    }

    @Test("we decode a log the PyPI hdrhistogram package wrote: its counts, percentiles and times",
          .enabled(if: PythonHdrHistogram.enabled, "skipped: no venv with hdrhistogram (run script/test)"))
    func weReadPythons() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokenbench-\(UUID().uuidString).hlog").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let out = try PythonHdrHistogram.run(["write", file])
        #expect(out.status == 0, "\(out.stderr)")
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]])
        let log = try HistogramLog.read(path: file)
        #expect(log.startTime == 1_796_000_000)
        #expect(log.baseTime == 1_796_000_000)
        #expect(log.intervals.count == expected.count)
        for (interval, e) in zip(log.intervals, expected) {
            let h = try HdrHistogramCodec.decode(interval.encoded).histogram()
            #expect(interval.startS == e["start"] as? Double)
            #expect(Int(h.totalCount) == e["count"] as? Int)
            #expect(Int(h.valueAtPercentile(50)) == e["p50"] as? Int)
            #expect(Int(h.valueAtPercentile(99)) == e["p99"] as? Int)
            #expect(Int(h.min) == e["min"] as? Int)
            #expect(Int(h.highestEquivalentForValue(h.max)) == e["max"] as? Int)
        }
    }
}
