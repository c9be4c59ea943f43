import ArgumentParser
import Foundation
import TokenAuth
import TokenLoad

import Synchronization

#if canImport(Glibc)
import Glibc
#endif
import TokenResults
import TokenReport
import TokenHTTPClient
import TokenProbe

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run virtual users through login → use → expiry → refresh → logout and measure.")

    @Option(help: ArgumentHelp("A scenario file (JSON of run flags, e.g. results/scenarios/steady-refresh.json); flags given after it override the file's.", valueName: "file"))
    var scenario: String?
    @Option(name: .customLong("repeat"), help: "Run this many times (3 or more for a median that ignores one noisy run); with --out, results go to result-1.json … result-N.json, earlier results in that directory are removed.")
    var repeatCount: Int = 1
    @OptionGroup var load: LoadOptions
    @OptionGroup(title: "HTTP target") var http: HTTPOptions
    @OptionGroup(title: "Store (in-process target)") var storeOptions: StoreOptions
    @Option(name: .customLong("sweep-concurrency"),
            help: ArgumentHelp("Run once per concurrency level (virtual users), e.g. 1,2,4,8,16,32,64,128,256, and record the store's contention curve.", valueName: "levels"))
    var sweepConcurrency: String?
    @Option(help: ArgumentHelp("Drive shard I of N of the run (0-based): users ⌊U·I/N⌋ ..< ⌊U·(I+1)/N⌋ under the whole run's schedule, so that N shards' results merge (tokenbench merge) into exactly the unsharded run. N alone takes I from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).", valueName: "I/N"))
    var shard: String?
    @Option(name: .customLong("start-at"), help: ArgumentHelp("Start the load at this instant, RFC 3339 (2026-12-02T04:00:00Z) or Unix seconds, so that shards on several machines start together; it must lie ahead, after the set-up (preflight, users).", valueName: "time"))
    var startAt: String?
    @OptionGroup var output: OutputOptions

    /// `--shard`, parsed (`JOB_COMPLETION_INDEX` supplies a missing index).
    /// - Throws: `ValidationError` for a spec out of range.
    func shardSpec() throws -> LoadConfiguration.Shard? {
        guard let shard else { return nil }
        do throws(ConfigurationError) {
            return try LoadConfiguration.Shard(parsing: shard, index: ProcessInfo.processInfo.environment["JOB_COMPLETION_INDEX"])
        } catch {
            throw ValidationError("\(error.setting): expected \(error.accepted)")
        }
    }

    /// `--start-at` as Unix seconds.
    /// - Throws: `ValidationError` for an unparsable instant, one in the past or more than a day ahead.
    func startInstant() throws -> Double? {
        guard let startAt else { return nil }
        guard let t = StartInstant.parse(startAt) else {
            throw ValidationError("--start-at: expected an RFC 3339 time such as 2026-12-02T04:00:00Z or Unix seconds (got '\(startAt)')")
        }
        let now = Date().timeIntervalSince1970
        guard t > now else {
            throw ValidationError("--start-at: expected an instant ahead (got \(StartInstant.format(t)), \(Units.figure(now - t)) s in the past)")
        }
        guard t <= now + 86_400 else {
            throw ValidationError("--start-at: expected an instant within 24 h (got \(StartInstant.format(t)))")
        }
        return t
    }

    /// The sweep's levels, if any.
    /// - Throws: `ValidationError` for a malformed list.
    func sweepLevels() throws -> [Int]? {
        guard let text = sweepConcurrency else { return nil }
        return try Flags.levels(text, "--sweep-concurrency", 1...100_000)
    }

    func validate() throws {
        guard (1...100).contains(repeatCount) else {
            throw ValidationError("--repeat: expected an integer 1 ... 100 (got \(repeatCount))")
        }
        var configuration = try load.configuration()
        configuration.shard = try shardSpec()
        do throws(ConfigurationError) { try configuration.validate() } catch {
            throw ValidationError("\(error.setting): expected \(error.accepted)")
        }
        let slos = try output.slos()
        try validateTargetFlags(configuration, store: storeOptions, http: http, slos: slos, output: output)
        _ = try startInstant()
        if shard != nil || startAt != nil {
            if repeatCount > 1 { throw ValidationError("--repeat: one run per shard (--shard, --start-at): repeat the sharded run instead") }
            if sweepConcurrency != nil { throw ValidationError("--sweep-concurrency: cannot be sharded (--shard, --start-at)") }
        }
        if load.core.crypto != nil, configuration.target != "in-process" {
            throw ValidationError("--crypto: applies to the in-process target (an HTTP server computes with its own library: give it to serve)")
        }
        if try sweepLevels() != nil {
            if !(configuration.faults ?? []).isEmpty { throw ValidationError("--fault: not with --sweep-concurrency (a fault belongs to one run's timeline)") }
            guard configuration.target == "in-process" else {
                throw ValidationError("--sweep-concurrency: applies to the in-process target only (it records store operations)")
            }
            guard configuration.model == .closed else {
                throw ValidationError("--sweep-concurrency: levels are virtual users of the closed model; omit --rate")
            }
        }
    }

    /// An in-process run (or sweep) over `store`.
    func runInProcess<Store: RefreshTokenStore>(
        _ configuration: LoadConfiguration, store: Store, backend: String, statistics: StoreStatistics?,
        slos: [SLO], startAt: Double? = nil, progress: @escaping @Sendable (ProgressSnapshot) -> Void
    ) async throws -> RunResult {
        let injected = (configuration.faults ?? []).filter(\.isInjected)
        if !injected.isEmpty {
            // The fault-injecting store wrapper goes around the real store (not a mock of one).
            let schedule = FaultSchedule(injected)
            return try await runInProcess(configuration, store: FaultInjectingStore(store, schedule: schedule), backend: backend,
                                          statistics: statistics, slos: slos, startAt: startAt, faults: schedule, progress: progress)
        }
        return try await runInProcess(configuration, store: store, backend: backend, statistics: statistics, slos: slos,
                                      startAt: startAt, faults: nil, progress: progress)
    }

    private func runInProcess<Store: RefreshTokenStore>(
        _ configuration: LoadConfiguration, store: Store, backend: String, statistics: StoreStatistics?,
        slos: [SLO], startAt: Double?, faults: FaultSchedule?, progress: @escaping @Sendable (ProgressSnapshot) -> Void
    ) async throws -> RunResult {
        let levels = try sweepLevels()
        var prepared = configuration
        prepared.users = max(configuration.users, levels?.max() ?? 0)
        let phases = PhaseRecorder(stripes: configuration.workers)
        let target: InProcessTarget<Store, InMemoryUserDirectory>
        do {
            target = try await InProcessTarget.make(prepared, store: store, phases: phases, crypto: load.core.cryptoBackend,
                                                      lanes: backend != "memory")
        } catch let error as ConfigurationError {
            throw ValidationError("\(error.setting): expected \(error.accepted)")
        }
        if let levels {
            let quiet = output.quiet
            return await ConcurrencySweep(configuration: configuration, levels: levels, target: target, phases: phases,
                                          store: (backend: backend, statistics: statistics), slos: slos).run { level, p in
                if !quiet, p.elapsed >= p.total {
                    FileHandle.standardError.write(Data("concurrency \(level): \(ConsoleReport.progressLine(p))\n".utf8))
                }
            }
        }
        var driver = LoadDriver(configuration: configuration, target: target, phases: phases, slos: slos)
        driver.store = (backend: backend, statistics: statistics)
        driver.faultSchedule = faults
        driver.spoolIntervals = true
        return await driver.run(startAt: startAt, progress: progress)
    }

    func run() async throws {
        var configuration = try load.configuration()
        configuration.shard = try shardSpec()
        let startAt = try startInstant()
        let slos = try output.slos()
        let interactive = isatty(STDERR_FILENO) == 1
        let quiet = output.quiet
        // A line every second on a terminal, else every 5 s; each covers its whole interval.
        let interval = ProgressBox()
        let progress: @Sendable (ProgressSnapshot) -> Void = { p in
            guard !quiet else { return }
            let due = interactive || Int(p.elapsed.rounded()) % 5 == 0 || p.elapsed >= p.total
            guard let line = interval.state.withLock({ $0.add(p, print: due) }) else { return }
            FileHandle.standardError.write(Data((interactive ? "\r\u{1B}[2K\(line)" : "\(line)\n").utf8))
        }

        try load.pinProcesses()
        let httpTarget = try await http.prepareTarget(&configuration)
        let outputDirectory: URL?
        do {
            outputDirectory = try output.prepareDirectory {
                $0 == "result.json" || $0 == "report.html" || ($0.hasPrefix("result-") && $0.hasSuffix(".json"))
                    || ($0.hasPrefix("latency") && $0.hasSuffix(".hlog"))
            }
        } catch {
            if let httpTarget { await httpTarget.shutdown() }
            throw error
        }
        let scenarioName = scenario.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
        var verdicts: [Verdict] = []
        var results: [RunResult] = []
        for run in 1...repeatCount {
            if repeatCount > 1, !quiet {
                FileHandle.standardError.write(Data("run \(run) of \(repeatCount)\n".utf8))
            }
            var result: RunResult
            do {
                if let startAt, Date().timeIntervalSince1970 > startAt {
                    // The set-up (preflight, synthetic users) took past the common start: this
                    // shard would start late, alone.
                    throw ValidationError("--start-at: \(StartInstant.format(startAt)) passed during the set-up; give a later instant")
                }
                ProcessMemory.markBaseline()
                result = try await runOnce(configuration, httpTarget: httpTarget, slos: slos, quiet: quiet, startAt: startAt, progress: progress)
                result.shard?.startAtUnixS = startAt
            } catch {
                if let httpTarget { await httpTarget.shutdown() }
                throw error
            }
            result.scenario = scenarioName
            if interactive && !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
            if let aborted = result.aborted {
                // The profile is wrong, not the server: no result, one line, exit 69.
                if let httpTarget { await httpTarget.shutdown() }
                if let outputDirectory { Self.removeIfEmpty(outputDirectory) }
                FileHandle.standardError.write(Data("tokenbench: \(aborted.message)\n".utf8))
                throw ExitCode(Verdict.unreachable.exitCode)
            }
            print(ConsoleReport.render(result))
            if let outputDirectory {
                let file = outputDirectory.appendingPathComponent(repeatCount == 1 ? "result.json" : "result-\(run).json")
                try writeAtomically(try result.jsonData(), to: file)
                print("result: \(file.path)")
                if let log = result.intervalLog {
                    let hlog = outputDirectory.appendingPathComponent(repeatCount == 1 ? "latency.hlog" : "latency-\(run).hlog")
                    try writeAtomically(Data(log.text().utf8), to: hlog)
                    print("interval log: \(hlog.path)")
                }
            }
            verdicts.append(result.verdict)
            results.append(result)
        }
        if let outputDirectory {
            // One run: its report; repeated runs: one page with them side by side.
            let html = results.count == 1 ? HTMLReport.run(results[0])
                : HTMLReport.runs(results.enumerated().map { ("run \($0.offset + 1)", $0.element) },
                                  title: "TokenBench: \(results.count) runs of \(scenarioName ?? configuration.target)")
            let file = outputDirectory.appendingPathComponent("report.html")
            try writeAtomically(Data(html.utf8), to: file)
            print("report: \(file.path)")
        }
        if let httpTarget { await httpTarget.shutdown() }
        // A violation in any run is a finding; an inconclusive run shows neither a breach nor
        // its absence (Verdict.combined).
        try Verdict.combined(verdicts).exitUnlessPass()
    }

    /// Removes a result directory that holds nothing (this run made it and wrote nothing).
    static func removeIfEmpty(_ directory: URL) {
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: directory.path), entries.isEmpty {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// One run of `configuration` against the chosen target.
    private func runOnce(
        _ configuration: LoadConfiguration, httpTarget: HTTPTarget?, slos: [SLO], quiet: Bool, startAt: Double?,
        progress: @escaping @Sendable (ProgressSnapshot) -> Void
    ) async throws -> RunResult {
        let result: RunResult
        switch configuration.target {
        case "noop":
            var driver = LoadDriver(configuration: configuration, target: NoOpTarget(expiresIn: configuration.accessTTL ?? 3600), slos: slos)
            driver.spoolIntervals = true
            result = await driver.run(startAt: startAt, progress: progress)
        case let spec where spec.hasPrefix("simulated:"):
            let target = SimulatedTarget(spec: spec, expiresIn: configuration.accessTTL ?? 3600)!
            var driver = LoadDriver(configuration: configuration, target: target, slos: slos)
            driver.spoolIntervals = true
            result = await driver.run(startAt: startAt, progress: progress)
        case _ where httpTarget != nil:
            var driver = LoadDriver(configuration: configuration, target: httpTarget!, slos: slos, credentials: try http.credentials())
            driver.spoolIntervals = true
            result = await driver.run(startAt: startAt, progress: progress)
        default:
            if !quiet {
                FileHandle.standardError.write(Data(
                    "preparing \(max(configuration.users, try sweepLevels()?.max() ?? 0)) synthetic users (\(configuration.passwordAlgorithm) hashes, not measured)\n".utf8))
            }
            if try storeOptions.spec() == .memory {
                result = try await runInProcess(configuration, store: MemoryRefreshTokenStore(), backend: "memory",
                                                statistics: nil, slos: slos, startAt: startAt, progress: progress)
            } else {
                result = try await storeOptions.withOpened { opened in
                    try await runInProcess(configuration, store: opened.store, backend: opened.backend,
                                           statistics: opened.statistics, slos: slos, startAt: startAt, progress: progress)
                }
            }
        }
        return result
    }
}

/// The progress lines' running interval, shared by the driver's once-a-second callbacks.
final class ProgressBox: Sendable {
    let state = Locked(ProgressInterval())
}
