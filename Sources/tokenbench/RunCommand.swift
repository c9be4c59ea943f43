import ArgumentParser
import Foundation
import TokenAuth
import TokenLoad

import Synchronization

#if canImport(Glibc)
import Glibc
#endif

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
    @OptionGroup var output: OutputOptions

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
        let configuration = try load.configuration()
        let slos = try output.slos()
        let spec = try storeOptions.spec()
        if configuration.target != "in-process", spec != .memory || storeOptions.storeConnections != nil {
            throw ValidationError("--store: applies to the in-process target only (a server picks its own: tokenbench serve --store)")
        }
        if try sweepLevels() != nil {
            guard configuration.target == "in-process" else {
                throw ValidationError("--sweep-concurrency: applies to the in-process target only (it records store operations)")
            }
            guard configuration.model == .closed else {
                throw ValidationError("--sweep-concurrency: levels are virtual users of the closed model; omit --rate")
            }
        }
        if configuration.target.hasPrefix("http") {
            _ = try http.target(url: configuration.target, users: configuration.users, accessTTL: configuration.accessTTL ?? 300)
            _ = try http.credentials()
        } else if http.profileFile != nil || http.caCertificate != nil || http.insecure || !http.headers.isEmpty {
            throw ValidationError("--profile, --cacert, --insecure, --header: apply to HTTP targets only (--target http://… or https://…)")
        }
        if configuration.target != "in-process", let phase = slos.first(where: { Operation(rawValue: $0.operation) == nil }) {
            throw ValidationError("--slo: phases such as '\(phase.operation)' are measured only with --target in-process")
        }
        if let out = output.out {
            if out.isEmpty { throw ValidationError("--out: expected a directory path (got an empty string)") }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw ValidationError("--out: expected a directory path (got the file '\(out)')")
            }
        }
    }

    /// Creates the result directory before the run, so an unusable path fails at once (exit 64)
    /// instead of after the whole run.
    private func prepareOutput() throws -> URL? {
        guard let out = output.out else { return nil }
        let url = URL(fileURLWithPath: out)
        let probe = url.appendingPathComponent(".tokenbench-write-check")
        let existed = FileManager.default.fileExists(atPath: out)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try Data().write(to: probe)
            try? FileManager.default.removeItem(at: probe)
            // Results of an earlier run in this directory would join this run's in compare's
            // medians: they go.
            for name in (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
            where name == "result.json" || (name.hasPrefix("result-") && name.hasSuffix(".json")) {
                try FileManager.default.removeItem(at: url.appendingPathComponent(name))
            }
        } catch {
            if !existed { try? FileManager.default.removeItem(at: url) }
            throw ValidationError("--out: expected a writable directory path (cannot write into '\(out)')")
        }
        return url
    }

    /// An in-process run (or sweep) over `store`.
    func runInProcess<Store: RefreshTokenStore>(
        _ configuration: LoadConfiguration, store: Store, backend: String, statistics: StoreStatistics?,
        slos: [SLO], progress: @escaping @Sendable (ProgressSnapshot) -> Void
    ) async throws -> RunResult {
        let levels = try sweepLevels()
        var prepared = configuration
        prepared.users = max(configuration.users, levels?.max() ?? 0)
        let phases = PhaseRecorder(stripes: configuration.workers)
        let target: InProcessTarget<Store, InMemoryUserDirectory>
        do {
            target = try await InProcessTarget.make(prepared, store: store, phases: phases)
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
        return await driver.run(progress: progress)
    }

    func run() async throws {
        var configuration = try load.configuration()
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

        let httpTarget = try await prepareHTTPTarget(&configuration)
        let outputDirectory: URL?
        do {
            outputDirectory = try prepareOutput()
        } catch {
            if let httpTarget { await httpTarget.shutdown() }
            throw error
        }
        let scenarioName = scenario.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
        var verdicts: [String] = []
        for run in 1...repeatCount {
            if repeatCount > 1, !quiet {
                FileHandle.standardError.write(Data("run \(run) of \(repeatCount)\n".utf8))
            }
            var result: RunResult
            do {
                result = try await runOnce(configuration, httpTarget: httpTarget, slos: slos, quiet: quiet, progress: progress)
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
                throw ExitCode(69)
            }
            print(ConsoleReport.render(result))
            if let outputDirectory {
                let file = outputDirectory.appendingPathComponent(repeatCount == 1 ? "result.json" : "result-\(run).json")
                try result.jsonData().write(to: file)
                print("result: \(file.path)")
            }
            verdicts.append(result.verdict)
        }
        if let httpTarget { await httpTarget.shutdown() }
        if verdicts.contains("invariant_violation") { throw ExitCode(1) }
        if verdicts.contains("inconclusive") { throw ExitCode(3) }
        if verdicts.contains("slo_breach") { throw ExitCode(2) }
    }

    /// An HTTP target, after its preflight (``Preflight``): the session through every endpoint
    /// the run will use. What the preflight learned of the server (the access-token lifetime,
    /// a JWS refresh token's lifetime) goes into `configuration`. `nil` for other targets.
    /// - Throws: `ExitCode(69)` when the server refuses or is not there, `ExitCode(64)` when the
    ///   settings cannot work (a certificate that does not verify, a lifetime nobody gave, a
    ///   refresh lead longer than the server's access tokens live), each after one line.
    private func prepareHTTPTarget(_ configuration: inout LoadConfiguration) async throws -> HTTPTarget? {
        guard configuration.target.hasPrefix("http") else { return nil }
        var (target, description) = try http.target(url: configuration.target, users: configuration.users,
                                                    accessTTL: configuration.accessTTL ?? 300)
        let findings: Preflight.Findings
        switch await Preflight.run(target, credentials: try http.credentials(), accessTTL: configuration.accessTTL) {
        case .success(let f): findings = f
        case .failure(let failure):
            await target.shutdown()
            FileHandle.standardError.write(Data("tokenbench: preflight: \(failure.message)\n".utf8))
            throw ExitCode(failure.exitCode)
        }
        target.defaultExpiresIn = findings.accessLifetime
        configuration.accessTTL = findings.accessLifetime
        description.accessLifetimeSource = findings.accessLifetimeSource
        if configuration.refreshTTL != nil {
            description.refreshLifetimeSource = "--refresh-ttl"
        } else if let lifetime = findings.refreshLifetime {
            configuration.refreshTTL = lifetime
            description.refreshLifetimeSource = "jwt"
        } else {
            description.refreshLifetimeSource = "unknown"
        }
        configuration.http = description
        if configuration.refreshLead >= findings.accessLifetime {
            await target.shutdown()
            FileHandle.standardError.write(Data(
                "tokenbench: --refresh-lead: expected a duration below the server's access-token lifetime (\(ConsoleReport.fmt(findings.accessLifetime)) s, from \(findings.accessLifetimeSource))\n".utf8))
            throw ExitCode(64)
        }
        return target
    }

    /// Removes a result directory that holds nothing (this run made it and wrote nothing).
    static func removeIfEmpty(_ directory: URL) {
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: directory.path), entries.isEmpty {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// One run of `configuration` against the chosen target.
    private func runOnce(
        _ configuration: LoadConfiguration, httpTarget: HTTPTarget?, slos: [SLO], quiet: Bool,
        progress: @escaping @Sendable (ProgressSnapshot) -> Void
    ) async throws -> RunResult {
        let result: RunResult
        switch configuration.target {
        case "noop":
            result = await LoadDriver(configuration: configuration, target: NoOpTarget(expiresIn: configuration.accessTTL ?? 3600),
                                      slos: slos).run(progress: progress)
        case _ where httpTarget != nil:
            result = await LoadDriver(configuration: configuration, target: httpTarget!, slos: slos,
                                      credentials: try http.credentials()).run(progress: progress)
        default:
            if !quiet {
                FileHandle.standardError.write(Data(
                    "preparing \(max(configuration.users, try sweepLevels()?.max() ?? 0)) synthetic users (\(configuration.passwordAlgorithm) hashes, not measured)\n".utf8))
            }
            if try storeOptions.spec() == .memory {
                result = try await runInProcess(configuration, store: MemoryRefreshTokenStore(), backend: "memory",
                                                statistics: nil, slos: slos, progress: progress)
            } else {
                let opened = try await storeOptions.open()
                do {
                    result = try await runInProcess(configuration, store: opened.store, backend: opened.backend,
                                                    statistics: opened.statistics, slos: slos, progress: progress)
                } catch {
                    await opened.close()
                    throw error
                }
                await opened.close()
            }
        }
        return result
    }
}

/// The progress lines' running interval, shared by the driver's once-a-second callbacks.
final class ProgressBox: Sendable {
    let state = Mutex(ProgressInterval())
}
