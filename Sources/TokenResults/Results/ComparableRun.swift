import Foundation

/// The parts of a `result.json` a comparison reads. Decoding only these keeps old results
/// comparable when later schema versions add fields.
public struct ComparableRun: Decodable, Sendable {
    package struct Invariants: Decodable, Sendable {
        package var violations: Int
    }

    package struct Store: Decodable, Sendable {
        package var backend: String
    }

    package var schema: String
    package var scenario: String?
    package var config: RunSettings
    package var operations: [String: OperationSummary]
    package var phases: [String: OperationSummary]
    package var invariants: Invariants
    package var store: Store?
    /// `pass`, `inconclusive`, …; absent in results written before the verdict had more values.
    package var verdict: String?
    package var inconclusive: [String]?

    package init(schema: String, scenario: String? = nil, config: RunSettings, operations: [String: OperationSummary], phases: [String: OperationSummary], invariants: Invariants, store: Store? = nil, verdict: String? = nil, inconclusive: [String]? = nil) {
        self.schema = schema
        self.scenario = scenario
        self.config = config
        self.operations = operations
        self.phases = phases
        self.invariants = invariants
        self.store = store
        self.verdict = verdict
        self.inconclusive = inconclusive
    }
}
