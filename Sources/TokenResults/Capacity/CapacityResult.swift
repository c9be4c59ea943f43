import Foundation

/// `capacity.json`, schema `tokenbench.capacity/v1`.
public struct CapacityResult: Codable, Sendable {
    public static let schemaID = "tokenbench.capacity/v1"
    public var schema = CapacityResult.schemaID
    public var scenario: String?
    /// The settings every step shares (its `rate`, `duration` and `warmup` are each step's own).
    public var config: RunSettings
    public var environment: RunEnvironment
    public var slo: [String]
    public var search: CapacitySettings
    /// Whether the driver's scheduling lag can tell a generator-bound step: `false` in-process,
    /// where the core runs on the driver's own threads (the capacity found is the process's).
    public var judgesDriverLag: Bool
    public var steps: [CapacityStep]
    public var answer: CapacityAnswer

    public init(scenario: String?, config: RunSettings, environment: RunEnvironment, slo: [String],
                search: CapacitySettings, judgesDriverLag: Bool, steps: [CapacityStep], answer: CapacityAnswer) {
        self.scenario = scenario
        self.config = config
        self.environment = environment
        self.slo = slo
        self.search = search
        self.judgesDriverLag = judgesDriverLag
        self.steps = steps
        self.answer = answer
    }

    enum CodingKeys: String, CodingKey {
        case schema, scenario, config, environment, slo, search, steps, answer
        case judgesDriverLag = "judges_driver_lag"
    }

    /// Pretty, key-sorted JSON.
    public func jsonData() throws -> Data { try prettyJSON(self) }
}
