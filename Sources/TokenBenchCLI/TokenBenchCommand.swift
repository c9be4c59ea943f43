import ArgumentParser
import Foundation

/// The entry point of the `tokenbench` and `tokenbench-jemalloc` executables (one command
/// line, two allocators: docs/crypto-and-allocators.md, "Allocators").
public enum TokenBenchMain {
    /// Parses `CommandLine.arguments`, runs the command, exits with its code.
    public static func main() async {
        await TokenBenchCommand.main()
    }
}

/// `tokenbench`: a thin command line over TokenAuth and TokenLoad. It parses arguments and
/// wires targets together; the work is done in the libraries.
struct TokenBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenbench",
        abstract: "Load-test and benchmark the refresh-token pattern.",
        discussion: """
            Exit codes: 0 pass; 1 invariant violation (the target broke refresh-token semantics); \
            2 SLO breach (run) or a regression (compare); 3 inconclusive (the run could not judge: an operation \
            of its sessions never happened, an error rate over --max-error-rate, or the driver itself saturated); \
            64 invalid flags, values or files (a certificate that does not verify included); 69 a target, store \
            or endpoint is missing or refuses (at start, or a wrong path during a run); 70 an unexpected failure \
            (e.g. a result that could not be written).
            """,
        subcommands: [RunCommand.self, CapacityCommand.self, ServeCommand.self, ProbeCommand.self, StoreBenchCommand.self, CompareCommand.self,
                      ReportCommand.self, MergeCommand.self]
    )

    /// Bad flags and values: one line naming the flag and the accepted form, exit 64 (EX_USAGE).
    static func main() async {
        do {
            let arguments = try ProfileArguments.expand(try ScenarioArguments.expand(Array(CommandLine.arguments.dropFirst())))
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure, !(error is ExitCode) {
                let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
                FileHandle.standardError.write(Data("tokenbench: \(message)\n".utf8))
                Foundation.exit(ExitCode.validationFailure.rawValue)
            }
            if code == .failure, !(error is ExitCode) {
                // Not a verdict: exit 1 means an invariant violation. A failed write or an
                // unexpected error gets one line and EX_SOFTWARE.
                FileHandle.standardError.write(Data("tokenbench: \(String(describing: error))\n".utf8))
                Foundation.exit(70)
            }
            exit(withError: error)
        }
    }
}
