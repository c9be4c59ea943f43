import Foundation
import Testing

/// Runs the built `tokenbench` binary as a user would.
@Suite("tokenbench command line")
struct CLITests {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `tokenbench` executable next to this test binary.
    static var binary: URL {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: me).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("tokenbench").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("tokenbench")
    }

    /// Runs `binary` (by default `tokenbench`; `tokenbench-jemalloc` sits beside it).
    func run(_ arguments: [String], environment: [String: String] = [:], binary: URL = Self.binary) throws -> Outcome {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
    }

    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tokenbench-\(UUID().uuidString)").path
    }

    @Test("a short real in-process run writes result.json (schema v1) and exits 0")
    func smokeRun() throws {
        let out = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try run(["run", "--users", "30", "--duration", "2s", "--think-time", "20ms", "--access-ttl", "1s",
                         "--refresh-lead", "300ms", "--session-length", "1500ms", "--replay-ratio", "0.2",
                         "--concurrent-refresh-ratio", "0.2", "--password-hash-cost", "8", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("verdict: pass"))
        let data = try Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent("result.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["schema"] as? String == "tokenbench.result/v1")
        let environment = try #require(json["environment"] as? [String: Any])
        for key in ["cores", "os", "swift_version", "git_commit"] { #expect(environment[key] != nil, "environment.\(key)") }
        let operations = try #require(json["operations"] as? [String: [String: Any]])
        for op in ["login", "access", "refresh", "logout"] {
            let o = try #require(operations[op], "operations.\(op)")
            for key in ["count", "errors", "throughput_per_s", "latency_us"] { #expect(o[key] != nil, "\(op).\(key)") }
            let latency = try #require(o["latency_us"] as? [String: Double])
            #expect(Set(latency.keys) == ["p50", "p90", "p99", "p999", "max", "mean"])
        }
        #expect((operations["refresh"]?["count"] as? Int ?? 0) > 0)
        let invariants = try #require(json["invariants"] as? [String: Any])
        #expect((invariants["checked"] as? Int ?? 0) > 0)
        #expect(invariants["violations"] as? Int == 0)
        #expect((json["timeline"] as? [Any])?.count == 2)
        #expect(json["phases"] is [String: Any])
        #expect(json["config"] is [String: Any])
    }

    @Test("invalid flags: one line naming the flag, exit 64, no result directory",
          arguments: [
            (["--users", "-5"], "--users"), (["--alg", "XS256"], "--alg"), (["--slo", "refresh.p99"], "--slo"),
            (["--duration", "10x"], "--duration"), (["--replay-ratio", "2"], "--replay-ratio"),
            (["--password-hash", "md5"], "--password-hash"), (["--bogus"], "--bogus"), (["--rate", "-3"], "--rate"),
            (["--target", "http://127.0.0.1:1", "--expired-access-ratio", "0.1"], "--expired-access-ratio"),
            (["--target", "noop", "--forged-access-ratio", "0.1"], "--target noop"),
            (["--refresh-ttl", "10000h"], "--refresh-ttl"), (["--session-length", "1e300s"], "--session-length"),
            (["--rate", "0.0001", "--users", "100"], "--rate"), (["--out", "/proc/tokenbench-no-such-dir"], "--out"),
            (["--out", ""], "--out"), (["--target", "noop", "--slo", "sign.p99<1ms"], "--slo"),
            (["--refresh-jitter", "1h"], "--refresh-jitter"),
            (["--target", "ftp://127.0.0.1:1"], "--target"),
            (["--target", "http://127.0.0.1:1", "--profile", "soap"], "--profile"),
            (["--target", "http://127.0.0.1:1", "--refresh-token-in", "header"], "--refresh-token-in"),
            (["--target", "http://127.0.0.1:1", "--access-token-pointer", "access_token"], "--access-token-pointer"),
            (["--target", "http://127.0.0.1:1", "--login-path", "oauth/token"], "--login-path"),
            (["--target", "http://127.0.0.1:1", "--users-csv", "/nonexistent/users.csv"], "--users-csv"),
            (["--target", "http://127.0.0.1:1", "--username-pattern", "alice"], "--username-pattern"),
            (["--target", "http://127.0.0.1:1", "--connections", "0"], "--connections"),
            (["--target", "http://127.0.0.1:1", "--client-secret", "s"], "--client-secret"),
            (["--target", "http://127.0.0.1:1", "--body-format", "xml"], "--body-format"),
            (["--store", "mysql://127.0.0.1/db"], "--store"), (["--store", "sqlite:"], "--store"),
            (["--store", "postgres://127.0.0.1:5432/db"], "--store"), (["--store", "redis://127.0.0.1:6379/99"], "--store"),
            (["--target", "noop", "--store", "sqlite:/tmp/x.db"], "--store"), (["--store-connections", "0"], "--store-connections"),
            (["--sweep-concurrency", "1,x"], "--sweep-concurrency"), (["--sweep-concurrency", ""], "--sweep-concurrency"),
            (["--sweep-concurrency", "1,2", "--rate", "100"], "--sweep-concurrency"),
            (["--target", "http://127.0.0.1:1", "--header", "no colon"], "--header"),
            (["--target", "http://127.0.0.1:1", "--header", "Bad Name: x"], "--header"),
            (["--target", "http://127.0.0.1:1", "--header", "Host: evil"], "--header"),
            (["--target", "http://127.0.0.1:1", "--header", "X-A: 1", "--header", "x-a: 2"], "--header"),
            (["--target", "http://127.0.0.1:1", "--login-field", "scope"], "--login-field"),
            (["--target", "http://127.0.0.1:1", "--login-field", "username=x"], "--login-field"),
            (["--target", "http://127.0.0.1:1", "--profile", "/nonexistent/profile.json"], "does not exist"),
            (["--target", "http://127.0.0.1:1", "--insecure"], "--cacert/--insecure"),
            (["--header", "X-A: 1"], "HTTP targets only"),
            (["--stages", "30s:10,1m:5/s"], "--stages"), (["--stages", "1s:10"], "--duration"),
            (["--max-error-rate", "2"], "--max-error-rate"), (["--max-error-rate", "x%"], "--max-error-rate"),
            (["--max-lag", "0s"], "--max-lag"),
          ])
    func badFlags(_ flags: [String], _ named: String) throws {
        let out = temporaryDirectory()
        let r = try run(["run", "--duration", "1s", "--out", out] + flags)
        #expect(r.status == 64)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line: \(r.stderr)")
        #expect(r.stderr.contains(named))
        #expect(!FileManager.default.fileExists(atPath: out), "no partial result directory")
    }

    @Test("--stages with settings it replaces: one line naming the flag, exit 64",
          arguments: [
            (["--stages", "1s:10", "--users", "3"], "--users"), (["--stages", "1s:10/s", "--rate", "5"], "--rate"),
            (["--stages", "1s:10", "--warmup", "2s"], "--warmup"),
          ])
    func badStages(_ flags: [String], _ named: String) throws {
        let r = try run(["run"] + flags)
        #expect(r.status == 64)
        #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        #expect(r.stderr.contains(named), "\(r.stderr)")
    }

    @Test("serve and probe: invalid flags get one line naming the flag, exit 64",
          arguments: [
            (["serve", "--port", "70000"], "--port"), (["serve", "--alg", "none"], "--alg"),
            (["serve", "--grace", "-1s"], "--grace"), (["serve", "--users", "0"], "--users"),
            (["serve", "--max-body", "10"], "--max-body"), (["serve", "--password-hash", "md5"], "--password-hash"),
            (["serve", "--access-ttl", "0s"], "--access-ttl"),
            (["probe", "localhost:8080"], "url"), (["probe", "http://127.0.0.1:1", "--grace", "1 week"], "--grace"),
            (["probe", "http://127.0.0.1:1", "--profile", "soap"], "--profile"),
            (["probe", "http://127.0.0.1:1", "--admin-secret-file", "/nonexistent/admin.secret"], "--admin-secret-file"),
            (["serve", "--store", "memcached://127.0.0.1:11211"], "--store"),
          ])
    func badServeAndProbeFlags(_ arguments: [String], _ named: String) throws {
        let r = try run(arguments)
        #expect(r.status == 64)
        #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        #expect(r.stderr.contains(named))
    }

    @Test("a users CSV without the username and password columns is refused")
    func badCSV() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokenbench-\(UUID().uuidString).csv")
        try Data("login,secret\nalice,pw\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try run(["run", "--target", "http://127.0.0.1:1", "--duration", "1s", "--users-csv", file.path])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--users-csv"))
        #expect(r.stderr.contains("username and password"))
    }

    @Test("an HTTP target that does not answer a first login: one line, exit 69, before any run")
    func unreachableTarget() throws {
        let r = try run(["run", "--target", "http://127.0.0.1:9", "--duration", "30s", "--quiet"])
        #expect(r.status == 69)
        #expect(r.stderr == "tokenbench: preflight: login POST http://127.0.0.1:9/oauth/token: no answer (connection refused): is the server running at http://127.0.0.1:9?\n")
        #expect(r.stdout.isEmpty)
    }

    @Test("a store that cannot be reached: one line naming it, exit 69, no run")
    func unreachableStore() throws {
        let r = try run(["run", "--store", "redis://127.0.0.1:9/0", "--duration", "30s", "--quiet", "--users", "5",
                         "--password-hash", "bcrypt"])
        #expect(r.status == 69)
        #expect(r.stderr.contains("cannot open the redis store"), "\(r.stderr)")
        #expect(!r.stdout.contains("verdict"))
    }

    @Test("in-process on PostgreSQL, users run in lanes: more store calls in flight than workers; each second's store figures in the timeline and the report")
    func inProcessLanes() throws {
        let store = try #require(ProcessInfo.processInfo.environment["TOKENBENCH_POSTGRES_URL"], "TOKENBENCH_POSTGRES_URL is not set: run script/test")
        let out = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        // 64 users with no think time on 2 workers: inline, at most 2 store calls could be in flight.
        let r = try run(["run", "--store", store, "--users", "64", "--workers", "2", "--think-time", "0s", "--duration", "3s",
                         "--access-ttl", "2s", "--refresh-lead", "500ms", "--session-length", "1h", "--password-hash", "bcrypt", "--password-hash-cost", "4", "--out", out])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent("result.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let seconds = try #require(json["timeline"] as? [[String: Any]]).compactMap { $0["store"] as? [String: Any] }
        #expect(seconds.count == 3, "a store entry every second")
        let inFlight = seconds.compactMap { $0["in_flight"] as? Double }
        #expect((inFlight.max() ?? 0) > 2.5, "in flight per second: \(inFlight)")
        for second in seconds {
            #expect((second["calls"] as? Int ?? 0) > 0 && second["pool_waits"] is Int && second["retries"] is Int, "\(second)")
            #expect(second["pool_size"] as? Int == 16, "the default pool: \(second)")
        }
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("data-chart=\"store-in-flight\""))
    }

    @Test("--store sqlite with --sweep-concurrency: the store section holds one contention point per level")
    func sqliteSweep() throws {
        let out = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let db = out + "-store.db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
        let r = try run(["run", "--store", "sqlite:\(db)", "--sweep-concurrency", "1,4", "--duration", "1s",
                         "--think-time", "5ms", "--access-ttl", "1s", "--refresh-lead", "500ms", "--session-length", "30s",
                         "--password-hash", "bcrypt", "--quiet", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent("result.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let store = try #require(json["store"] as? [String: Any])
        #expect(store["backend"] as? String == "sqlite")
        let counters = try #require(store["counters"] as? [String: Int])
        for key in ["retries", "busy", "serialization_failures", "pool_waits", "pool_wait_us", "reconnects", "unavailable"] {
            #expect(counters[key] != nil, "store.counters.\(key)")
        }
        let points = try #require(store["contention"] as? [[String: Any]])
        #expect(points.compactMap { $0["concurrency"] as? Int } == [1, 4])
        for point in points {
            let ops = try #require(point["operations"] as? [String: [String: Any]])
            let rotate = try #require(ops["rotate"], "rotate measured at every level")
            #expect((rotate["count"] as? Int ?? 0) > 0)
            #expect((rotate["latency_us"] as? [String: Double])?["p99"] != nil)
            #expect((point["throughput_per_s"] as? Double ?? 0) > 0)
        }
        #expect((store["operations"] as? [String: Any])?["lookup"] != nil)
    }

    @Test("an SLO breach exits 2")
    func sloBreach() throws {
        let r = try run(["run", "--target", "noop", "--users", "5", "--duration", "1s", "--access-ttl", "1s", "--refresh-lead", "500ms",
                         "--slo", "access.throughput>1000000000", "--quiet"])
        #expect(r.status == 2)
        #expect(r.stdout.contains("BREACH"))
    }
}

@Suite("tokenbench profile files")
struct ProfileFileCLITests {
    let cli = CLITests()

    @Test("a bad profile file: one line naming the file and the problem, exit 64, no result directory",
          arguments: [
            (#"{"login-pth": "/x"}"#, "login-pth"), (#"{"login-path": "/a", "login-path": "/b"}"#, #"names "login-path" twice"#),
            (#"{"login-path": "oauth"}"#, "--login-path"), (#"{"header": ["Host: x"]}"#, "--header"),
            (#"{"users": 5}"#, "not a profile key"), ("not json", "not valid JSON"),
          ])
    func badProfile(_ text: String, _ message: String) throws {
        let folder = cli.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/p.json"
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        let out = folder + "/out"
        for command in [["run", "--target", "http://127.0.0.1:1", "--out", out], ["probe", "http://127.0.0.1:1"]] {
            let r = try cli.run(command + ["--profile", file])
            #expect(r.status == 64, "\(command[0]): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
            #expect(r.stderr.contains(message), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test("every shipped profile parses, for run and for probe")
    func shippedProfiles() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("results/profiles")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(Set(files) == ["simplejwt.json", "authlib.json", "tokenbench-serve.json", "flaskjwt.json", "authx.json", "dot.json", "dot-discovery.json"])
        let secrets = ["TOKENBENCH_AUTHLIB_CLIENT_SECRET": "s", "TOKENBENCH_DOT_CLIENT_SECRET": "s"]
        for file in files {
            // Nothing listens on port 9: parsing passes, the preflight then fails with 69.
            let path = folder.appendingPathComponent(file).path
            let r = try cli.run(["run", "--target", "http://127.0.0.1:9", "--profile", path, "--duration", "1s"], environment: secrets)
            #expect(r.status == 69, "\(file): \(r.stderr)")
            let p = try cli.run(["probe", "http://127.0.0.1:9", "--profile", path], environment: secrets)
            #expect(p.status == 69, "\(file): \(p.stderr)")
        }
    }

    @Test("flags after the profile file override it; the result records the file and the overrides")
    func overrides() throws {
        let folder = cli.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/p.json"
        try Data(#"{"base": "native", "login-path": "/wrong"}"#.utf8).write(to: URL(fileURLWithPath: file))
        let r = try cli.run(["run", "--target", "http://127.0.0.1:9", "--profile", file, "--login-path", "/right"])
        #expect(r.status == 69)
        #expect(r.stderr.contains("login POST http://127.0.0.1:9/right"), "\(r.stderr)")
    }
}
