/// A bad HTTP-target setting: the flag and what it accepts.
public struct HTTPTargetError: Error, Sendable, Hashable {
    public var flag: String
    public var accepted: String
    package init(_ flag: String, _ accepted: String) {
        self.flag = flag
        self.accepted = accepted
    }
}
