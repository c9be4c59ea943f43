import Foundation
import Testing
@testable import TokenLoad

@Suite("scenario files")
struct ScenarioTests {
    func parse(_ text: String, environment: [String: String] = [:]) throws(ScenarioError) -> Scenario {
        try Scenario.parse(Data(text.utf8), name: "s", path: "s.json", environment: environment)
    }

    @Test func settingsBecomeFlagsInKeyOrder() throws {
        let s = try parse("""
            {"description": "d", "users": 2000, "replay-ratio": 0.05, "duration": "20s", "session-check": false,
             "slo": ["refresh.p99<20ms", "login.p99<1s"], "store": "${PG}/db"}
            """, environment: ["PG": "postgres://u@127.0.0.1:5432"])
        #expect(s.description == "d")
        #expect(s.arguments == ["--duration", "20s", "--replay-ratio", "0.05", "--session-check", "false",
                                "--slo", "refresh.p99<20ms", "--slo", "login.p99<1s",
                                "--store", "postgres://u@127.0.0.1:5432/db", "--users", "2000"])
    }

    @Test("bad scenario files are refused with the reason",
          arguments: [
            ("[1, 2]", "JSON object"), ("{\"users\": ", "not valid JSON"), ("{\"Users\": 5}", "not a run flag name"),
            ("{\"--users\": 5}", "not a run flag name"), ("{\"out\": \"x\"}", "one invocation"),
            ("{\"scenario\": \"x\"}", "one invocation"), ("{\"users\": {\"a\": 1}}", "must be a string"),
            ("{\"users\": null}", "must be a string"), ("{\"slo\": []}", "empty list"),
            ("{\"slo\": [[\"a\"]]}", "list inside a list"), ("{\"users\": [1, 1000]}", "one value, not a list"),
            ("{\"help\": true}", "one invocation"), ("{\"store\": \"${NOPE}\"}", "NOPE"),
            ("{\"store\": \"${NOPE\"}", "unclosed"), ("{\"description\": 5}", "description"),
          ])
    func refused(_ text: String, _ reason: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(reason), "\(error.description)")
        }
    }

    @Test func committedScenariosParse() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../results/scenarios").standardizedFileURL
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 8)
        let environment = ["TOKENBENCH_POSTGRES_URL": "postgres://x@127.0.0.1:1/x", "TOKENBENCH_REDIS_URL": "redis://127.0.0.1:1/0"]
        for file in files {
            let s = try Scenario.load(path: directory.appendingPathComponent(file).path, environment: environment)
            #expect(s.description != nil, "\(file)")
            #expect(s.arguments.contains("--users"), "\(file)")
        }
    }
}
