import Foundation
import Synchronization
import TokenAuth
import TokenResults

/// A fault of a run (`--fault`), over a window of the measured time: seconds since the
/// start of measurement (after the warm-up), the timeline's clock.
///
/// | flag | what happens in the window |
/// |---|---|
/// | `store-latency=5ms@10s..20s` | every store call of the in-process core waits 5 ms more |
/// | `store-outage@10s..15s` | every store call fails as unreachable |
/// | `store-errors=10%@10s..20s` | each store call fails with that probability: half before the call reaches the store, half after it did (the answer lost) |
/// | `external@10s..15s` | nothing is injected: the operator stops the real store (or anything) in that window, for any target; the driver measures it the same way |
///
/// The first three go through ``FaultInjectingStore`` (in-process target, every store).
public struct Fault: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Extra latency per store call, seconds.
        case storeLatency(Double)
        case storeOutage
        /// Probability 0 … 1 that a store call fails.
        case storeErrors(Double)
        /// A fault made outside the tool (a real server stopped and started again).
        case external
    }

    public var kind: Kind
    /// Window start and end, seconds since the start of measurement.
    public var from: Double
    public var until: Double

    public init(kind: Kind, from: Double, until: Double) {
        self.kind = kind
        self.from = from
        self.until = until
    }

    /// Whether the tool injects it (else it is `external`).
    public var isInjected: Bool { kind != .external }

    public static let accepted = "store-latency=DURATION@FROM..UNTIL, store-outage@FROM..UNTIL, store-errors=PERCENT@FROM..UNTIL or external@FROM..UNTIL, "
        + "times since the start of measurement, e.g. store-latency=5ms@10s..20s, store-outage@10s..15s, store-errors=10%@10s..20s"

    /// Parses a `--fault` value.
    /// - Throws: ``ConfigurationError`` (`--fault`) naming the accepted forms.
    public init(parsing text: String) throws(ConfigurationError) {
        func fail(_ why: String) -> ConfigurationError {
            ConfigurationError(setting: "--fault", accepted: "\(Self.accepted) (got '\(text)': \(why))")
        }
        let halves = text.split(separator: "@", omittingEmptySubsequences: false)
        guard halves.count == 2 else { throw fail("one @ before the window") }
        let head = halves[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(head[0])
        let value = head.count == 2 ? String(head[1]) : nil
        let window = halves[1].components(separatedBy: "..")
        guard window.count == 2, let from = DurationValue.seconds(window[0]), let until = DurationValue.seconds(window[1]) else {
            throw fail("the window is FROM..UNTIL, two durations such as 10s..20s")
        }
        guard from.isFinite, until.isFinite, from >= 0, until > from, until <= 86_400 else {
            throw fail("the window must start at 0 or later and end after it starts")
        }
        switch name {
        case "store-latency":
            guard let value, let s = DurationValue.seconds(value), s.isFinite, s > 0, s <= 60 else { throw fail("store-latency takes a duration of up to 60s, e.g. =5ms") }
            kind = .storeLatency(s)
        case "store-outage", "external":
            guard value == nil else { throw fail("\(name) takes no value") }
            kind = name == "external" ? .external : .storeOutage
        case "store-errors":
            guard let value, value.hasSuffix("%"), let p = Double(value.dropLast()), p.isFinite, p > 0, p <= 100 else {
                throw fail("store-errors takes a percentage above 0 and up to 100%, e.g. =10%")
            }
            kind = .storeErrors(p / 100)
        default:
            throw fail("unknown fault '\(name)'")
        }
        self.from = from
        self.until = until
    }

    public var description: String {
        func d(_ s: Double) -> String { DurationValue.text(s) }
        let window = "@\(d(from))..\(d(until))"
        switch kind {
        case .storeLatency(let s): return "store-latency=\(d(s))\(window)"
        case .storeOutage: return "store-outage\(window)"
        case .storeErrors(let p): return String(format: "store-errors=%g%%", p * 100) + window
        case .external: return "external\(window)"
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do throws(ConfigurationError) { self = try Fault(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The faults of a run and the clock they are timed by: the driver starts it when the
/// measurement starts; before that (warm-up) no fault is active.
public final class FaultSchedule: Sendable {
    public let faults: [Fault]
    /// Monotonic ns of the start of measurement; 0 until the driver sets it.
    private let origin = Atomic<UInt64>(0)
    /// Store calls the faults changed (delayed or failed).
    private let injected = Atomic<Int>(0)

    public init(_ faults: [Fault]) {
        self.faults = faults
    }

    /// Starts the clock (the driver, at the start of measurement).
    public func start(measureStart: UInt64) {
        origin.store(measureStart, ordering: .releasing)
    }

    /// The injected faults active now.
    @inline(__always)
    package func active(now: UInt64 = monotonicNanoseconds()) -> (latency: Double, outage: Bool, errors: Double)? {
        let o = origin.load(ordering: .acquiring)
        guard o != 0, now > o else { return nil }
        let t = Double(now - o) / 1e9
        var latency = 0.0, outage = false, errors = 0.0
        var any = false
        for f in faults where t >= f.from && t < f.until {
            switch f.kind {
            case .storeLatency(let s): latency += s; any = true
            case .storeOutage: outage = true; any = true
            case .storeErrors(let p): errors = max(errors, p); any = true
            case .external: break
            }
        }
        return any ? (latency, outage, errors) : nil
    }

    package func countInjection() { injected.add(1, ordering: .relaxed) }

    /// Store calls changed so far.
    public var injections: Int { injected.load(ordering: .relaxed) }
}

extension FaultWindowReport {
    /// The report of `fault` over a run's timeline; `all` is every fault of the run (the
    /// others' seconds are no baseline).
    package init(_ fault: Fault, all: [Fault] = [], timeline: [TimelineEntry]) {
        let others = all.filter { $0 != fault }.map { (from: $0.from, until: $0.until) }
        self.init(fault: fault.description, from: fault.from, until: fault.until, others: others, timeline: timeline)
    }
}
