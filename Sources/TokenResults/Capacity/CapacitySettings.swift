import Foundation

/// How `tokenbench capacity` searches: rates are arrivals per second of the open model.
public struct CapacitySettings: Codable, Sendable, Hashable {
    /// The first rate tried, per second.
    public var startRate: Double
    /// The highest rate tried, per second; still passing there, the answer is "at least".
    public var maxRate: Double
    /// Each step's measured window, seconds.
    public var stepDuration: Double
    /// Each step's warm-up before its window, seconds (logins, first refreshes).
    public var stepWarmup: Double
    /// Bisect until the gap between the last pass and the first failure is at most this share of
    /// the pass (0.05: 5 %).
    public var precision: Double
    /// Confirmation steps at the answer, all of which must pass.
    public var confirm: Int
    /// The operation whose arrival rate is searched (`--for refresh`), the other streams held
    /// at their `--rate`; `nil`: the arrivals of the open model (each a resource call, the
    /// refreshes following from the token lifetime).
    public var operation: String?

    /// The searched rate as text: `1,234 refreshes/s` with `--for refresh`, else `1,234 ops/s`.
    public func rateText(_ rate: Double) -> String {
        operation == "refresh" ? "\(Units.grouped(rate)) refreshes/s" : Units.opsRate(rate)
    }

    public init(startRate: Double, maxRate: Double, stepDuration: Double, stepWarmup: Double,
                precision: Double = 0.05, confirm: Int = 3, operation: String? = nil) {
        self.operation = operation
        self.startRate = startRate
        self.maxRate = maxRate
        self.stepDuration = stepDuration
        self.stepWarmup = stepWarmup
        self.precision = precision
        self.confirm = confirm
    }

    enum CodingKeys: String, CodingKey {
        case precision, confirm, operation
        case startRate = "start_rate"
        case maxRate = "max_rate"
        case stepDuration = "step_duration_s"
        case stepWarmup = "step_warmup_s"
    }

    /// Checks ranges and that the bounds agree.
    /// - Throws: ``SettingError`` naming the flag.
    public func validate() throws(SettingError) {
        func need(_ ok: Bool, _ flag: String, _ accepted: String) throws(SettingError) {
            if !ok { throw SettingError(setting: flag, accepted: accepted) }
        }
        try need(startRate.isFinite && startRate > 0 && startRate <= 10_000_000, "--start-rate", "a rate > 0 per second, e.g. 100")
        try need(maxRate.isFinite && maxRate <= 10_000_000, "--max-rate", "a rate of at most 10000000 per second")
        try need(maxRate >= startRate, "--max-rate", "a rate ≥ --start-rate (\(Units.figure(startRate))/s)")
        try need(stepDuration.isFinite && stepDuration >= 1 && stepDuration <= 3600, "--step-duration", "a duration of 1s ... 1h")
        try need(stepWarmup.isFinite && stepWarmup >= 0 && stepWarmup <= 3600, "--step-warmup", "a duration of 0 ... 1h")
        try need(precision.isFinite && precision >= 0.001 && precision <= 0.5, "--precision", "a share of 0.1% ... 50%, e.g. 5%")
        try need((1...20).contains(confirm), "--confirm", "an integer 1 ... 20")
        try need(operation == nil || operation == "refresh", "--for", "arrivals or refresh")
    }
}
