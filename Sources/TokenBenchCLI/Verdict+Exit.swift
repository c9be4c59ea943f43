import ArgumentParser
import TokenResults

extension Verdict {
    /// Ends the command with this verdict's exit code (``Verdict/exitCode``); a pass returns.
    /// - Throws: `ExitCode(exitCode)` for every verdict but ``Verdict/pass``.
    func exitUnlessPass() throws {
        if self != .pass { throw ExitCode(exitCode) }
    }
}
