import Foundation
import Testing
@testable import TokenResults

@Suite("Verdicts as types, the run record, and old result files")
struct VerdictAndSettingsTests {
    @Test("every verdict has its exit code, in one table")
    func exitCodes() {
        let table: [Verdict: Int32] = [.pass: 0, .invariantViolation: 1, .sloBreach: 2, .inconclusive: 3, .badInput: 64, .unreachable: 69]
        for v in Verdict.allCases { #expect(v.exitCode == table[v], "\(v)") }
        #expect(Verdict(rawValue: "slo_breach") == .sloBreach)
        #expect(Verdict(rawValue: "invariant_violation") == .invariantViolation)
    }

    @Test("several runs: a violation wins, then inconclusive, then a breach")
    func combined() {
        #expect(Verdict.combined([.pass, .sloBreach, .inconclusive]) == .inconclusive)
        #expect(Verdict.combined([.inconclusive, .invariantViolation, .sloBreach]) == .invariantViolation)
        #expect(Verdict.combined([.pass, .sloBreach]) == .sloBreach)
        #expect(Verdict.combined([Verdict]()) == .pass)
        #expect(Verdict.judging(violations: 0, inconclusive: false, slo: [SLOResult(slo: "refresh.p99<1ms", observed: 2000, passed: false)]) == .sloBreach)
        #expect(Verdict.judging(violations: 1, inconclusive: true, slo: []) == .invariantViolation)
    }

    @Test("capacity outcomes map to verdicts: found 0, violation 1, none 2, at least and inconclusive 3")
    func capacityOutcomes() {
        let expected: [(CapacityOutcome, Int32)] = [(.found, 0), (.invariantViolation, 1), (.none, 2), (.atLeast, 3), (.inconclusive, 3)]
        for (outcome, code) in expected { #expect(outcome.verdict.exitCode == code, "\(outcome)") }
        #expect(CapacityOutcome(rawValue: "at_least") == .atLeast)
    }

    @Test("the run record keeps every setting as written, numbers included, and reads the typed ones")
    func settingsRoundTrip() throws {
        let json = #"{"model":"open","users":2000,"rate":1500.5,"seed":18446744073709551615,"alg":"ES256","max-lag":0.25,"#
            + #""shard":{"index":1,"count":4},"stages":[{"duration":10,"target":100}],"future-setting":"kept"}"#
        let settings = try JSONDecoder().decode(RunSettings.self, from: Data(json.utf8))
        #expect(settings.model == "open")
        #expect(settings.users == 2000)
        #expect(settings.rate == 1500.5)
        #expect(settings.algorithm == "ES256")
        #expect(settings.maxLagBound == 0.25)
        #expect(settings.maxErrorRate == 0.01)
        #expect(settings.shard?.description == "1/4")
        #expect(settings["seed"] == .uint(UInt64.max))
        #expect(settings["future-setting"]?.string == "kept")
        let again = try JSONDecoder().decode(RunSettings.self, from: JSONEncoder().encode(settings))
        #expect(again == settings)
    }

    @Test("the lag bound: --max-lag, else 100 ms, or one think time in the closed model")
    func lagBound() {
        #expect(RunSettings(values: ["model": .string("closed"), "think-time": .double(2)]).maxLagBound == 2)
        #expect(RunSettings(values: ["model": .string("closed"), "think-time": .double(0.01)]).maxLagBound == 0.1)
        #expect(RunSettings(values: ["model": .string("open"), "think-time": .double(2)]).maxLagBound == 0.1)
    }

    @Test("a shard entry out of range is no shard")
    func badShard() {
        for (i, n) in [(4.0, 4.0), (-1, 4), (0, 0), (0.5, 2), (0, 1e9)] {
            let s = RunSettings(values: ["shard": .object(["index": .double(i), "count": .double(n)])])
            #expect(s.shard == nil, "\(i)/\(n)")
        }
    }

    @Test("results committed before the split still load, with their verdicts typed")
    func committedResultsLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../results").standardizedFileURL
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix("result.json") || ($0.contains("result-") && $0.hasSuffix(".json")) } ?? []
        #expect(files.count >= 4, "results/ holds committed result files")
        for file in files {
            let data = try Data(contentsOf: root.appendingPathComponent(file))
            let r = try JSONDecoder().decode(RunResult.self, from: data)
            #expect(r.schema == RunResult.schemaID, "\(file)")
            #expect(r.config.users != nil, "\(file)")
            #expect(r.verdict == (r.aborted != nil ? .unreachable : r.judgedVerdict), "\(file): \(r.verdict)")
        }
    }
}
