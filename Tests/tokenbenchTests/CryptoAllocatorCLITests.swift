import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import TokenAuthTesting

/// `--crypto boringssl|openssl` and the two allocators (`tokenbench`, `tokenbench-jemalloc`),
/// through the built binaries.
@Suite("Crypto backends and allocators on the command line", .serialized)
struct CryptoAllocatorCLITests {
    let cli = CLITests()

    /// `tokenbench-jemalloc`, next to `tokenbench`.
    static var jemallocBinary: URL {
        CLITests.binary.deletingLastPathComponent().appendingPathComponent("tokenbench-jemalloc")
    }

    func result(_ dir: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("result.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// A short in-process run with refreshes, on `binary`.
    func shortRun(_ binary: URL, _ extra: [String]) throws -> [String: Any] {
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try cli.run(["run", "--users", "40", "--duration", "3s", "--think-time", "20ms", "--access-ttl", "1s",
                                 "--refresh-lead", "300ms", "--session-length", "2s", "--replay-ratio", "0.2",
                                 "--concurrent-refresh-ratio", "0.2", "--password-hash", "bcrypt", "--password-hash-cost", "4",
                                 "--quiet", "--out", out] + extra, binary: binary)
        #expect(r.status == 0, "\(r.stderr)")
        return try result(out)
    }

    @Test("--crypto openssl: the in-process core signs and hashes with OpenSSL, result.json says which library", arguments: ["openssl", "boringssl"])
    func cryptoRecorded(_ crypto: String) throws {
        let json = try shortRun(CLITests.binary, ["--crypto", crypto, "--alg", "ES256"])
        let environment = try #require(json["environment"] as? [String: Any])
        let recorded = try #require(environment["crypto"] as? [String: String])
        #expect(recorded["backend"] == crypto)
        #expect(recorded["library"]?.hasPrefix(crypto == "openssl" ? "OpenSSL 3." : "swift-crypto ") == true, "\(recorded)")
        let operations = try #require(json["operations"] as? [String: [String: Any]])
        #expect((operations["refresh"]?["count"] as? Int ?? 0) > 0)
        #expect((json["invariants"] as? [String: Any])?["violations"] as? Int == 0)
    }

    @Test("bad --crypto values and misplaced --crypto: one line saying which and what is accepted, exit 64",
          arguments: [(["run", "--crypto", "libressl"], "boringssl"), (["serve", "--crypto", "nss"], "openssl"),
                      (["run", "--crypto", "openssl", "--target", "http://127.0.0.1:1"], "in-process"),
                      (["store-bench", "--crypto", "openssl", "--operation", "lookup"], "rotate"),
                      (["store-bench", "--crypto", "gnutls"], "--crypto")])
    func badCrypto(_ arguments: [String], _ named: String) throws {
        let out = cli.temporaryDirectory()
        let r = try cli.run(arguments + (arguments[0] == "run" ? ["--duration", "1s", "--out", out] : []))
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        #expect(r.stderr.contains("--crypto") && r.stderr.contains(named), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("store-bench --crypto: each rotation parses the presented token and mints its successor; no errors", arguments: ["openssl", "boringssl"])
    func storeBenchCrypto(_ crypto: String) throws {
        let r = try cli.run(["store-bench", "--store", "memory", "--operation", "rotate", "--concurrency", "1,4",
                             "--duration", "1s", "--warmup", "0s", "--crypto", crypto, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let levels = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(levels.count == 2)
        for level in levels {
            #expect((level["count"] as? Int ?? 0) > 100, "\(level)")
            #expect(level["errors"] as? Int == 0, "\(level)")
        }
    }

    @Test("serve --crypto openssl with a key directory: a run against it passes, tokens verify across backends")
    func serveOpenSSL() async throws {
        let root = cli.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let keys = try ScaleOutTests().keys(root)
        let server = try BackgroundProcess(CLITests.binary.path, [
            "serve", "--port", "0", "--users", "100", "--alg", "ES256", "--access-ttl", "2s", "--password-hash-cost", "4",
            "--password-hash", "bcrypt", "--crypto", "openssl", "--keys", keys.dir, "--refresh-secret-file", keys.secret,
        ], ready: "tokenbench serve: listening on", timeout: 60)
        defer { server.stop() }
        #expect(server.readyLine.contains("crypto: openssl"), "\(server.readyLine)")
        let url = try #require(server.readyLine.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
        let out = "\(root)/run"
        // 6 s: a replay needs a token two rotations old (the grace window, 10 s, is longer than
        // the run), so the third refresh of a user, after about 3.75 s, is the first that can
        // carry one; on a loaded machine 4 s once ended inconclusive.
        let r = try cli.run(["run", "--target", url, "--profile", "native", "--grace", "10s", "--leeway", "30s", "--refresh-ttl", "1h", "--users", "50",
                             "--duration", "6s", "--think-time", "50ms", "--refresh-lead", "500ms", "--access-ttl", "2s",
                             "--replay-ratio", "0.1", "--concurrent-refresh-ratio", "0.2", "--quiet", "--out", out])
        let json = try result(out)
        #expect(r.status == 0, "\(r.stderr) \(json["inconclusive"] ?? "") \(json["verdict"] ?? "")")
        #expect((json["environment"] as? [String: Any])?["crypto"] == nil, "an HTTP server's library is not the driver's to record")
        #expect((json["invariants"] as? [String: Any])?["violations"] as? Int == 0)
        let operations = try #require(json["operations"] as? [String: [String: Any]])
        #expect((operations["refresh"]?["count"] as? Int ?? 0) > 0)
    }

    /// A memory-store `serve` on a free port, and its URL.
    static func serve() throws -> (BackgroundProcess, String) {
        let server = try BackgroundProcess(CLITests.binary.path, [
            "serve", "--port", "0", "--users", "100", "--access-ttl", "2s", "--password-hash", "bcrypt", "--password-hash-cost", "4",
        ], ready: "tokenbench serve: listening on", timeout: 60)
        guard let url = server.readyLine.split(separator: " ").first(where: { $0.hasPrefix("http://") }).map(String.init) else {
            server.stop()
            throw CocoaError(.coderReadCorrupt, userInfo: [NSDebugDescriptionErrorKey: "no URL in serve's line: \(server.readyLine)"])
        }
        return (server, url)
    }

    @Test("CPU per operation: --target-pid reads the server's CPU from /proc over the measured window, each side pinned to its own core; a pid that is not there is refused")
    func cpuPerOperation() throws {
        let (server, url) = try Self.serve()
        defer { server.stop() }
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        try #require(ProcessInfo.processInfo.processorCount >= 2, "this machine has 2 cores: one for the driver, one for the server")
        let r = try cli.run(["run", "--target", url, "--users", "20", "--duration", "3s", "--think-time", "20ms", "--target-pid", String(server.pid),
                             "--driver-cpus", "1", "--target-cpus", "0", "--out", out])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("cpu: tokenbench ") && r.stdout.contains("; target pid \(server.pid) "), "\(r.stdout)")
        // Each side on its own core: the server's threads as /proc says, and as the result records.
        let status = try String(contentsOfFile: "/proc/\(server.pid)/status", encoding: .utf8)
        #expect(status.contains("Cpus_allowed_list:\t0\n"), "\(status)")
        let cpus = try #require((try result(out)["environment"] as? [String: Any])?["cpus"] as? [String: String])
        #expect(cpus == ["tokenbench": "1", "target": "0"], "\(cpus)")
        #expect(r.stdout.contains("cores: tokenbench on cores 1; target on 0 (of "), "\(r.stdout)")
        for (args, needle) in [(["--target-cpus", "0"], "--target-cpus: needs --target-pid"), (["--driver-cpus", "1-99"], "--driver-cpus: expected a list of this machine's cores"),
                               (["--driver-cpus", "x"], "--driver-cpus: expected")] {
            let bad = try cli.run(["run", "--users", "2", "--duration", "1s"] + args)
            #expect(bad.status == 64 && bad.stderr.contains(needle), "\(args): \(bad.stderr)")
        }
        let cpu = try #require(try result(out)["cpu"] as? [String: Any])
        let operations = try #require(cpu["operations"] as? Int)
        let target = try #require(cpu["target"] as? [String: Any])
        let seconds = try #require(target["cpu_s"] as? Double)
        // The server did work for every request: some CPU, and the figures are its quotients.
        #expect(operations > 100 && seconds > 0, "\(cpu)")
        let perOperation = try #require(target["us_per_operation"] as? Double)
        #expect(abs(perOperation - seconds * 1e6 / Double(operations)) <= 0.01 + perOperation * 0.001, "\(target)")
        #expect(target["processes"] as? Int == 1 && target["name"] as? String == "pid \(server.pid)")
        let missing = try cli.run(["run", "--users", "2", "--duration", "1s", "--store-pid", "2147483000"])
        #expect(missing.status == 64 && missing.stderr.contains("--store-pid: expected the id of a running process"), "\(missing.stderr)")
    }

    /// utime + stime of `/proc/PID/stat` (proc(5): fields 14 and 15), seconds at 100 ticks/s.
    static func procCPUSeconds(_ pid: Int32) throws -> Double {
        let text = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = text[text.index(after: try #require(text.lastIndex(of: ")")))...].split(separator: " ")
        return (Double(fields[11])! + Double(fields[12])!) / 100
    }

    @Test("serve's /metrics exports the standard process metrics, its CPU what /proc says; --target-metrics reads it for the server's CPU per operation")
    func targetMetrics() async throws {
        let (server, url) = try Self.serve()
        defer { server.stop() }
        let out = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let before = try Self.procCPUSeconds(server.pid)
        let r = try cli.run(["run", "--target", url, "--users", "20", "--duration", "3s", "--think-time", "20ms",
                             "--target-metrics", url + "/metrics", "--out", out])
        let after = try Self.procCPUSeconds(server.pid)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let cpu = try #require(try result(out)["cpu"] as? [String: Any])
        let target = try #require(cpu["target"] as? [String: Any])
        #expect(target["name"] as? String == "process_cpu_seconds_total of \(url)/metrics" && target["processes"] as? Int == 1, "\(target)")
        // The measured window is inside the whole run (preflight and scrapes included), and the
        // server worked through it.
        let seconds = try #require(target["cpu_s"] as? Double)
        #expect(seconds > 0 && seconds <= after - before + 0.02, "metrics \(seconds) s, /proc over the whole run \(after - before) s")
        // The exporter against the ground truth: the counter a scrape renders is /proc's figure
        // at that instant (at 100 ticks a second; the scrape itself costs a tick or two).
        let (text, _) = try await Self.get(url + "/metrics")
        let proc = try Self.procCPUSeconds(server.pid)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("process_cpu_seconds_total ") })
        let exported = try #require(Double(line.split(separator: " ")[1]))
        #expect(exported <= proc + 0.005 && exported >= proc - 0.03, "exported \(exported) s, /proc \(proc) s")
        for name in ["# TYPE process_cpu_seconds_total counter", "process_resident_memory_bytes ", "process_virtual_memory_bytes ",
                     "process_open_fds ", "process_max_fds ", "process_start_time_seconds "] {
            #expect(text.contains("\n" + name) || text.hasPrefix(name), "\(name) in \(text.prefix(2000))")
        }
        let start = try #require(text.split(separator: "\n").first { $0.hasPrefix("process_start_time_seconds ") }.flatMap { Double($0.split(separator: " ")[1]) })
        #expect(abs(start - Date().timeIntervalSince1970) < 600, "started within the test: \(start)")
        // A wrong endpoint fails before the run: one line, exit 69, nothing written.
        let wrong = cli.temporaryDirectory()
        let bad = try cli.run(["run", "--target", url, "--users", "2", "--duration", "1s", "--target-metrics", url + "/healthz", "--out", wrong])
        #expect(bad.status == 69 && bad.stderr.contains("--target-metrics \(url)/healthz: no process_cpu_seconds_total"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: wrong + "/result.json"))
        for (args, needle) in [(["--target-metrics", "ftp://h/m"], "--target-metrics: expected"),
                               (["--target-metrics", url + "/metrics", "--target-pid", String(server.pid)], "not with --target-pid")] {
            let x = try cli.run(["run", "--target", url, "--users", "2", "--duration", "1s"] + args)
            #expect(x.status == 64 && x.stderr.contains(needle), "\(args): \(x.stderr)")
        }
        let inProcess = try cli.run(["run", "--users", "2", "--duration", "1s", "--target-metrics", url + "/metrics"])
        #expect(inProcess.status == 64 && inProcess.stderr.contains("applies to an HTTP target"), "\(inProcess.stderr)")
    }

    static func get(_ url: String) async throws -> (String, Int) {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return (String(buffer: body), Int(response.status.code))
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test("tokenbench-jemalloc runs on jemalloc: the allocator is recorded, the timeline samples mallctl's statistics")
    func jemalloc() throws {
        let json = try shortRun(Self.jemallocBinary, [])
        let allocator = try #require((json["environment"] as? [String: Any])?["allocator"] as? [String: String])
        #expect(allocator["name"] == "jemalloc")
        #expect(allocator["version"]?.hasPrefix("5.") == true, "\(allocator)")
        let timeline = try #require(json["timeline"] as? [[String: Any]])
        #expect(timeline.count == 3)
        for entry in timeline {
            let memory = try #require(entry["memory"] as? [String: Int], "\(entry)")
            let resident = memory["resident_bytes"] ?? 0, allocated = memory["allocated_bytes"] ?? 0
            let active = memory["active_bytes"] ?? 0, jemallocResident = memory["allocator_resident_bytes"] ?? 0
            // jemalloc's own invariants: allocated ≤ active ≤ its resident ≤ the process's resident.
            #expect(allocated > 0 && allocated <= active && active <= jemallocResident && jemallocResident <= resident, "\(memory)")
        }
        let memory = try #require(json["memory"] as? [String: Any])
        #expect((memory["peak_allocated_bytes"] as? Int ?? 0) > 0)
        #expect((memory["peak_resident_bytes"] as? Int ?? 0) >= (memory["baseline_resident_bytes"] as? Int ?? .max))
        #expect((memory["bytes_per_user"] as? Double ?? -1) >= 0)
    }

    @Test("tokenbench runs on glibc's malloc: recorded as such, resident size sampled, no jemalloc statistics")
    func glibc() throws {
        let json = try shortRun(CLITests.binary, [])
        let allocator = try #require((json["environment"] as? [String: Any])?["allocator"] as? [String: String])
        #expect(allocator["name"] == "glibc")
        #expect(allocator["version"]?.hasPrefix("2.") == true, "\(allocator)")
        let timeline = try #require(json["timeline"] as? [[String: Any]])
        for entry in timeline {
            let memory = try #require(entry["memory"] as? [String: Int])
            #expect((memory["resident_bytes"] ?? 0) > 1_000_000)
            #expect(memory["allocated_bytes"] == nil)
        }
        let memory = try #require(json["memory"] as? [String: Any])
        #expect(memory["peak_allocated_bytes"] == nil)
    }
}
