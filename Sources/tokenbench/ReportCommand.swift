import ArgumentParser
import Foundation
import TokenLoad

/// `tokenbench report RESULTS`: the headline figures of a set of results as a table.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the headline figures of results (a result.json or a directory of them) as a table.",
        discussion: "Medians over repeated runs of a scenario. --format markdown writes the table of results/README.md.")

    @Argument(help: "A result.json or a directory of results (e.g. results/baseline).")
    var results: String
    @Option(help: "Output: text or markdown.")
    var format: String = "text"

    func validate() throws {
        guard ["text", "markdown"].contains(format) else {
            throw ValidationError("--format: expected text or markdown (got '\(format)')")
        }
    }

    func run() throws {
        let table: HeadlineTable
        do throws(ComparisonError) {
            table = try HeadlineTable(path: results)
        } catch {
            throw ValidationError("report: \(error.description)")
        }
        print(format == "markdown" ? table.markdown() : table.text(), terminator: "")
    }
}
