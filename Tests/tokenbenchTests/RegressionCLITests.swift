import Foundation
import Testing

/// `run --scenario`, `run --repeat`, `compare` and `report` through the real binary, on the
/// result files bundled in `Fixtures/compare` (see its README for how they were made).
@Suite("tokenbench regression runs: scenarios, compare, report")
struct RegressionCLITests {
    let cli = CLITests()

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/compare").path

    func fixture(_ name: String) -> String { Self.fixtures + "/" + name }

    @Test("compare: a regressed result exits 2 and names the metric; one within its thresholds exits 0")
    func compareOutcomes() throws {
        let regressed = try cli.run(["compare", fixture("baseline.json"), fixture("regressed.json")])
        #expect(regressed.status == 2, "\(regressed.stderr)")
        #expect(regressed.stdout.contains("REGRESSION"))
        let refreshP99 = regressed.stdout.split(separator: "\n").first { $0.contains("refresh") && $0.contains("p99") }
        #expect(refreshP99?.contains("+30.0 %") == true, "\(regressed.stdout)")
        #expect(refreshP99?.contains("REGRESSION") == true)

        let within = try cli.run(["compare", fixture("baseline.json"), fixture("within.json")])
        #expect(within.status == 0, "\(within.stdout)\(within.stderr)")
        #expect(within.stdout.contains("no regression"))

        // The regression passes when the limits are raised past it.
        let loosened = try cli.run(["compare", fixture("baseline.json"), fixture("regressed.json"),
                                    "--threshold", "refresh.p99=+35%", "--threshold", "refresh.throughput=-20%"])
        #expect(loosened.status == 0, "\(loosened.stdout)")
    }

    @Test("compare --format json: the verdict and the rows, machine-readable")
    func compareJSON() throws {
        let r = try cli.run(["compare", fixture("baseline.json"), fixture("regressed.json"), "--format", "json"])
        #expect(r.status == 2)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["regressed"] as? Bool == true)
        let rows = try #require((json["scenarios"] as? [[String: Any]])?.first?["rows"] as? [[String: Any]])
        let bad = rows.filter { $0["regressed"] as? Bool == true }.map { "\($0["name"]!).\($0["metric"]!)" }
        #expect(Set(bad) == ["refresh.p99", "refresh.throughput"])
    }

    @Test("compare: bad inputs get one line and exit 64",
          arguments: [
            (["compare", "/nonexistent/a.json", "/nonexistent/b.json"], "no such file"),
            (["compare", #filePath, #filePath], "not a tokenbench result"),
            (["compare", "BASE", "BASE", "--threshold", "p99=-5%"], "--threshold"),
            (["compare", "BASE", "BASE", "--format", "yaml"], "--format"),
            (["compare", "BASE", "BASE", "--repeat", "3"], "--repeat 3 needs 3 current runs"),
            (["compare", "BASE", "BASE", "--min-latency-delta", "fast"], "--min-latency-delta"),
          ])
    func compareBadInputs(_ arguments: [String], _ message: String) throws {
        let r = try cli.run(arguments.map { $0 == "BASE" ? fixture("baseline.json") : $0 })
        #expect(r.status == 64, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test("run --scenario: the file's settings apply, later flags override them, the result carries the scenario's name")
    func scenarioRun() throws {
        let folder = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let file = folder + "/tiny-herd.json"
        try Data("""
            {"description": "tiny", "users": 7, "duration": "1s", "think-time": "20ms", "access-ttl": "1s",
             "refresh-lead": "300ms", "concurrent-refresh-ratio": 0.5, "password-hash-cost": 8, "workers": 1}
            """.utf8).write(to: URL(fileURLWithPath: file))
        let r = try cli.run(["run", "--scenario", file, "--users", "9", "--repeat", "2", "--quiet", "--out", folder + "/out"])
        #expect(r.status == 0, "\(r.stderr)")
        for run in 1...2 {
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/out/result-\(run).json"))
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(json["scenario"] as? String == "tiny-herd")
            let config = try #require(json["config"] as? [String: Any])
            #expect(config["users"] as? Int == 9) // the command line wins
            #expect(config["concurrent-refresh-ratio"] as? Double == 0.5) // the file applies
            #expect(config["workers"] as? Int == 1)
        }
        // Two runs of one scenario: compare takes medians and accepts --repeat 2.
        let compared = try cli.run(["compare", folder + "/out", folder + "/out", "--repeat", "2"])
        #expect(compared.status == 0, "\(compared.stdout)\(compared.stderr)")
        #expect(compared.stdout.contains("tiny-herd  (2 baseline runs, 2 current runs, medians)"))
    }

    @Test("run --scenario: a bad file or setting gets one line naming the file, exit 64",
          arguments: [
            ("{\"users\": \"many\"}", "users"), ("{\"bogus-flag\": 1}", "bogus-flag"), ("[]", "JSON object"),
            ("{\"out\": \"/tmp/x\"}", "one invocation"), ("{\"store\": \"${TOKENBENCH_UNSET_VARIABLE}\"}", "TOKENBENCH_UNSET_VARIABLE"),
            ("{\"users\": 10, \"users\": 20}", "names \"users\" twice"), ("{\"users\": 10,}", "trailing comma"),
          ])
    func badScenario(_ text: String, _ message: String) throws {
        let folder = cli.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let file = folder + "/bad.json"
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        let r = try cli.run(["run", "--scenario", file, "--quiet"])
        #expect(r.status == 64, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains(file) && r.stderr.contains(message), "\(r.stderr)")
        let missing = try cli.run(["run", "--scenario", folder + "/absent.json"])
        #expect(missing.status == 64 && missing.stderr.contains("does not exist"), "\(missing.stderr)")
    }

    @Test("report: the headline table of a result set, as text and as Markdown")
    func report() throws {
        let text = try cli.run(["report", Self.fixtures])
        #expect(text.status == 0, "\(text.stderr)")
        let markdown = try cli.run(["report", Self.fixtures, "--format", "markdown"])
        #expect(markdown.status == 0)
        let lines = markdown.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("| scenario | runs | store |") == true)
        // The three fixtures are runs of one scenario: one row, three runs.
        #expect(lines.count == 3)
        #expect(lines[2].contains("| 3 | memory |"), "\(markdown.stdout)")
    }
}

extension RegressionCLITests {
    @Test("every committed scenario holds only run flags: its settings parse, the run then stops at the command line's bad --users")
    func committedScenariosAreRunFlags() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../results/scenarios").standardizedFileURL.path
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 8)
        for file in files {
            // The store URLs only need to be well-formed: validation stops the run before any connection.
            let r = try cli.run(["run", "--scenario", directory + "/" + file, "--users", "0"],
                                environment: ["TOKENBENCH_POSTGRES_URL": "postgres://x@127.0.0.1:1/x",
                                              "TOKENBENCH_REDIS_URL": "redis://127.0.0.1:1/0"])
            #expect(r.status == 64, "\(file): \(r.stderr)")
            #expect(r.stderr.hasPrefix("tokenbench: --users"), "\(file): \(r.stderr)")
        }
    }

    @Test("--scenario twice is refused")
    func scenarioTwice() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../results/scenarios/steady-refresh.json").standardizedFileURL.path
        let r = try cli.run(["run", "--scenario", file, "--scenario=\(file)"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--scenario: expected one scenario file per run"))
    }
}
