import Foundation
import TokenResults

/// RFC 6901 JSON pointers, evaluated on `JSONSerialization` output: `/a/b/0`, with `~1` for
/// `/` and `~0` for `~`; the empty pointer is the whole document.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    package let tokens: [String]
    public let description: String

    /// - Returns: `nil` unless `text` is empty or starts with `/`.
    public init?(_ text: String) {
        guard text.isEmpty || text.hasPrefix("/") else { return nil }
        description = text
        tokens = text.isEmpty ? [] : text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    /// The value the pointer names in `document`, or `nil`.
    public func resolve(in document: Any) -> Any? {
        var current: Any = document
        for token in tokens {
            if let object = current as? [String: Any], let next = object[token] {
                current = next
            } else if let array = current as? [Any], let index = Int(token), index >= 0, index < array.count,
                      token == String(index) {
                current = array[index]
            } else {
                return nil
            }
        }
        return current
    }
}
