import ArgumentParser
import Foundation
import TokenAuth
import TokenLoad

#if canImport(Glibc)
import Glibc
#endif
import TokenResults
import TokenReport
import TokenHTTPClient
import TokenProbe

/// `tokenbench capacity`: the highest arrival rate at which every SLO holds, in one command.
struct CapacityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
        abstract: "Find the highest arrival rate (open model) at which every --slo holds, and confirm it.",
        discussion: """
            The rate searched is --rate's arrivals (each a resource call), or with --for refresh the refresh \
            arrivals themselves (resource calls held at --rate access=N): the answer is then N refreshes/s. \
            Doubles the rate from --start-rate until a step fails, bisects between the last pass and the first \
            failure down to --precision, then runs --confirm steps at the answer (a failed confirmation steps \
            down by the precision and confirms again). Each step is its own run with its own warm-up, judged \
            on its own window: it passes when every SLO holds and at least 99 % of the intended arrivals were \
            served. A step the driver itself could not deliver (its scheduling lag over --max-lag) is \
            generator-bound and ends the search as inconclusive. Takes every run flag; --rate, --duration and \
            --warmup set the defaults of --start-rate, --step-duration and --step-warmup. \
            Exit codes: 0 capacity found; 1 an invariant violation; 2 not even the start rate passes; \
            3 inconclusive (generator-bound, or still passing at --max-rate); 64 invalid flags; 69 a target \
            or store missing or refusing.
            """)

    @Option(help: ArgumentHelp("A scenario file (JSON of run flags); flags given after it override the file's.", valueName: "file"))
    var scenario: String?
    @OptionGroup var load: LoadOptions
    @OptionGroup(title: "HTTP target") var http: HTTPOptions
    @OptionGroup(title: "Store (in-process target)") var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @Option(name: .customLong("start-rate"), help: "The first rate tried, operations per second (default: --rate, else 100).")
    var startRate: Double?
    @Option(name: .customLong("max-rate"), help: "The highest rate tried; still passing there, the answer is 'at least' (exit 3).")
    var maxRate: Double = 1_000_000
    @Option(name: .customLong("step-duration"), help: "Each step's measured window (default: --duration, else 10s).")
    var stepDuration: String?
    @Option(name: .customLong("step-warmup"), help: "Each step's warm-up before its window (default: --warmup if given, else 3s).")
    var stepWarmup: String?
    @Option(help: "Bisect until the last pass and the first failure are this close (e.g. 5%, 0.05).")
    var precision: String = "5%"
    @Option(help: "Confirmation steps at the answer, all of which must pass.")
    var confirm: Int = 3
    @Option(name: .customLong("for"), help: ArgumentHelp("What rate is searched: 'arrivals' (default: --rate's arrivals, each a resource call, the refreshes following from the token lifetime) or 'refresh' (refresh arrivals, with resource calls held at --rate access=N if given): the answer is then N refreshes/s.", valueName: "operation"))
    var searched: String = "arrivals"

    /// The search settings, checked.
    func settings() throws -> CapacitySettings {
        let warmupGiven = (try? Flags.seconds(load.warmup, "--warmup")).map { $0 > 0 } ?? false
        guard ["arrivals", "refresh"].contains(searched) else { throw ValidationError("--for: expected arrivals or refresh (got '\(searched)')") }
        let given = try load.configuration()
        if searched == "arrivals", given.refreshRate != nil {
            throw ValidationError("--rate: refresh=N searches the refresh rate: add --for refresh")
        }
        let s = CapacitySettings(
            startRate: startRate ?? (searched == "refresh" ? given.refreshRate : given.rate) ?? 100, maxRate: maxRate,
            stepDuration: try Flags.seconds(stepDuration ?? load.duration ?? "10s", "--step-duration"),
            stepWarmup: try Flags.seconds(stepWarmup ?? (warmupGiven ? load.warmup : "3s"), "--step-warmup"),
            precision: try Flags.ratio(precision, "--precision"), confirm: confirm,
            operation: searched == "refresh" ? "refresh" : nil)
        do throws(SettingError) { try s.validate() } catch {
            throw ValidationError("\(error.setting): expected \(error.accepted)")
        }
        return s
    }

    /// The shared settings with the first step's rate, checked as a run's.
    func baseConfiguration(_ settings: CapacitySettings) throws -> LoadConfiguration {
        if load.stages != nil { throw ValidationError("--stages: not with capacity (it sets the rate of each step itself)") }
        var c = try load.configuration()
        let search = CapacitySearch(configuration: c, settings: settings, slos: [], judgesDriverLag: true)
        for (rate, flag) in [(settings.startRate, "--start-rate"), (settings.maxRate, "--max-rate")] {
            do throws(ConfigurationError) {
                try search.stepConfiguration(rate: rate).validate()
            } catch {
                // The step's rate is the search's: name the flag that set it.
                let accepted = error.accepted.replacingOccurrences(of: "refresh=N with N", with: "a refresh rate")
                throw ValidationError("\(error.setting == "--rate" ? flag : error.setting): expected \(accepted)")
            }
        }
        c = search.stepConfiguration(rate: settings.startRate)
        return c
    }

    func validate() throws {
        let settings = try settings()
        let c = try baseConfiguration(settings)
        if !(c.faults ?? []).isEmpty { throw ValidationError("--fault: applies to run (a capacity search compares steps without faults)") }
        let slos = try output.slos()
        guard !slos.isEmpty else {
            throw ValidationError("--slo: capacity needs at least one, e.g. --slo 'refresh.p99<20ms' (the rate is searched against it)")
        }
        for i in storeOptions.stores.indices.dropFirst() {
            _ = try storeOptions.only(i).spec() // each malformed store is one line, exit 64
        }
        if storeOptions.stores.count > 1, c.target != "in-process" {
            throw ValidationError("--store: stores are compared with the core in-process (not with --target \(Redaction.url(c.target)))")
        }
        try validateTargetFlags(c, store: storeOptions.stores.count > 1 ? storeOptions.only(0) : storeOptions, http: http, slos: slos, output: output)
    }

    func run() async throws {
        let settings = try settings()
        var configuration = try baseConfiguration(settings)
        let slos = try output.slos()
        let quiet = output.quiet
        try load.pinProcesses()
        if storeOptions.stores.count > 1 {
            try await compareStores(configuration, settings: settings, slos: slos)
            return
        }
        let httpTarget = try await http.prepareTarget(&configuration)
        // A store that cannot be opened stops the search before --out is touched.
        if httpTarget == nil, configuration.target == "in-process", try storeOptions.spec() != .memory {
            try await storeOptions.withOpened { _ in }
        }
        let outputDirectory: URL?
        do {
            outputDirectory = try output.prepareDirectory { $0 == "capacity.json" || $0 == "report.html" }
        } catch {
            if let httpTarget { await httpTarget.shutdown() }
            throw error
        }
        let progress: (CapacityStep) -> Void = { step in
            if !quiet { FileHandle.standardError.write(Data((CapacityConsole.stepLine(step, search: settings) + "\n").utf8)) }
        }
        let outcome: (steps: [CapacityStep], answer: CapacityAnswer, judgesDriverLag: Bool)
        do {
            outcome = try await search(configuration, settings: settings, slos: slos, httpTarget: httpTarget, storeOptions: storeOptions,
                                       progress: progress)
        } catch {
            if let httpTarget { await httpTarget.shutdown() }
            if let outputDirectory { RunCommand.removeIfEmpty(outputDirectory) }
            throw error
        }
        if let httpTarget { await httpTarget.shutdown() }
        let result = capacityResult(configuration, settings: settings, slos: slos, outcome)
        print(CapacityConsole.render(result))
        if let outputDirectory {
            let json = outputDirectory.appendingPathComponent("capacity.json")
            try writeAtomically(try result.jsonData(), to: json)
            let html = outputDirectory.appendingPathComponent("report.html")
            try writeAtomically(Data(HTMLReport.capacity(result).utf8), to: html)
            print("result: \(json.path)")
            print("report: \(html.path)")
        }
        try outcome.answer.verdict.exitUnlessPass()
    }

    /// `capacity.json`'s content for a search's outcome.
    private func capacityResult(_ c: LoadConfiguration, settings: CapacitySettings, slos: [SLO],
                                _ outcome: (steps: [CapacityStep], answer: CapacityAnswer, judgesDriverLag: Bool)) -> CapacityResult {
        CapacityResult(
            scenario: scenario.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent },
            config: c.record, environment: RunEnvironment.current(target: outcome.steps.first?.result.environment.target ?? c.target),
            slo: slos.map(\.text), search: settings, judgesDriverLag: outcome.judgesDriverLag,
            steps: outcome.steps, answer: outcome.answer)
    }

    /// `--store A --store B …`: each store's search, one after the other with the same
    /// settings; then each store once more at the common rate (the lowest answer), followed
    /// by its own benchmark tool against the same server; one console table, `comparison.json`,
    /// a side-by-side `report.html`, and each store's own `store-N-BACKEND/` capacity files.
    /// Exits with the most severe of the stores' verdicts.
    private func compareStores(_ c: LoadConfiguration, settings: CapacitySettings, slos: [SLO]) async throws {
        // Every store answers before the first search, not after the others' searches ran.
        for i in storeOptions.stores.indices where try storeOptions.only(i).spec() != .memory {
            try await storeOptions.only(i).withOpened { _ in }
        }
        let outputDirectory = try output.prepareDirectory { $0 == "comparison.json" || $0 == "report.html" || $0.hasPrefix("store-") }
        do {
            try await compareStores(c, settings: settings, slos: slos, outputDirectory: outputDirectory)
        } catch {
            if let outputDirectory { RunCommand.removeIfEmpty(outputDirectory) }
            throw error
        }
    }

    private func compareStores(_ c: LoadConfiguration, settings: CapacitySettings, slos: [SLO], outputDirectory: URL?) async throws {
        let quiet = output.quiet
        func say(_ line: String) { if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) } }
        let progress: (CapacityStep) -> Void = { step in say(CapacityConsole.stepLine(step, search: settings)) }
        var entries: [StoreComparison.Entry] = []
        for i in storeOptions.stores.indices {
            let options = storeOptions.only(i)
            let backend = try options.spec().backend
            say("store \(i + 1) of \(storeOptions.stores.count): \(backend)")
            let outcome = try await search(c, settings: settings, slos: slos, httpTarget: nil, storeOptions: options, progress: progress)
            entries.append(StoreComparison.Entry(store: backend, capacity: capacityResult(c, settings: settings, slos: slos, outcome)))
        }
        let common = StoreComparison.commonRate(of: entries.map(\.capacity.answer))
        for i in entries.indices {
            let options = storeOptions.only(i)
            if let common {
                // One step: start and max rate both the common rate.
                var once = settings
                once.startRate = common
                once.maxRate = common
                once.confirm = 1
                say("store \(entries[i].store): one step at the common rate, \(settings.rateText(common))")
                let outcome = try await search(c, settings: once, slos: slos, httpTarget: nil, storeOptions: options, progress: progress)
                entries[i].atCommonRate = outcome.steps.first?.result
            }
            let runs = entries[i].capacity.steps.map(\.result) + [entries[i].atCommonRate].compactMap { $0 }
            let pool = runs.lazy.flatMap(\.timeline).compactMap(\.store?.poolSize).first
            if let reference = StoreReference.measure(try options.spec(), clients: pool ?? options.storeConnections ?? 16) {
                say("store \(entries[i].store): \(reference.workload)")
                entries[i].reference = reference
            }
        }
        let comparison = StoreComparison(slo: slos.map(\.text), search: settings, commonRate: common, stores: entries)
        print(CapacityConsole.storeComparison(comparison))
        if let outputDirectory {
            for (i, entry) in entries.enumerated() {
                let directory = outputDirectory.appendingPathComponent("store-\(i + 1)-\(entry.store)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try writeAtomically(try entry.capacity.jsonData(), to: directory.appendingPathComponent("capacity.json"))
                try writeAtomically(Data(HTMLReport.capacity(entry.capacity).utf8), to: directory.appendingPathComponent("report.html"))
            }
            let json = outputDirectory.appendingPathComponent("comparison.json")
            try writeAtomically(try comparison.jsonData(), to: json)
            let html = outputDirectory.appendingPathComponent("report.html")
            try writeAtomically(Data(HTMLReport.storeComparison(comparison).utf8), to: html)
            print("result: \(json.path)")
            print("report: \(html.path)")
        }
        let severity: [Verdict] = [.invariantViolation, .unreachable, .sloBreach, .inconclusive]
        if let worst = severity.first(where: { v in entries.contains { $0.capacity.answer.verdict == v } }) {
            try worst.exitUnlessPass()
        }
    }

    /// Runs the search against the chosen target. A step whose run stopped at once (a wrong
    /// endpoint) ends it; the caller reports that step's reason.
    private func search(
        _ c: LoadConfiguration, settings: CapacitySettings, slos: [SLO], httpTarget: HTTPTarget?, storeOptions: StoreOptions,
        progress: (CapacityStep) -> Void
    ) async throws -> (steps: [CapacityStep], answer: CapacityAnswer, judgesDriverLag: Bool) {
        func over<T: LoadTarget>(_ target: T, judgesDriverLag: Bool, phases: PhaseRecorder? = nil,
                                 store: (backend: String, statistics: StoreStatistics?)? = nil,
                                 credentials: Credentials = Credentials()) async throws -> (steps: [CapacityStep], answer: CapacityAnswer, judgesDriverLag: Bool) {
            let search = CapacitySearch(configuration: c, settings: settings, slos: slos, judgesDriverLag: judgesDriverLag)
            let (steps, answer) = try await search.run(step: { stepConfiguration in
                phases?.reset()
                var driver = LoadDriver(configuration: stepConfiguration, target: target, phases: phases, slos: slos, credentials: credentials)
                driver.store = store
                var result = await driver.run()
                result.scenario = scenario.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
                if let aborted = result.aborted { throw StepAborted(message: aborted.message) }
                return result
            }, progress: progress)
            return (steps, answer, judgesDriverLag)
        }
        do {
            switch c.target {
            case "noop":
                // The driver alone: its lag is its own.
                return try await over(NoOpTarget(expiresIn: c.accessTTL ?? 3600), judgesDriverLag: true)
            case let spec where spec.hasPrefix("simulated:"):
                return try await over(SimulatedTarget(spec: spec, expiresIn: c.accessTTL ?? 3600)!, judgesDriverLag: true)
            case _ where httpTarget != nil:
                return try await over(httpTarget!, judgesDriverLag: true, credentials: try http.credentials())
            default:
                if !output.quiet {
                    FileHandle.standardError.write(Data("preparing \(c.users) synthetic users (\(c.passwordAlgorithm) hashes, not measured)\n".utf8))
                }
                func inProcess<Store: RefreshTokenStore>(_ store: Store, _ backend: String, _ statistics: StoreStatistics?) async throws
                    -> (steps: [CapacityStep], answer: CapacityAnswer, judgesDriverLag: Bool) {
                    let phases = PhaseRecorder(stripes: c.workers)
                    let target: InProcessTarget<Store, InMemoryUserDirectory>
                    do {
                        target = try await InProcessTarget.make(c, store: store, phases: phases, crypto: load.core.cryptoBackend,
                                                      lanes: backend != "memory")
                    } catch let error as ConfigurationError {
                        throw ValidationError("\(error.setting): expected \(error.accepted)")
                    }
                    // The core runs on the driver's own threads: lag is the process's saturation.
                    return try await over(target, judgesDriverLag: false, phases: phases, store: (backend, statistics))
                }
                if try storeOptions.spec() == .memory { return try await inProcess(MemoryRefreshTokenStore(), "memory", nil) }
                return try await storeOptions.withOpened { opened in
                    try await inProcess(opened.store, opened.backend, opened.statistics)
                }
            }
        } catch let aborted as StepAborted {
            // The profile is wrong, not the server: one line, exit 69, as `run` does.
            FileHandle.standardError.write(Data("tokenbench: \(aborted.message)\n".utf8))
            throw ExitCode(Verdict.unreachable.exitCode)
        }
    }
}

/// A step's run stopped at once (the profile names an endpoint the server does not serve).
struct StepAborted: Error {
    let message: String
}
