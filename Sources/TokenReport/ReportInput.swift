import Foundation
import TokenResults

/// What `report --html` reads: one run, several runs, a capacity search, or a store comparison.
public enum ReportInput: Sendable {
    case runs([(label: String, result: RunResult)])
    case capacity(CapacityResult)
    case storeComparison(StoreComparison)

    /// Reads a `result.json`, a `capacity.json`, or a directory of them (searched recursively;
    /// JSON files that claim neither schema are skipped).
    /// - Throws: ``ComparisonError`` naming the file: missing, empty, unreadable, damaged,
    ///   foreign, or a directory with nothing to report.
    public static func load(_ path: String) throws(ComparisonError) -> ReportInput {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ComparisonError("\(path): no such file or directory")
        }
        if !isDirectory.boolValue {
            switch try decode(path) {
            case .run(let r): return .runs([(label(r, relative: nil), r)])
            case .capacity(let c): return .capacity(c)
            case .storeComparison(let c): return .storeComparison(c)
            }
        }
        let root = URL(fileURLWithPath: path).standardizedFileURL
        let files = jsonFiles(under: root)
        var runs: [(label: String, result: RunResult)] = []
        var capacities: [CapacityResult] = []
        var comparisons: [StoreComparison] = []
        for relative in files.sorted() {
            let full = root.appendingPathComponent(relative).path
            guard let data = readSmall(full), data.range(of: Data("tokenbench.".utf8)) != nil,
                  data.range(of: Data(RunResult.schemaID.utf8)) != nil || data.range(of: Data(CapacityResult.schemaID.utf8)) != nil
                    || data.range(of: Data(StoreComparison.schemaID.utf8)) != nil
            else { continue }
            switch try decode(full) {
            case .run(let r): runs.append((label(r, relative: relative), r))
            case .capacity(let c): capacities.append(c)
            case .storeComparison(let c): comparisons.append(c)
            }
        }
        // A comparison's directory also holds each store's capacity.json: the comparison is the report.
        if runs.isEmpty, comparisons.count == 1 { return .storeComparison(comparisons[0]) }
        if runs.isEmpty, comparisons.isEmpty, capacities.count == 1 { return .capacity(capacities[0]) }
        guard !runs.isEmpty else {
            throw ComparisonError(capacities.isEmpty ? "\(path): no \(RunResult.schemaID) or \(CapacityResult.schemaID) file found"
                                                     : "\(path): holds several capacity searches; give one capacity.json")
        }
        return .runs(runs)
    }

    /// The whole results under `path` grouped as ``Comparison/loadRuns(at:)`` groups them
    /// (scenario, else directory); files that do not decode whole are left out (the comparison
    /// itself reads only the parts it needs).
    public static func fullRuns(at path: String) -> [String: [RunResult]] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [:] }
        if !isDirectory.boolValue {
            guard case .run(let r)? = try? decode(path) else { return [:] }
            return [r.scenario ?? "result": [r]]
        }
        let root = URL(fileURLWithPath: path).standardizedFileURL
        var out: [String: [RunResult]] = [:]
        let files = jsonFiles(under: root)
        for relative in files.sorted() {
            guard case .run(let r)? = try? decode(root.appendingPathComponent(relative).path) else { continue }
            let directory = (relative as NSString).deletingLastPathComponent
            out[r.scenario ?? (directory.isEmpty ? "result" : directory), default: []].append(r)
        }
        return out
    }

    /// The `.json` files under a directory, relative paths, sorted.
    package static func jsonFiles(under root: URL) -> [String] {
        var files: [String] = []
        if let walker = FileManager.default.enumerator(atPath: root.path) {
            while let relative = walker.nextObject() as? String {
                if relative.hasSuffix(".json") { files.append(relative) }
            }
        }
        return files.sorted()
    }

    package enum Decoded {
        case run(RunResult)
        case capacity(CapacityResult)
        case storeComparison(StoreComparison)
    }

    package struct Schema: Decodable { var schema: String }

    package static func readSmall(_ path: String) -> Data? {
        guard Comparison.isRegularFile(path),
              let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int,
              size <= Comparison.maximumFileBytes else { return nil }
        return FileManager.default.contents(atPath: path)
    }

    /// Reads one `result.json`.
    /// - Throws: ``ComparisonError`` naming the file: missing, empty, damaged, foreign, or a
    ///   capacity search instead of a run.
    public static func result(at path: String) throws(ComparisonError) -> RunResult {
        switch try decode(path) {
        case .run(let r): return r
        case .capacity: throw ComparisonError("\(path): a capacity search (\(CapacityResult.schemaID)), not a run's result")
        case .storeComparison: throw ComparisonError("\(path): a store comparison (\(StoreComparison.schemaID)), not a run's result")
        }
    }

    package static func decode(_ path: String) throws(ComparisonError) -> Decoded {
        guard Comparison.isRegularFile(path) else { throw ComparisonError("\(path): not a regular file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > 0 else { throw ComparisonError("\(path): empty, not a tokenbench result") }
        guard size <= Comparison.maximumFileBytes else { throw ComparisonError("\(path): larger than 64 MiB, not a tokenbench result") }
        guard let data = FileManager.default.contents(atPath: path) else { throw ComparisonError("\(path): cannot be read") }
        return try decode(data, path: path)
    }

    /// Decodes a result or capacity file's bytes; `path` only names it in errors.
    /// - Throws: ``ComparisonError`` for bytes that are not JSON, a foreign schema, missing or
    ///   malformed fields, or figures no run produces.
    package static func decode(_ data: Data, path: String) throws(ComparisonError) -> Decoded {
        guard !data.isEmpty else { throw ComparisonError("\(path): empty, not a tokenbench result") }
        guard let schema = try? JSONDecoder().decode(Schema.self, from: data).schema else {
            // Only now the slower check, for the clearer of two messages.
            if (try? JSONSerialization.jsonObject(with: data)) == nil {
                throw ComparisonError("\(path): not valid JSON (damaged or truncated)")
            }
            throw ComparisonError("\(path): not a tokenbench result (no schema field; expected \(RunResult.schemaID), \(CapacityResult.schemaID) or \(StoreComparison.schemaID))")
        }
        do {
            switch schema {
            case RunResult.schemaID:
                let r = try JSONDecoder().decode(RunResult.self, from: data)
                try check(r, path)
                return .run(r)
            case CapacityResult.schemaID:
                let c = try JSONDecoder().decode(CapacityResult.self, from: data)
                for step in c.steps { try check(step.result, path) }
                return .capacity(c)
            case StoreComparison.schemaID:
                let c = try JSONDecoder().decode(StoreComparison.self, from: data)
                for store in c.stores {
                    for step in store.capacity.steps { try check(step.result, path) }
                    if let r = store.atCommonRate { try check(r, path) }
                }
                return .storeComparison(c)
            default:
                throw ComparisonError("\(path): schema '\(schema)' is not \(RunResult.schemaID), \(CapacityResult.schemaID) or \(StoreComparison.schemaID)")
            }
        } catch let error as ComparisonError {
            throw error
        } catch {
            throw ComparisonError("\(path): a \(schema) file with missing or malformed fields (\(Self.describe(error)))")
        }
    }

    /// Figures no run produces would draw nonsense.
    package static func check(_ r: RunResult, _ path: String) throws(ComparisonError) {
        for s in r.operations.values.concat(r.phases.values) {
            let numbers = [s.throughputPerS, s.latencyUs.p50, s.latencyUs.p99, s.latencyUs.max] + (s.percentilesUs ?? []).flatMap { [$0.p, $0.us] }
            guard s.count >= 0, s.errors >= 0, numbers.allSatisfy({ $0.isFinite && $0 >= 0 && $0 < 1e15 }) else {
                throw ComparisonError("\(path): holds counts or figures no run produces")
            }
        }
        guard r.measuredSeconds.isFinite, r.measuredSeconds > 0, r.timeline.count <= 10_000_000 else {
            throw ComparisonError("\(path): holds counts or figures no run produces")
        }
    }

    package static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, _)?: return "no '\(key.stringValue)'"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?:
            return "at '" + context.codingPath.map(\.stringValue).joined(separator: ".") + "'"
        default: return "unreadable"
        }
    }

    /// `steady-refresh · memory · HS256`, or the file's directory.
    package static func label(_ r: RunResult, relative: String?) -> String {
        var parts: [String] = []
        if let s = r.scenario { parts.append(s) }
        else if let relative, !(relative as NSString).deletingLastPathComponent.isEmpty {
            parts.append((relative as NSString).deletingLastPathComponent)
        } else { parts.append(r.environment.target) }
        if let backend = r.store?.backend { parts.append(backend) }
        if r.config.target == "in-process" { parts.append(r.config.algorithm ?? "-") }
        if let relative, (relative as NSString).lastPathComponent.hasPrefix("result-") {
            parts.append((relative as NSString).lastPathComponent.replacingOccurrences(of: ".json", with: ""))
        }
        return parts.joined(separator: " · ")
    }
}
