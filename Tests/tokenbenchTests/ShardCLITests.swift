import Foundation
import Testing

/// `run --shard I/N --start-at`, `merge`, and the Kubernetes manifests, as a user runs them.
@Suite("Sharded runs and merge on the command line", .serialized)
struct ShardCLITests {
    let cli = CLITests()

    func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    func count(_ result: [String: Any], _ op: String) -> Int {
        ((result["operations"] as? [String: [String: Any]])?[op]?["count"] as? Int) ?? -1
    }

    /// Two shard processes of one in-process run, started together; their directories.
    func twoShards(_ root: String) throws -> [String] {
        let at = String(Int(Date().timeIntervalSince1970) + 4)
        let dirs = ["\(root)/shard-0", "\(root)/shard-1"]
        let common = ["run", "--start-at", at, "--users", "40", "--rate", "200", "--duration", "3s", "--access-ttl", "1s",
                      "--refresh-lead", "300ms", "--session-length", "2s", "--password-hash-cost", "8", "--quiet"]
        let outcomes = try [0, 1].map { i in
            try BackgroundRun(CLITests.binary.path, common + ["--shard", "\(i)/2", "--out", dirs[i]])
        }.map { $0.wait() }
        for (i, o) in outcomes.enumerated() { #expect(o.status == 0, "shard \(i): \(o.output)") }
        return dirs
    }

    @Test("two shard processes and a merge: counts are the sums, SLOs judged on the merge, exit codes as run's")
    func twoShardsMerged() throws {
        let root = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dirs = try twoShards(root)
        let shards = try dirs.map { try json("\($0)/result.json") }
        for (i, s) in shards.enumerated() {
            let shard = try #require(s["shard"] as? [String: Any])
            #expect(shard["index"] as? Int == i && shard["count"] as? Int == 2 && shard["users"] as? Int == 20)
            #expect(FileManager.default.fileExists(atPath: "\(dirs[i])/latency.hlog"))
        }
        #expect(shards[0]["measure_start_unix_s"] as? Double == shards[1]["measure_start_unix_s"] as? Double)

        let merged = "\(root)/merged"
        let m = try cli.run(["merge", root, "--out", merged, "--slo", "refresh.p99<2s", "--slo", "access.error_rate<1%"])
        #expect(m.status == 0, "\(m.stdout)\n\(m.stderr)")
        let r = try json("\(merged)/result.json")
        for op in ["login", "access", "refresh"] {
            #expect(count(r, op) == count(shards[0], op) + count(shards[1], op), "\(op)")
            #expect(count(r, op) > 0, "\(op)")
        }
        let invariants = try #require(r["invariants"] as? [String: Any])
        #expect(invariants["violations"] as? Int == 0)
        #expect((r["slo"] as? [[String: Any]])?.count == 2)
        #expect(r["verdict"] as? String == "pass")
        #expect(r["shard"] == nil)
        for file in ["latency.hlog", "report.html"] { #expect(FileManager.default.fileExists(atPath: "\(merged)/\(file)"), "\(file)") }

        // The same merge judged by an SLO it cannot meet: exit 2.
        let breach = try cli.run(["merge", dirs[0], dirs[1], "--out", "\(root)/breach", "--slo", "access.p99<1us"])
        #expect(breach.status == 2, "\(breach.stderr)")

        // Bad input: one line, exit 64, nothing written.
        let missing = try cli.run(["merge", dirs[0], "--out", "\(root)/m1"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("shards missing: 1/2"), "\(missing.stderr)")
        let twice = try cli.run(["merge", dirs[0], "\(dirs[0])/result.json", dirs[1], "--out", "\(root)/m2"])
        #expect(twice.status == 0, "the same file named twice counts once: \(twice.stderr)")
        let copy = "\(root)/copy-of-0"
        try FileManager.default.copyItem(atPath: dirs[0], toPath: copy)
        let overlap = try cli.run(["merge", dirs[0], copy, dirs[1], "--out", "\(root)/m3"])
        #expect(overlap.status == 64)
        #expect(overlap.stderr.contains("overlaps"), "\(overlap.stderr)")
        let hlog = "\(copy)/latency.hlog"
        let text = try String(contentsOfFile: hlog, encoding: .utf8)
        try String(text.dropLast(30)).write(toFile: hlog, atomically: true, encoding: .utf8)
        let truncated = try cli.run(["merge", copy, dirs[1], "--out", "\(root)/m4"])
        #expect(truncated.status == 64)
        #expect(truncated.stderr.contains("latency.hlog"), "\(truncated.stderr)")
        #expect(truncated.stderr.split(separator: "\n").count == 1)
        for out in ["m1", "m3", "m4"] { #expect(!FileManager.default.fileExists(atPath: "\(root)/\(out)"), "\(out) written") }
    }

    @Test("bad shard specs and start times: one line naming the flag, exit 64, nothing written",
          arguments: [(["--shard", "0/0"], "--shard"), (["--shard", "5/4"], "--shard"), (["--shard=-1/2"], "--shard"),
                      (["--shard", "4"], "--shard"), (["--shard", "200/300"], "--shard"),
                      (["--start-at", "yesterday"], "--start-at"), (["--start-at", "2020-01-01T00:00:00Z"], "--start-at"),
                      (["--start-at", "1000"], "--start-at"), (["--shard", "0/2", "--repeat", "3"], "--repeat")])
    func badShardFlags(_ flags: [String], _ flag: String) throws {
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try cli.run(["run", "--users", "100", "--duration", "1s", "--out", out] + flags, environment: ["JOB_COMPLETION_INDEX": ""])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("tokenbench: \(flag)"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("--shard N takes the index from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)")
    func indexFromEnvironment() throws {
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try cli.run(["run", "--target", "noop", "--users", "10", "--duration", "1s", "--access-ttl", "1h", "--shard", "5",
                             "--quiet", "--out", out], environment: ["JOB_COMPLETION_INDEX": "3"])
        #expect(r.status == 0 || r.status == 3, "\(r.stderr)")
        let shard = try #require(try json("\(out)/result.json")["shard"] as? [String: Any])
        #expect(shard["index"] as? Int == 3 && shard["count"] as? Int == 5)
        #expect(shard["first_user"] as? Int == 6 && shard["users"] as? Int == 2)
    }

    @Test("deploy/kubernetes: every manifest passes kubernetes-validate --strict offline, the Job's key fields hold, and the checker catches broken copies",
          .enabled(if: ThirdPartyServer.enabled, "skipped: no venv with kubernetes-validate (run script/test)"))
    func kubernetesManifests() throws {
        let python = try #require(ThirdPartyServer.python, "TOKENBENCH_THIRDPARTY_PYTHON is not set: run script/test")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("Tests/Kubernetes/validate_manifests.py").path
        for mode in [[], ["--self-test"]] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = [script, root.path] + mode
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(mode): \(text)")
            #expect(text.contains("PASS"), "\(mode): \(text)")
        }
    }
}

/// A `tokenbench` process run to its end in the background (shards run side by side).
final class BackgroundRun: @unchecked Sendable {
    // @unchecked: `data` is written by the pipe's reader before `wait` returns, read after.
    let process = Process()
    let pipe = Pipe()
    init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
    }

    func wait() -> (status: Int32, output: String) {
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
