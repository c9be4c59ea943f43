import Foundation

/// The one number formatter of TokenBench's text: every figure a console table, an HTML report,
/// a note or an answer line prints goes through one of these styles.
public enum Units {
    /// Three significant figures or so: `1234`, `56.7`, `8.90` (tables, notes).
    public static func figure(_ v: Double) -> String {
        if v >= 1000 { return String(format: "%.0f", v) }
        if v >= 10 { return String(format: "%.1f", v) }
        return String(format: "%.2f", v)
    }

    /// Thousands grouped for large or whole numbers (`4,800`), else ``figure(_:)`` (`12.5`).
    public static func grouped(_ v: Double) -> String {
        if v >= 1000 || v == v.rounded() {
            guard v.isFinite, abs(v) < 9e18 else { return figure(v) }
            let formatter = NumberFormatter()
            formatter.numberStyle = .decimal
            formatter.maximumFractionDigits = 0
            formatter.locale = Locale(identifier: "en_US")
            return formatter.string(from: NSNumber(value: v.rounded())) ?? String(Int64(v.rounded()))
        }
        return figure(v)
    }

    /// Whole numbers from 100 up, one decimal below (`1234`, `56.7`): compare's columns.
    public static func compact(_ v: Double) -> String {
        v >= 100 ? String(format: "%.0f", v) : String(format: "%.1f", v)
    }

    /// A rate per second, `12.3k` from 10,000 up, else whole (headline tables).
    public static func shortRate(_ v: Double) -> String {
        v >= 10_000 ? String(format: "%.1fk", v / 1000) : String(format: "%.0f", v)
    }

    /// A latency of `us` µs, in ms from 1 ms up: `1.2 ms`, `850 µs` (headline tables).
    public static func shortLatency(us: Double) -> String {
        us >= 1000 ? String(format: "%.1f ms", us / 1000) : String(format: "%.0f µs", us)
    }

    /// A latency of `us` µs, in ms with ``figure(_:)``'s digits: `12.5 ms`, or `850 µs` under 1 ms.
    public static func latency(us: Double) -> String {
        us >= 1000 ? "\(figure(us / 1000)) ms" : "\(figure(us)) µs"
    }

    /// A latency of `us` µs as a number of ms with ``figure(_:)``'s digits (a column in ms).
    public static func milliseconds(us: Double) -> String {
        let v = us / 1000
        if v >= 100 { return String(format: "%.0f", v) }
        return figure(v)
    }

    /// Nanoseconds to µs rounded to `places` decimals: the unit of every latency in `result.json`.
    public static func microseconds(nanoseconds: UInt64, places: Int = 3) -> Double {
        (Double(nanoseconds) / 1000).rounded(toPlaces: places)
    }
}

extension Double {
    /// Rounded to `places` decimals.
    package func rounded(toPlaces places: Int) -> Double {
        let f = Foundation.pow(10.0, Double(places))
        return (self * f).rounded() / f
    }
}

extension Units {
    /// An arrival or operation rate: `4,800 ops/s`.
    public static func opsRate(_ v: Double) -> String { "\(grouped(v)) ops/s" }
}

/// Text safe to print or store where a URL may carry a password.
public enum Redaction {
    /// `text` with the password of a URL's user information replaced by `***`
    /// (`postgres://app:s3cret@db:5432/x` → `postgres://app:***@db:5432/x`), however malformed
    /// the rest; other text unchanged.
    public static func url(_ text: String) -> String {
        guard let scheme = text.range(of: "://") else { return text }
        let rest = text[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return text }
        let userinfo = authority[..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}
