import Histogram

/// An HDR histogram of latencies in nanoseconds (1 ns … 1 h, 3 significant digits), from
/// HdrHistogram/hdrhistogram-swift. Mergeable: per-worker histograms are added at the end.
public typealias LatencyHistogram = Histogram<UInt64>

extension Histogram where Count == UInt64 {
    /// A histogram for latencies in nanoseconds, up to one hour.
    package static func latency() -> Histogram<UInt64> {
        var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000,
                                  numberOfSignificantValueDigits: .three)
        h.autoResize = true
        return h
    }

    /// A coarse histogram (2 significant digits) for per-second intervals.
    package static func interval() -> Histogram<UInt64> {
        var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000,
                                  numberOfSignificantValueDigits: .two)
        h.autoResize = true
        return h
    }
}
