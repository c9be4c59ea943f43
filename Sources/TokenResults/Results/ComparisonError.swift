import Foundation

/// A comparison that cannot be made.
public struct ComparisonError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
