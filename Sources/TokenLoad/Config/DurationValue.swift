import Foundation

/// Parses human durations: `250ms`, `30s`, `2m`, `1h`, `1.5s`, or a bare number of seconds.
public enum DurationValue {
    /// - Returns: seconds, or `nil` when the text is not a non-negative finite duration.
    public static func seconds(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !t.isEmpty else { return nil }
        let units: [(String, Double)] = [("ms", 0.001), ("us", 0.000_001), ("µs", 0.000_001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count)), v.isFinite, v >= 0 else { return nil }
            return v * factor
        }
        guard let v = Double(t), v.isFinite, v >= 0 else { return nil }
        return v
    }

    /// A duration as short text that ``seconds(_:)`` reads back: `5ms`, `10s`, `1.5s`.
    public static func text(_ seconds: Double) -> String {
        if seconds > 0, seconds < 1 { return String(format: "%gms", seconds * 1000) }
        return String(format: "%gs", seconds)
    }
}

import Foundation

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
