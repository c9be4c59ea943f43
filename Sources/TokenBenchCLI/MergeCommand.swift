import ArgumentParser
import Foundation
import TokenLoad
import TokenResults
import TokenReport
import TokenHTTPClient
import TokenProbe

/// `tokenbench merge`: the results of the N shards of one run (`run --shard I/N`), merged
/// exactly into the whole run's, and judged once.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the results of a sharded run (run --shard I/N) exactly, and judge SLOs on the merge.",
        discussion: """
            Each input is a result.json (its latency.hlog beside it is read when present), a directory \
            holding one, or a directory whose immediate subdirectories hold one each (the --out directory \
            is skipped). HDR histograms are added bucket by bucket, counts and invariant checks summed, \
            timelines aligned on the wall clock. Writes OUT/result.json, OUT/latency.hlog and \
            OUT/report.html. Exit codes as run's; 64 with one line for inputs that are not the shards of \
            one run (other settings, scenario or version, a shard twice or missing), writing nothing.
            """)

    @Argument(help: ArgumentHelp("Shard results: result.json files or directories.", valueName: "dir|file"))
    var inputs: [String]
    @Option(help: "Write the merged result.json, latency.hlog and report.html into this directory (created if needed).")
    var out: String
    @Option(help: "Judge the merged result: exit 2 unless this holds, e.g. 'refresh.p99<20ms'. Repeatable.")
    var slo: [String] = []

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("merge: expected shard results (result.json files or directories)") }
        guard !out.isEmpty else { throw ValidationError("--out: expected a directory path (got an empty string)") }
        _ = try slos()
    }

    func slos() throws -> [SLO] {
        try OutputOptions.parseSLOs(slo)
    }

    /// The result files the inputs name, in order, without duplicates.
    /// - Throws: `ValidationError` for an input that is missing or holds no result.
    func resultFiles() throws -> [String] {
        let outPath = URL(fileURLWithPath: out).standardizedFileURL.path
        var files: [String] = []
        let fm = FileManager.default
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: input, isDirectory: &isDirectory) else {
                throw ValidationError("merge: \(input): no such file or directory")
            }
            guard isDirectory.boolValue else {
                files.append(input)
                continue
            }
            let direct = (input as NSString).appendingPathComponent("result.json")
            if fm.fileExists(atPath: direct) {
                files.append(direct)
                continue
            }
            let children = ((try? fm.contentsOfDirectory(atPath: input)) ?? []).sorted()
            let found = children.map { (input as NSString).appendingPathComponent($0) }
                .filter { URL(fileURLWithPath: $0).standardizedFileURL.path != outPath }
                .map { ($0 as NSString).appendingPathComponent("result.json") }
                .filter { fm.fileExists(atPath: $0) }
            guard !found.isEmpty else { throw ValidationError("merge: \(input): holds no result.json, nor do its subdirectories") }
            files += found
        }
        var seen = Set<String>()
        return files.filter { seen.insert(URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }
    }

    func run() throws {
        let slos = try slos()
        var merger = ResultMerger(slos: slos)
        for file in try resultFiles() {
            let result: RunResult
            do throws(ComparisonError) { result = try ReportInput.result(at: file) } catch {
                throw ValidationError("merge: \(error.description)")
            }
            let logPath = ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent("latency.hlog")
            var log: HistogramLog?
            // The merger decodes every interval: the log is not decoded twice.
            if FileManager.default.fileExists(atPath: logPath) {
                do throws(HistogramLog.ParseError) { log = try HistogramLog.read(path: logPath, checkHistograms: false) } catch {
                    throw ValidationError("merge: \(error.description)")
                }
            }
            do throws(MergeError) { try merger.add(result, log: log, source: file) } catch {
                throw ValidationError("merge: \(error.description)")
            }
        }
        let merged: (result: RunResult, log: HistogramLog?)
        do throws(MergeError) { merged = try merger.finish() } catch {
            throw ValidationError("merge: \(error.description)")
        }
        let directory = URL(fileURLWithPath: out)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("--out: expected a writable directory path (cannot write into '\(out)')")
        }
        print(ConsoleReport.render(merged.result))
        let resultFile = directory.appendingPathComponent("result.json")
        try writeAtomically(try merged.result.jsonData(), to: resultFile)
        print("result: \(resultFile.path)")
        let hlog = directory.appendingPathComponent("latency.hlog")
        if let log = merged.log {
            try writeAtomically(Data(log.text().utf8), to: hlog)
            print("interval log: \(hlog.path)")
        } else {
            try? FileManager.default.removeItem(at: hlog)
        }
        let report = directory.appendingPathComponent("report.html")
        try writeAtomically(Data(HTMLReport.run(merged.result, source: out).utf8), to: report)
        print("report: \(report.path)")
        try merged.result.verdict.exitUnlessPass()
    }
}
