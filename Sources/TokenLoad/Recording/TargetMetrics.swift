import Foundation
import NIOCore
import NIOHTTP1
import TokenHTTPClient

/// `--target-metrics`: the Prometheus endpoints of the servers under load, whose
/// `process_cpu_seconds_total` (the standard process metric of Prometheus client libraries)
/// gives the servers' CPU time where their processes are not on this machine.
public struct TargetMetricsSource: Sendable, Hashable {
    /// Each server's metrics URL, e.g. `http://10.0.0.5:8080/metrics`.
    public var urls: [String]
    /// How to trust an HTTPS endpoint.
    public var tls: TLSSettings

    public init(urls: [String], tls: TLSSettings = TLSSettings()) {
        self.urls = urls
        self.tls = tls
    }

    /// The metric read: user plus system CPU time of the process, seconds, a counter.
    public static let metric = "process_cpu_seconds_total"

    /// Checks that every URL is `http(s)://HOST[:PORT]/PATH` without query or fragment.
    /// - Throws: ``HTTPTargetError`` for `--target-metrics`.
    public func validate() throws(HTTPTargetError) {
        for url in urls where Self.split(url) == nil {
            throw HTTPTargetError("--target-metrics", "a server's Prometheus endpoint such as http://127.0.0.1:8080/metrics (got '\(url)')")
        }
    }

    /// The origin and the path of a metrics URL.
    static func split(_ text: String) -> (origin: String, path: String)? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil, url.user == nil else { return nil }
        let origin = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host)" + (url.port.map { ":\($0)" } ?? "")
        return (origin, url.path.isEmpty ? "/" : url.path)
    }
}

/// Reads ``TargetMetricsSource`` endpoints: one keep-alive connection each.
package struct TargetMetricsReader: Sendable {
    let source: TargetMetricsSource
    let readers: [(url: String, target: HTTPTarget, path: String)]

    package init(_ source: TargetMetricsSource, timeout: Double = 5) throws(HTTPTargetError) {
        try source.validate()
        self.source = source
        var readers: [(url: String, target: HTTPTarget, path: String)] = []
        for url in source.urls {
            let (origin, path) = TargetMetricsSource.split(url)!
            readers.append((url, try HTTPTarget(url: origin, profile: .oauth2, connections: 1, timeout: timeout, tls: source.tls), path))
        }
        self.readers = readers
    }

    /// The servers' CPU time now, summed, seconds; or why it could not be read, naming the URL.
    package func cpuSeconds() async -> Result<Double, TargetMetricsFailure> {
        var total = 0.0
        for r in readers {
            guard let answer = await r.target.fetch(HTTPRequestSpec(method: .GET, path: r.path, headers: ["Accept": "text/plain"])) else {
                return .failure(TargetMetricsFailure(url: r.url, reason: "no answer"))
            }
            guard answer.status == 200 else { return .failure(TargetMetricsFailure(url: r.url, reason: "status \(answer.status)")) }
            guard let seconds = PrometheusText.sum(of: TargetMetricsSource.metric, in: answer.body.readableBytesView) else {
                return .failure(TargetMetricsFailure(url: r.url, reason: "no \(TargetMetricsSource.metric) in its answer"))
            }
            total += seconds
        }
        return .success(total)
    }

    /// The name `result.json` gives the servers: the URL, or how many.
    package var name: String {
        readers.count == 1 ? "\(TargetMetricsSource.metric) of \(readers[0].url)" : "\(TargetMetricsSource.metric) of \(readers.count) servers"
    }

    package func shutdown() async {
        for r in readers { await r.target.shutdown() }
    }
}

/// Why a metrics endpoint gave no CPU time.
package struct TargetMetricsFailure: Error, Sendable, Hashable, CustomStringConvertible {
    package var url: String
    package var reason: String
    package var description: String { "--target-metrics \(url): \(reason)" }
}

/// The Prometheus text exposition format (version 0.0.4), read for one metric.
package enum PrometheusText {
    /// The sum of every sample of `name` (with any labels) in `text`, or `nil` when there is
    /// none, or one whose value is not a finite number ≥ 0. Comment lines (`#`) and other
    /// metrics are skipped; a timestamp after the value is ignored. Pure, for any bytes: the
    /// fuzz target `answer` feeds it.
    package static func sum(of name: String, in text: some Collection<UInt8>) -> Double? {
        let key = Array(name.utf8)
        var total = 0.0
        var found = false
        for line in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            let line = Array(line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
            guard line.count > key.count, line.starts(with: key) else { continue }
            var rest = line[key.count...]
            switch rest.first {
            case UInt8(ascii: "{"):
                // Labels: skip to the closing brace outside a quoted value.
                var quoted = false, escaped = false, end: Int? = nil
                for i in rest.indices {
                    let byte = rest[i]
                    if escaped { escaped = false; continue }
                    if byte == UInt8(ascii: "\\") { escaped = quoted; continue }
                    if byte == UInt8(ascii: "\"") { quoted.toggle(); continue }
                    if byte == UInt8(ascii: "}"), !quoted { end = i; break }
                }
                guard let end else { return nil }
                rest = rest[(end + 1)...]
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                break
            default:
                continue // another metric whose name starts with this one's
            }
            let fields = rest.split { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
            guard let first = fields.first, first.count <= 64,
                  let value = Double(String(decoding: first, as: UTF8.self)), value.isFinite, value >= 0 else { return nil }
            total += value
            found = true
        }
        return found && total.isFinite ? total : nil
    }
}
