import ArgumentParser
import Foundation
import TokenAuth
import TokenLoad

#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run virtual users through login → use → expiry → refresh → logout and measure.")

    @OptionGroup var load: LoadOptions
    @OptionGroup(title: "HTTP target") var http: HTTPOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        let configuration = try load.configuration()
        let slos = try output.slos()
        if configuration.target.hasPrefix("http") {
            _ = try http.httpProfile()
            _ = try http.credentials()
            _ = try http.pool(users: configuration.users)
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
        } catch {
            if !existed { try? FileManager.default.removeItem(at: url) }
            throw ValidationError("--out: expected a writable directory path (cannot write into '\(out)')")
        }
        return url
    }

    func run() async throws {
        let configuration = try load.configuration()
        let slos = try output.slos()
        let interactive = isatty(STDERR_FILENO) == 1
        let quiet = output.quiet
        let progress: @Sendable (ProgressSnapshot) -> Void = { p in
            guard !quiet else { return }
            if interactive {
                FileHandle.standardError.write(Data("\r\u{1B}[2K\(ConsoleReport.progressLine(p))".utf8))
            } else if Int(p.elapsed.rounded()) % 5 == 0 || p.elapsed >= p.total {
                FileHandle.standardError.write(Data("\(ConsoleReport.progressLine(p))\n".utf8))
            }
        }

        let outputDirectory = try prepareOutput()
        let result: RunResult
        switch configuration.target {
        case "noop":
            result = await LoadDriver(configuration: configuration, target: NoOpTarget(), slos: slos).run(progress: progress)
        case let url where url.hasPrefix("http"):
            let target = try http.target(url: url, users: configuration.users, accessTTL: configuration.accessTTL)
            let credentials = try http.credentials()
            // Preflight: one login must work, or the whole run would only measure errors.
            let account = credentials.credentials(0)
            let preflight = await target.login(username: account.username, password: account.password)
            if case .ok = preflight {} else {
                await target.shutdown()
                let why = switch preflight {
                case .ok: ""
                case .rejected(let kind): "the login of '\(account.username)' was refused (\(kind.rawValue)): check the profile flags and credentials"
                case .failed(let kind): "the login of '\(account.username)' failed (\(kind.rawValue)): is the server running at \(url)?"
                }
                FileHandle.standardError.write(Data("tokenbench: \(why)\n".utf8))
                throw ExitCode(69)
            }
            result = await LoadDriver(configuration: configuration, target: target, slos: slos,
                                      credentials: credentials).run(progress: progress)
            await target.shutdown()
        default:
            let phases = PhaseRecorder(stripes: configuration.workers)
            if !quiet {
                FileHandle.standardError.write(Data(
                    "preparing \(configuration.users) synthetic users (\(configuration.passwordAlgorithm) hashes, not measured)\n".utf8))
            }
            let target: InProcessTarget<MemoryRefreshTokenStore, InMemoryUserDirectory>
            do {
                target = try await InProcessTarget.make(configuration, phases: phases)
            } catch let error as ConfigurationError {
                throw ValidationError("\(error.setting): expected \(error.accepted)")
            }
            result = await LoadDriver(configuration: configuration, target: target, phases: phases, slos: slos).run(progress: progress)
        }
        if interactive && !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
        print(ConsoleReport.render(result))
        if let outputDirectory {
            let file = outputDirectory.appendingPathComponent("result.json")
            try result.jsonData().write(to: file)
            print("result: \(file.path)")
        }
        switch result.verdict {
        case "invariant_violation": throw ExitCode(1)
        case "slo_breach": throw ExitCode(2)
        default: break
        }
    }
}
