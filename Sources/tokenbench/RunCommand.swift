import ArgumentParser
import Foundation
import TokenLoad

#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run virtual users through login → use → expiry → refresh → logout and measure.")

    @OptionGroup var load: LoadOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try load.configuration()
        _ = try output.slos()
        if let out = output.out, FileManager.default.fileExists(atPath: out) {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory)
            if !isDirectory.boolValue { throw ValidationError("--out: expected a directory path (got the file '\(out)')") }
        }
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

        let result: RunResult
        switch configuration.target {
        case "noop":
            result = await LoadDriver(configuration: configuration, target: NoOpTarget(), slos: slos).run(progress: progress)
        default:
            let phases = PhaseRecorder(stripes: configuration.workers)
            let target = try await InProcessTarget.make(configuration, phases: phases)
            result = await LoadDriver(configuration: configuration, target: target, phases: phases, slos: slos).run(progress: progress)
        }
        if interactive && !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
        print(ConsoleReport.render(result))
        if let out = output.out {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try result.jsonData().write(to: URL(fileURLWithPath: out).appendingPathComponent("result.json"))
            print("result: \(out)/result.json")
        }
        switch result.verdict {
        case "invariant_violation": throw ExitCode(1)
        case "slo_breach": throw ExitCode(2)
        default: break
        }
    }
}
