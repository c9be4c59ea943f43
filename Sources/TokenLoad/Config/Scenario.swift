import Foundation
import TokenResults

/// A standard scenario: a JSON file whose keys are `tokenbench run` flags without their dashes
/// and whose values are what the flag would be given, so a scenario reads like a command line:
///
/// ```json
/// { "description": "Steady refresh on PostgreSQL",
///   "users": 2000, "duration": "20s", "access-ttl": "2s", "think-time": "500ms",
///   "store": "${TOKENBENCH_POSTGRES_URL}", "slo": ["refresh.p99<50ms"] }
/// ```
///
/// - Strings are passed as they are, after `${NAME}` is replaced by the environment variable
///   `NAME` (an unset variable is an error, never an empty value).
/// - Numbers are written as integers when whole (`2000`), else as decimals (`0.05`).
/// - Booleans become `true` / `false` (`"session-check": false`).
/// - A list repeats the flag once per element; only repeatable flags take one (`slo`).
/// - `description` is free text. `scenario`, `out`, `repeat`, `quiet`, `help` and `version`
///   describe one invocation, not a workload, and are refused.
///
/// Flags given on the command line after `--scenario` override the file's; repeatable ones
/// (`--slo`) add to them.
public struct Scenario: Sendable, Hashable {
    /// The file's base name without `.json`: the name results are grouped and compared by.
    public var name: String
    /// The file's `description`, if any.
    public var description: String?
    /// The file's settings as `run` arguments (`["--users", "2000", …]`), in the file's key order
    /// sorted by name (so the same file always gives the same arguments).
    public var arguments: [String]

    /// Keys that describe an invocation rather than a workload.
    public static let refusedKeys: Set<String> = ["scenario", "out", "repeat", "quiet", "help", "version"]
    /// Flags that may be given more than once, so a list is meaningful.
    public static let repeatableKeys: Set<String> = ["slo", "header", "login-field", "refresh-field", "revoke-field", "fault"]

    /// Reads a scenario file.
    /// - Parameters:
    ///   - path: the JSON file.
    ///   - environment: where `${NAME}` references are looked up (normally the process's).
    /// - Throws: ``ScenarioError`` naming the file and what is wrong with it (unreadable, not a
    ///   JSON object, a key that is not a flag name, a value of the wrong type, an unset variable).
    public static func load(path: String, environment: [String: String]) throws(ScenarioError) -> Scenario {
        try load(path: path, environment: environment, rules: .scenario)
    }

    package static func load(path: String, environment: [String: String], rules: Rules) throws(ScenarioError) -> Scenario {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let attributes else { throw ScenarioError(path: path, reason: "does not exist", kind: rules.kind) }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw ScenarioError(path: path, reason: "cannot be read (not a regular file)", kind: rules.kind)
        }
        guard (attributes[.size] as? Int ?? 0) <= 1 << 20 else { throw ScenarioError(path: path, reason: "is larger than 1 MiB", kind: rules.kind) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ScenarioError(path: path, reason: "cannot be read", kind: rules.kind)
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(data, name: name, path: path, environment: environment, rules: rules)
    }

    /// Parses a scenario's JSON.
    /// - Throws: ``ScenarioError`` as ``load(path:environment:)``.
    public static func parse(_ data: Data, name: String, path: String, environment: [String: String]) throws(ScenarioError) -> Scenario {
        try parse(data, name: name, path: path, environment: environment, rules: .scenario)
    }

    /// What a file of flags may hold: a scenario (`run` flags) or a profile (``ProfileFile``).
    package struct Rules: Sendable {
        /// `scenario` or `profile`, for messages.
        var kind: String
        /// The command whose flags the keys are.
        var command: String
        /// When set, the only keys allowed (besides `description`).
        var allowed: Set<String>?
        /// Keys refused, with the end of the sentence saying why.
        var refused: [String: String]
        /// Flags that may be given more than once, so a list is meaningful.
        var repeatable: Set<String>
        /// Keys renamed to another flag (a profile's `base` is `--profile`).
        var renamed: [String: String] = [:]
        /// Keys that are flags without a value (`insecure`): `true` gives the flag, `false` nothing.
        var flags: Set<String> = []

        static let scenario = Rules(
            kind: "scenario", command: "run", allowed: nil,
            refused: Dictionary(uniqueKeysWithValues: refusedKeys.map { ($0, "describes one invocation, not a workload: give it on the command line") }),
            repeatable: repeatableKeys)
    }

    /// Parses a file of flags under `rules`.
    /// - Throws: ``ScenarioError`` naming the file and the problem.
    package static func parse(_ data: Data, name: String, path: String, environment: [String: String], rules: Rules) throws(ScenarioError) -> Scenario {
        func fail(_ reason: String) -> ScenarioError { ScenarioError(path: path, reason: reason, kind: rules.kind) }
        guard data.count <= 1 << 20 else { throw fail("is larger than 1 MiB") }
        // Foundation's decoder keeps one of two equal keys and accepts trailing commas: a file
        // that names a flag twice must not silently lose one of them.
        if let problem = StrictJSON.problem(in: data) { throw fail(problem) }
        let settings: [String: ScenarioValue]
        do {
            settings = try JSONDecoder().decode([String: ScenarioValue].self, from: data)
        } catch let error as DecodingError {
            if case .typeMismatch(let type, let context) = error, type == [String: ScenarioValue].self || context.codingPath.isEmpty {
                throw fail("must be a JSON object of \(rules.command) flags, e.g. {\"users\": 1000, \"duration\": \"20s\"}")
            }
            if case .dataCorrupted(let context) = error, let key = context.codingPath.first?.stringValue {
                throw fail("\"\(key)\" must be a string, a number, a boolean or a list of them")
            }
            throw fail("is not valid JSON")
        } catch {
            throw fail("is not valid JSON")
        }
        var description: String?
        var arguments: [String] = []
        for key in settings.keys.sorted() {
            let value = settings[key]!
            if key == "description" {
                guard case .string(let text) = value else { throw fail("\"description\" must be a string") }
                description = text
                continue
            }
            guard isFlagName(key) else {
                throw fail("\"\(key)\" is not a \(rules.command) flag name (lower-case words joined by '-', e.g. \"think-time\")")
            }
            if let why = rules.refused[key] { throw fail("\"\(key)\" \(why)") }
            if let allowed = rules.allowed, !allowed.contains(key) {
                throw fail("\"\(key)\" is not a \(rules.kind) key (accepted: \(allowed.sorted().joined(separator: ", ")))")
            }
            let values: [ScenarioValue]
            if case .list(let list) = value {
                guard rules.repeatable.contains(key) else { throw fail("\"\(key)\" takes one value, not a list") }
                values = list
            } else {
                values = [value]
            }
            guard !values.isEmpty else { throw fail("\"\(key)\" is an empty list") }
            if rules.flags.contains(key) {
                guard case .bool(let on) = value else { throw fail("\"\(key)\" must be true or false") }
                if on { arguments.append("--\(key)") }
                continue
            }
            for element in values {
                arguments.append("--\(rules.renamed[key] ?? key)")
                arguments.append(try text(of: element, key: key, path: path, kind: rules.kind, environment: environment))
            }
        }
        return Scenario(name: name, description: description, arguments: arguments)
    }

    package static func isFlagName(_ key: String) -> Bool {
        guard let first = key.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), key.utf8.last != UInt8(ascii: "-") else {
            return false
        }
        return key.utf8.allSatisfy { c in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: "-")
        }
    }

    private static func text(of value: ScenarioValue, key: String, path: String, kind: String, environment: [String: String]) throws(ScenarioError) -> String {
        switch value {
        case .string(let string): return try expand(string, key: key, path: path, kind: kind, environment: environment)
        case .bool(let bool): return bool ? "true" : "false"
        case .integer(let integer): return String(integer)
        case .number(let double): return String(double)
        case .list: throw ScenarioError(path: path, reason: "\"\(key)\" is a list inside a list", kind: kind)
        }
    }

    /// Replaces every `${NAME}` by the environment variable `NAME`.
    package static func expand(_ text: String, key: String, path: String, kind: String = "scenario", environment: [String: String]) throws(ScenarioError) -> String {
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw ScenarioError(path: path, reason: "\"\(key)\" has an unclosed ${", kind: kind)
            }
            let variable = String(rest[start.upperBound..<end])
            guard let value = environment[variable], !value.isEmpty else {
                throw ScenarioError(path: path, reason: "\"\(key)\" needs the environment variable \(variable), which is not set", kind: kind)
            }
            out += value
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }
}

/// A scenario or profile file that cannot be used.
public struct ScenarioError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// What is wrong, as the end of a sentence starting with the file's path.
    public var reason: String
    /// `scenario` or `profile`.
    public var kind: String

    public init(path: String, reason: String, kind: String = "scenario") {
        self.path = path
        self.reason = reason
        self.kind = kind
    }

    public var description: String { "\(kind) \(path) \(reason)" }
}

/// One value of a scenario file.
package enum ScenarioValue: Decodable, Sendable, Hashable {
    case string(String)
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    indirect case list([ScenarioValue])

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let integer = try? container.decode(Int64.self) {
            self = .integer(integer)
        } else if let double = try? container.decode(Double.self) {
            self = .number(double)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let list = try? container.decode([ScenarioValue].self) {
            self = .list(list)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a string, number, boolean or list")
        }
    }
}
