import TokenAuth
import TokenResults

/// One stage of a ramping load (`--stages '30s:100,2m:1000,30s:0'`, as k6's `stages`): over
/// `duration` seconds the level moves linearly from the previous stage's target (0 before the
/// first) to `target`: virtual users in the closed model, operations per second in the open one
/// (`30s:500/s`).
public struct LoadStage: Sendable, Hashable, Codable {
    /// Seconds.
    public var duration: Double
    /// Virtual users (closed model) or arrivals per second (open model) at the stage's end.
    public var target: Double

    public init(duration: Double, target: Double) {
        self.duration = duration
        self.target = target
    }

    /// Parses `DURATION:TARGET[,…]`, every target a count of users (`100`) or every one a rate
    /// (`100/s`).
    /// - Returns: the stages and whether they are rates (open model).
    /// - Throws: ``ConfigurationError`` (`--stages`) for anything else.
    public static func parse(_ text: String) throws(ConfigurationError) -> (stages: [LoadStage], rates: Bool) {
        let fail = ConfigurationError(setting: "--stages", accepted: "DURATION:TARGET,… with every target a number of users (30s:100,2m:1000,30s:0) or every one a rate (30s:100/s,2m:1000/s)")
        var stages: [LoadStage] = []
        var kinds = Set<Bool>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count == 2, let duration = DurationValue.seconds(String(pieces[0])), duration > 0, duration <= 86_400 else { throw fail }
            var target = String(pieces[1])
            let rate = target.hasSuffix("/s")
            if rate { target.removeLast(2) }
            guard let value = Double(target), value.isFinite, value >= 0, value <= 10_000_000 else { throw fail }
            if !rate, value.rounded() != value { throw fail }
            kinds.insert(rate)
            stages.append(LoadStage(duration: duration, target: value))
        }
        guard !stages.isEmpty, kinds.count == 1, stages.contains(where: { $0.target > 0 }) else { throw fail }
        return (stages, kinds.first!)
    }
}

/// The load level over a run, in seconds from its start: constant, or the piecewise-linear ramp
/// of ``LoadStage``s. Answers the two questions the workers ask: is closed-model user `n` active
/// now, and when is the `k`-th arrival of the open model due.
package struct LoadSchedule: Sendable {
    /// (start, duration, from, to) per segment.
    private let segments: [(start: Double, duration: Double, from: Double, to: Double)]
    /// Arrivals before each segment (open model): ∫ rate.
    private let cumulative: [Double]
    /// The level when there are no stages.
    private let constant: Double?

    /// A constant level for the whole run.
    package init(constant level: Double) {
        segments = []
        cumulative = []
        constant = level
    }

    package init(stages: [LoadStage]) {
        var segments: [(start: Double, duration: Double, from: Double, to: Double)] = []
        var cumulative: [Double] = []
        var start = 0.0, from = 0.0, total = 0.0
        for stage in stages {
            segments.append((start, stage.duration, from, stage.target))
            cumulative.append(total)
            total += (from + stage.target) / 2 * stage.duration
            start += stage.duration
            from = stage.target
        }
        self.segments = segments
        self.cumulative = cumulative
        constant = nil
    }

    /// The level at `t` seconds: users or arrivals per second.
    package func level(at t: Double) -> Double {
        if let constant { return constant }
        for s in segments where t < s.start + s.duration {
            guard t >= s.start else { return s.from }
            return s.from + (s.to - s.from) * (t - s.start) / s.duration
        }
        return segments.last?.to ?? 0
    }

    /// Closed model: the first time ≥ `t` at which user `n` (0-based) is active, that is the
    /// level exceeds `n`; `nil` if never again.
    package func activation(of n: Int, after t: Double) -> Double? {
        let threshold = Double(n)
        if let constant { return constant > threshold ? t : nil }
        if level(at: t) > threshold { return t }
        for s in segments where s.start + s.duration > t {
            // The level where this segment starts to matter: at t inside it, else at its start.
            let from = t > s.start ? s.from + (s.to - s.from) * (t - s.start) / s.duration : s.from
            if from > threshold { return max(t, s.start) }
            if s.to > threshold {
                // The level rises through n inside this segment; a hair later it exceeds it.
                let crossing = s.start + (threshold - s.from) / (s.to - s.from) * s.duration
                return max(t, min(crossing + 1e-6, s.start + s.duration))
            }
        }
        return nil
    }

    /// Open model: when the arrival `k + ½` of the whole run falls (seconds from the start), so
    /// that user `n` of `N` takes arrivals `n, n + N, n + 2N, …`; `nil` past the last stage.
    /// For a constant rate `r` this is `(k + ½) / r`.
    package func arrival(_ k: Double) -> Double? {
        let x = k + 0.5
        if let constant { return constant > 0 ? x / constant : nil }
        for (i, s) in segments.enumerated() {
            let inSegment = (s.from + s.to) / 2 * s.duration
            let r = x - cumulative[i]
            guard r <= inSegment else { continue }
            // Solve from·u + (to − from)·u²/(2·d) = r for u in [0, d], in the form that stays
            // stable when `from` is 0 or the ramp falls.
            let slope = (s.to - s.from) / s.duration
            let root = (s.from * s.from + 2 * slope * r).squareRoot()
            let denominator = s.from + root
            return s.start + (denominator > 0 ? 2 * r / denominator : 0)
        }
        return nil
    }
}
