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

