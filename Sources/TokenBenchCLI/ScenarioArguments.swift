import ArgumentParser
import Foundation
import TokenLoad
import TokenResults
import TokenReport
import TokenHTTPClient
import TokenProbe

/// `run --scenario FILE`: the file's settings become `run` flags placed before the command
/// line's own, so flags typed after them override the file (ArgumentParser keeps the last
/// value of a repeated option).
enum ScenarioArguments {
    /// The arguments with a scenario's flags inserted after `run`.
    /// - Throws: `ValidationError` naming the file when it cannot be read or parsed, or when its
    ///   settings are not valid `run` flags on their own.
    static func expand(_ arguments: [String]) throws -> [String] {
        guard let command = arguments.first, ["run", "capacity"].contains(command), let path = try path(in: arguments) else { return arguments }
        let scenario: Scenario
        do throws(ScenarioError) {
            scenario = try Scenario.load(path: path, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        do {
            _ = try RunCommand.parse(Array(try ProfileArguments.expand(["run"] + scenario.arguments).dropFirst()))
        } catch {
            let message = RunCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid settings"
            throw ValidationError("scenario \(path): \(message)")
        }
        return [command] + scenario.arguments + arguments.dropFirst()
    }

    /// The value of `--scenario PATH` or `--scenario=PATH`, if given.
    /// - Throws: `ValidationError` when it is given twice (one run, one scenario).
    static func path(in arguments: [String]) throws -> String? {
        var found: [String] = []
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            if argument == "--", i > 0 { break }
            if argument == "--scenario", i + 1 < arguments.count {
                found.append(arguments[i + 1])
                i += 1
            } else if argument.hasPrefix("--scenario=") {
                found.append(String(argument.dropFirst("--scenario=".count)))
            }
            i += 1
        }
        guard found.count <= 1 else {
            throw ValidationError("--scenario: expected one scenario file per run (got \(found.count))")
        }
        return found.first
    }
}

/// `--profile FILE.json` (on `run` or `probe`, from the command line or a scenario): the file's
/// flags are placed first, so a scenario's and the command line's override them, and the file's
/// path travels on as `--profile-file` for `result.json`. The last `--profile` given wins.
enum ProfileArguments {
    /// The arguments with a profile file's flags expanded.
    /// - Throws: `ValidationError` naming the file when it cannot be read, parsed or used.
    static func expand(_ arguments: [String]) throws -> [String] {
        guard let command = arguments.first, ["run", "capacity", "probe"].contains(command) else { return arguments }
        var rest = Array(arguments.dropFirst())
        var values: [(index: Int, count: Int, value: String)] = []
        var i = 0
        while i < rest.count {
            if rest[i] == "--" { break }
            if rest[i] == "--profile", i + 1 < rest.count {
                values.append((i, 2, rest[i + 1]))
                i += 2
                continue
            }
            if rest[i].hasPrefix("--profile=") { values.append((i, 1, String(rest[i].dropFirst("--profile=".count)))) }
            i += 1
        }
        guard let last = values.last, ProfileFile.isFile(last.value) else { return arguments }
        let flags: [String]
        do throws(ScenarioError) {
            flags = try ProfileFile.arguments(path: last.value, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        for occurrence in values.reversed() { rest.removeSubrange(occurrence.index..<(occurrence.index + occurrence.count)) }
        return [command] + flags + ["--profile-file", last.value] + rest
    }
}
