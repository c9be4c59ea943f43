/// A flag or file value that results code cannot accept (`--slo`, `--threshold`, capacity
/// settings): exit 64 (``Verdict/badInput``).
public struct SettingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The flag, e.g. `--slo`.
    public var setting: String
    /// What is accepted, e.g. "OP.METRIC<VALUE".
    public var accepted: String

    public init(setting: String, accepted: String) {
        self.setting = setting
        self.accepted = accepted
    }

    public var description: String { "invalid \(setting): accepted \(accepted)" }
}
