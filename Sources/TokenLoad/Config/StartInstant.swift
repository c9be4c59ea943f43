import Foundation
import TokenResults

/// `--start-at`: an instant as RFC 3339 (with or without fractional seconds, `Z` or an
/// offset) or Unix seconds.
public enum StartInstant {
    /// Unix seconds, or `nil` for text that is neither form.
    public static func parse(_ text: String) -> Double? {
        if let v = Double(text), v.isFinite, v > 0, text.allSatisfy({ $0.isNumber || $0 == "." }) { return v }
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            let f = ISO8601DateFormatter()
            f.formatOptions = options
            if let d = f.date(from: text) { return d.timeIntervalSince1970 }
        }
        return nil
    }

    /// RFC 3339 with milliseconds, UTC.
    public static func format(_ t: Double) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: t))
    }
}
