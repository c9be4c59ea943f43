import Foundation

/// One interval of an HdrHistogram log: a tagged histogram of what completed in a time range.
public struct HistogramLogInterval: Sendable {
    /// `login`, `access`, `refresh`, `logout` or an in-process phase (`sign`, `store_rotate`, …);
    /// `nil` for an untagged line.
    public var tag: String?
    /// Start, seconds since the log's base time (its start time unless the log says otherwise).
    public var startS: Double
    /// Length, seconds.
    public var lengthS: Double
    /// The interval's largest value, ms (the log's `Interval_Max`, values ÷ 10⁶).
    public var maxMs: Double
    /// The compressed V2 histogram, base64 (``HdrHistogramCodec``), values in ns.
    public var encoded: String

    public init(tag: String?, startS: Double, lengthS: Double, maxMs: Double, encoded: String) {
        self.tag = tag
        self.startS = startS
        self.lengthS = lengthS
        self.maxMs = maxMs
        self.encoded = encoded
    }

    /// The interval of a histogram of nanoseconds.
    public init(tag: String?, startS: Double, lengthS: Double, histogram: LatencyHistogram) {
        self.init(tag: tag, startS: startS, lengthS: lengthS, maxMs: Double(histogram.max) / 1e6,
                  encoded: HdrHistogramCodec.encode(histogram))
    }
}

/// `latency.hlog`: HdrHistogram's interval log (format version 1.3, as HdrHistogram's Java
/// `HistogramLogWriter` writes it and its ports read it): a `#[StartTime: …]` and a
/// `#[BaseTime: …]` header (Unix seconds), the CSV legend, then one line per interval,
/// `Tag=NAME,START,LENGTH,MAX,HISTFAAA…` (seconds relative to the base time, max in ms, a
/// compressed V2 histogram of ns). TokenBench closes its own logs with
/// `#[TokenBench intervals: N]`, so that a log cut at a line boundary is still seen as truncated.
public struct HistogramLog: Sendable {
    /// The wall-clock instant the intervals count from, Unix seconds.
    public var startTime: Double
    /// What interval times are relative to, Unix seconds (equal to ``startTime`` in our logs).
    public var baseTime: Double
    /// The intervals held in memory (after the spooled ones, if any).
    public var intervals: [HistogramLogInterval]
    /// Where earlier intervals' lines went instead of memory, for a long run (``LineSpool``):
    /// a run's log grows by every second's histograms (one per operation and phase, a few
    /// hundred bytes each: about 6.5 MB in a 30-minute in-process soak).
    public var spool: LineSpool?

    /// Intervals in the log: spooled and in memory.
    public var intervalCount: Int { (spool?.count ?? 0) + intervals.count }

    public init(startTime: Double, baseTime: Double? = nil, intervals: [HistogramLogInterval] = []) {
        self.startTime = startTime
        self.baseTime = baseTime ?? startTime
        self.intervals = intervals
    }

    package static let trailerPrefix = "#[TokenBench intervals: "
    package static let legend = "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\""

    /// The header lines: format version, start and base time, units, the legend.
    public static func header(startTime: Double, baseTime: Double) -> String {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return """
            #[Histogram log format version 1.3]
            #[StartTime: \(String(format: "%.3f", startTime)) (seconds since epoch), \(iso.string(from: Date(timeIntervalSince1970: startTime)))]
            #[BaseTime: \(String(format: "%.3f", baseTime)) (seconds since epoch)]
            #[TokenBench: values in nanoseconds, Interval_Max in milliseconds; one interval per operation or phase per second]
            \(legend)

            """
    }

    /// One interval line (with its newline).
    public static func line(_ i: HistogramLogInterval) -> String {
        let tag = i.tag.map { "Tag=\($0)," } ?? ""
        return "\(tag)\(String(format: "%.3f,%.3f,%.3f", i.startS, i.lengthS, i.maxMs)),\(i.encoded)\n"
    }

    /// The whole log as text, trailer included: the spooled lines, then those in memory.
    public func text() -> String {
        var out = Self.header(startTime: startTime, baseTime: baseTime)
        if let spool { out += spool.contents() }
        for i in intervals { out += Self.line(i) }
        out += "\(Self.trailerPrefix)\(intervalCount)]\n"
        return out
    }

    /// The errors of reading a log: the line and what is wrong with it.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Reads a log. Lines other than comments, the legend and intervals are errors; so is a
    /// TokenBench log without its trailer or with a count that does not match (truncated).
    /// Histograms are checked to decode.
    /// - Parameters:
    ///   - text: the file's contents.
    ///   - checkHistograms: decode every histogram to check it (off when the caller decodes
    ///     them anyway, as the merge does).
    /// - Throws: ``ParseError`` naming the line.
    public static func parse(_ text: String, checkHistograms: Bool = true) throws(ParseError) -> HistogramLog {
        var log = HistogramLog(startTime: 0, baseTime: 0)
        var sawStart = false, sawBase = false, ours = false
        var trailer: Int?
        var number = 0
        // Lines and fields are found on the UTF-8 bytes (a log holds hundreds of thousands of
        // long base64 lines; splitting them as Characters was most of a merge's time).
        let comma = UInt8(ascii: ",")
        for rawBytes in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            let bytes = rawBytes.last == UInt8(ascii: "\r") ? rawBytes.dropLast() : rawBytes[...]
            if bytes.isEmpty { continue }
            func fail(_ why: String) -> ParseError { ParseError(description: "line \(number): \(why)") }
            if trailer != nil { throw fail("text after the closing line") }
            if bytes.first == UInt8(ascii: "#") || bytes.first == UInt8(ascii: "\"") {
                let line = Substring(bytes)
                if line.hasPrefix("\"StartTimestamp\"") { continue }
                guard line.hasPrefix("#") else { throw fail("expected [Tag=NAME,]START,LENGTH,MAX,HISTOGRAM") }
                if let v = Self.number(after: "#[StartTime: ", in: line) {
                    log.startTime = v
                    sawStart = true
                } else if let v = Self.number(after: "#[BaseTime: ", in: line) {
                    log.baseTime = v
                    sawBase = true
                } else if line.hasPrefix(trailerPrefix) {
                    guard line.hasSuffix("]"), let n = Int(line.dropFirst(trailerPrefix.count).dropLast()) else { throw fail("a malformed closing line") }
                    trailer = n
                } else if line.hasPrefix("#[TokenBench:") {
                    ours = true
                }
                continue
            }
            var rest = bytes
            var tag: String?
            if rest.starts(with: "Tag=".utf8) {
                guard let end = rest.firstIndex(of: comma) else { throw fail("a tag without an interval") }
                tag = String(Substring(rest[rest.index(rest.startIndex, offsetBy: 4)..<end]))
                rest = rest[rest.index(after: end)...]
            }
            let fields = rest.split(separator: comma, maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count == 4, let start = Double(Substring(fields[0])), let length = Double(Substring(fields[1])),
                  let max = Double(Substring(fields[2])), start.isFinite, length.isFinite, length >= 0, max.isFinite
            else { throw fail("expected [Tag=NAME,]START,LENGTH,MAX,HISTOGRAM") }
            let encoded = String(Substring(fields[3]))
            if checkHistograms {
                do { _ = try HdrHistogramCodec.decode(encoded) } catch { throw fail("its histogram does not decode: \(error)") }
            }
            log.intervals.append(HistogramLogInterval(tag: tag, startS: start, lengthS: length, maxMs: max, encoded: encoded))
        }
        if !sawStart { log.startTime = sawBase ? log.baseTime : (log.intervals.first?.startS ?? 0) }
        if !sawBase {
            // As HdrHistogram's readers decide: timestamps more than a year before the start
            // time are relative to it, otherwise absolute.
            let first = log.intervals.first?.startS ?? 0
            log.baseTime = first < log.startTime - 365 * 24 * 3600 ? log.startTime : 0
        }
        if ours {
            guard let trailer else {
                throw ParseError(description: "truncated: the log ends after \(log.intervals.count) intervals without its closing line")
            }
            guard trailer == log.intervals.count else {
                throw ParseError(description: "truncated: the closing line counts \(trailer) intervals, \(log.intervals.count) were read")
            }
        }
        return log
    }

    /// Reads the log at `path`.
    /// - Throws: ``ParseError`` for a file that cannot be read or parsed.
    public static func read(path: String, checkHistograms: Bool = true) throws(ParseError) -> HistogramLog {
        guard let data = FileManager.default.contents(atPath: path) else { throw ParseError(description: "\(path): cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw ParseError(description: "\(path): not UTF-8 text") }
        do { return try parse(text, checkHistograms: checkHistograms) } catch { throw ParseError(description: "\(path): \(error.description)") }
    }

    package static func number(after prefix: String, in line: Substring) -> Double? {
        guard line.hasPrefix(prefix) else { return nil }
        let rest = line.dropFirst(prefix.count)
        return Double(rest.prefix { $0.isNumber || $0 == "." })
    }
}
