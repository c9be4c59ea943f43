import Foundation

/// The `config` section of `result.json` and `capacity.json`: the settings a run was given, as
/// a plain record of the driver's configuration (keys are the `run` flags without their dashes:
/// `users`, `rate`, `access-ttl`, …).
///
/// It is the driver's configuration written as JSON, kept member by member, so that files alone
/// can be merged, compared and reported: nothing here needs the driver. Typed accessors read the
/// settings that results are judged by.
public struct RunSettings: Codable, Sendable, Hashable {
    /// Every setting by its key.
    public var values: [String: JSONValue]

    public init(values: [String: JSONValue] = [:]) {
        self.values = values
    }

    /// The record of any encodable configuration (the driver's `LoadConfiguration`).
    /// Non-finite numbers are written as the strings `inf`, `-inf`, `nan`.
    /// - Throws: `EncodingError` when the value does not encode as a JSON object.
    public init(encoding settings: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(settings)
        values = try JSONDecoder().decode([String: JSONValue].self, from: data)
    }

    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: JSONValue].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(values)
    }

    /// The record read back as a configuration type (the driver's `LoadConfiguration`).
    /// - Throws: `DecodingError` when the record does not have that type's shape.
    public func decode<Settings: Decodable>(as type: Settings.Type) throws -> Settings {
        try JSONDecoder().decode(type, from: JSONEncoder().encode(values))
    }

    public subscript(key: String) -> JSONValue? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// `closed` or `open`.
    public var model: String? { values["model"]?.string }
    /// Virtual users (all shards together).
    public var users: Int? { values["users"]?.number.map { Int($0.clamped(to: -9e15 ... 9e15)) } }
    /// Open model: intended arrivals per second (all shards together).
    public var rate: Double? { values["rate"]?.number }
    /// `--rate refresh=N`: refresh arrivals per second, when refreshes have their own rate.
    public var refreshRate: Double? { values["refresh-rate"]?.number }
    /// Measured seconds.
    public var duration: Double? { values["duration"]?.number }
    /// `in-process`, `noop`, `simulated:…` or a URL.
    public var target: String? { values["target"]?.string }
    /// The access-token algorithm of an in-process core (`HS256`, `ES256`, …).
    public var algorithm: String? { values["alg"]?.string }
    /// `--max-error-rate`: a ratio 0 … 1 (default 0.01).
    public var maxErrorRate: Double { values["max-error-rate"]?.number ?? 0.01 }
    /// `--shard I/N` of the process that wrote the result, when it was one shard of a run;
    /// `nil` also for a `shard` entry that is not `0 ≤ I < N ≤ 10^6`.
    public var shard: Shard? {
        guard let s = values["shard"]?.object, let i = s["index"]?.number, let n = s["count"]?.number,
              i >= 0, n >= 1, i < n, n <= 1e6, i == i.rounded(), n == n.rounded() else { return nil }
        return Shard(index: Int(i), count: Int(n))
    }

    /// One shard of a run: `index` of `count`, 0-based.
    public struct Shard: Sendable, Hashable, CustomStringConvertible {
        public var index: Int
        public var count: Int
        /// `I/N`.
        public var description: String { "\(index)/\(count)" }
    }

    /// The bound on the driver's scheduling lag p99 above which a run is inconclusive, seconds:
    /// `--max-lag` when given; else 100 ms, or one think time if longer in the closed model
    /// (users a whole think time late have lost their schedule).
    public var maxLagBound: Double {
        Self.maxLagBound(maxLag: values["max-lag"]?.number, closedModel: model != "open",
                         thinkTime: values["think-time"]?.number ?? 1)
    }

    /// The rule of ``maxLagBound``, shared with the driver's configuration, seconds.
    public static func maxLagBound(maxLag: Double?, closedModel: Bool, thinkTime: Double) -> Double {
        if let maxLag { return maxLag }
        return closedModel ? max(0.1, thinkTime) : 0.1
    }

    /// The keys whose values differ between two records, sorted.
    public func differences(from other: RunSettings) -> [String] {
        Set(values.keys).union(other.values.keys).filter { values[$0] != other.values[$0] }.sorted()
    }
}

extension Comparable {
    package func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
