import ArgumentParser
import Foundation

/// `tokenbench`: a thin command line over TokenAuth and TokenLoad. It parses arguments and
/// wires targets together; the work is done in the libraries.
@main
struct TokenBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenbench",
        abstract: "Load-test and benchmark the refresh-token pattern.",
        discussion: """
            Exit codes: 0 pass; 1 invariant violation (the target broke refresh-token semantics); \
            2 SLO breach (run) or a regression (compare); 64 invalid flags, values or files; 69 a target or store \
            could not be reached at start; 70 an unexpected failure (e.g. a result that could not be written).
            """,
        subcommands: [RunCommand.self, ServeCommand.self, ProbeCommand.self, StoreBenchCommand.self, CompareCommand.self,
                      ReportCommand.self]
    )

    /// Bad flags and values: one line naming the flag and the accepted form, exit 64 (EX_USAGE).
    static func main() async {
        do {
            var command = try parseAsRoot(try ScenarioArguments.expand(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
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
