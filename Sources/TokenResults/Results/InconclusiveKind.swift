import Foundation

/// The classes of reasons that make a run inconclusive.
public enum InconclusiveKind: String, Sendable, Hashable, Codable {
    /// An operation or hostile case the settings imply never happened.
    case notExercised = "not_exercised"
    /// An operation's error rate was over `--max-error-rate`.
    case errorBudget = "error_budget"
    /// The driver's scheduling lag p99 was over `--max-lag`.
    case driverSaturated = "driver_saturated"
}
