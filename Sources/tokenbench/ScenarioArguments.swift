import ArgumentParser
import Foundation
import TokenLoad

/// `run --scenario FILE`: the file's settings become `run` flags placed before the command
/// line's own, so flags typed after them override the file (ArgumentParser keeps the last
/// value of a repeated option).
enum ScenarioArguments {
    /// The arguments with a scenario's flags inserted after `run`.
    /// - Throws: `ValidationError` naming the file when it cannot be read or parsed, or when its
    ///   settings are not valid `run` flags on their own.
    static func expand(_ arguments: [String]) throws -> [String] {
        guard arguments.first == "run", let path = path(in: arguments) else { return arguments }
        let scenario: Scenario
        do throws(ScenarioError) {
            scenario = try Scenario.load(path: path, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        do {
            _ = try RunCommand.parse(scenario.arguments)
        } catch {
            let message = RunCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid settings"
            throw ValidationError("scenario \(path): \(message)")
        }
        return ["run"] + scenario.arguments + arguments.dropFirst()
    }

    /// The value of `--scenario PATH` or `--scenario=PATH`, if given.
    static func path(in arguments: [String]) -> String? {
        for (i, argument) in arguments.enumerated() {
            if argument == "--", i > 0 { return nil }
            if argument == "--scenario", i + 1 < arguments.count { return arguments[i + 1] }
            if argument.hasPrefix("--scenario=") { return String(argument.dropFirst("--scenario=".count)) }
        }
        return nil
    }
}
