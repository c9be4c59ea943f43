import ArgumentParser
import Foundation
import TokenLoad
import TokenResults
import TokenReport
import TokenHTTPClient
import TokenProbe

/// `tokenbench report RESULTS`: the headline figures of a set of results as a table, or a
/// self-contained HTML report.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the headline figures of results (a result.json or a directory of them) as a table, or write an HTML report.",
        discussion: """
            Medians over repeated runs of a scenario. --format markdown writes the table of results/README.md. \
            --html OUT.html writes one self-contained file (no script, no network): for a result.json its \
            report, for a capacity.json the search, for a directory of runs one page with them side by side.
            """)

    @Argument(help: "A result.json, a capacity.json, or a directory of results (e.g. results/baseline).")
    var results: String
    @Option(help: "Output: text or markdown.")
    var format: String = "text"
    @Option(help: ArgumentHelp("Write an HTML report to this file instead of printing a table.", valueName: "file"))
    var html: String?

    func validate() throws {
        guard ["text", "markdown"].contains(format) else {
            throw ValidationError("--format: expected text or markdown (got '\(format)')")
        }
        if let html {
            var isDirectory: ObjCBool = false
            if html.isEmpty || (FileManager.default.fileExists(atPath: html, isDirectory: &isDirectory) && isDirectory.boolValue) {
                throw ValidationError("--html: expected a file path such as report.html (got '\(html)')")
            }
        }
    }

    func run() throws {
        if let html {
            let input: ReportInput
            do throws(ComparisonError) { input = try ReportInput.load(results) } catch {
                throw ValidationError("report: \(error.description)")
            }
            let page: String
            switch input {
            case .capacity(let c): page = HTMLReport.capacity(c)
            case .storeComparison(let c): page = HTMLReport.storeComparison(c)
            case .runs(let runs) where runs.count == 1: page = HTMLReport.run(runs[0].result, source: results)
            case .runs(let runs): page = HTMLReport.runs(runs, title: "TokenBench: \(runs.count) runs in \(results)")
            }
            do {
                try writeAtomically(Data(page.utf8), to: URL(fileURLWithPath: html))
            } catch {
                throw ValidationError("--html: cannot write '\(html)'")
            }
            print("report: \(html)")
            return
        }
        let table: HeadlineTable
        do throws(ComparisonError) {
            table = try HeadlineTable(path: results)
        } catch {
            throw ValidationError("report: \(error.description)")
        }
        print(format == "markdown" ? table.markdown() : table.text(), terminator: "")
    }
}
