import ArgumentParser
import Foundation
import TokenLoad

struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Check a server against every refresh-token case with an HTTP face (pass / fail / n/a).",
        discussion: "Exit codes: 0 every applicable case passes; 1 a case fails; 64 invalid flags.")

    @Argument(help: "The server, e.g. http://127.0.0.1:8080.")
    var url: String
    @Option(help: "The server's grace window (C1–C3 depend on it; C3 waits grace + 1 s).")
    var grace: String = "10s"
    @Option(help: "The server's clock-skew leeway (E1 waits past exp + leeway).")
    var leeway: String = "30s"
    @Option(name: .customLong("max-wait"), help: "E1 runs only when an access token expires, with leeway, within this long.")
    var maxWait: String = "30s"
    @Option(help: "Write the results as JSON to this file.")
    var json: String?
    @OptionGroup(title: "HTTP target") var http: HTTPOptions

    func validate() throws {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ValidationError("url: expected a URL such as http://127.0.0.1:8080 (got '\(url)')")
        }
        let g = try Flags.seconds(grace, "--grace")
        guard g >= 0, g <= 300 else { throw ValidationError("--grace: expected a duration of 0 ... 300s") }
        let l = try Flags.seconds(leeway, "--leeway")
        guard l >= 0, l <= 60 else { throw ValidationError("--leeway: expected a duration of 0 ... 60s") }
        let w = try Flags.seconds(maxWait, "--max-wait")
        guard w >= 0, w <= 3600 else { throw ValidationError("--max-wait: expected a duration of 0 ... 1h") }
        _ = try http.httpProfile()
        _ = try http.credentials()
    }

    func run() async throws {
        // Enough connections on each event loop for C1's ten concurrent refreshes.
        let target = try http.target(url: url, users: 64, accessTTL: 300)
        let probe = Probe(target: target, credentials: try http.credentials(), grace: try Flags.seconds(grace, "--grace"),
                          leeway: try Flags.seconds(leeway, "--leeway"), maxWait: try Flags.seconds(maxWait, "--max-wait"))
        let results = await probe.run { id in FileHandle.standardError.write(Data("probing \(id)…\n".utf8)) }
        await target.shutdown()
        print(ProbeResult.table(results))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(results).write(to: URL(fileURLWithPath: json))
        }
        if results.contains(where: { $0.verdict == .fail }) { throw ExitCode(1) }
    }
}
