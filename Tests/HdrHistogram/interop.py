"""Cross-checks TokenBench's HdrHistogram files with the PyPI `hdrhistogram` package (hdrh).

    python interop.py verify RUN_DIR     # decode RUN_DIR/result.json's histograms and latency.hlog
    python interop.py write FILE.hlog    # write a log with hdrh's HistogramLogWriter; print what it holds

`verify` prints one JSON object: per tag, the count and percentiles hdrh computes from the
sum of the log's intervals, and per operation those of result.json's encoded histogram; it
exits 1 if a count differs or a percentile falls in another bucket than result.json says.
Ranks follow result.json's rule (the ceiling of p × N / 100), so that only the decoding is
compared, not the two libraries' rounding of ranks.
"""
import json
import math
import sys

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader, HistogramLogWriter

LEVELS = [50, 90, 99, 99.9]


def value_at_rank(h, p):
    n = h.get_total_count()
    rank = max(1, math.ceil(p * n / 100 - 1e-9))
    # hdrh rounds p × N / 100 to the nearest rank: ask for the middle of the wanted one.
    return h.get_value_at_percentile((rank - 0.25) * 100 / n)


def same_bucket(h, a, b):
    return h.get_lowest_equivalent_value(int(a)) == h.get_lowest_equivalent_value(int(b))


def verify(run_dir):
    result = json.load(open(run_dir + "/result.json"))
    failures = []
    out = {"operations": {}, "log": {}}
    for op, encoded in result["histograms"]["operations"].items():
        h = HdrHistogram.decode(encoded)
        summary = result["operations"][op]
        entry = {"count": h.get_total_count(), "result_count": summary["count"]}
        if entry["count"] != entry["result_count"]:
            failures.append("%s: hdrh decodes %d samples, result.json counts %d" % (op, entry["count"], entry["result_count"]))
        for p, key in zip(LEVELS, ["p50", "p90", "p99", "p999"]):
            ours = round(summary["latency_us"][key] * 1000)
            theirs = value_at_rank(h, p)
            entry[key] = [theirs, ours]
            if not same_bucket(h, theirs, ours):
                failures.append("%s %s: hdrh %d ns, result.json %d ns" % (op, key, theirs, ours))
        out["operations"][op] = entry
    reader = HistogramLogReader(run_dir + "/latency.hlog", HdrHistogram(1, 3600 * 10**9, 3))
    sums = {}
    intervals = 0
    while True:
        h = reader.get_next_interval_histogram()
        if h is None:
            break
        intervals += 1
        sums.setdefault(h.get_tag(), HdrHistogram(1, 3600 * 10**9, 3)).add(h)
    out["intervals"] = intervals
    for tag, h in sums.items():
        out["log"][tag] = {"count": h.get_total_count(), "p99": value_at_rank(h, 99)}
        if tag in result["operations"]:
            whole = HdrHistogram.decode(result["histograms"]["operations"][tag])
            if h.get_total_count() != whole.get_total_count():
                failures.append("latency.hlog %s: %d samples in its intervals, %d in result.json" % (tag, h.get_total_count(), whole.get_total_count()))
            for p in LEVELS:
                if value_at_rank(h, p) != value_at_rank(whole, p):
                    failures.append("latency.hlog %s p%s differs from result.json's histogram" % (tag, p))
    out["failures"] = failures
    print(json.dumps(out, sort_keys=True))
    return 1 if failures else 0


def write(path):
    with open(path, "w") as f:
        writer = HistogramLogWriter(f)
        writer.output_log_format_version()
        # hdrh's output_start_time() is broken in 0.10.8 (datetime.iso_format): write the line as Java does.
        writer.output_comment("[StartTime: 1796000000.000 (seconds since epoch), Wed Dec 02 00:00:00 UTC 2026]")
        writer.output_base_time(1796000000 * 1000)
        writer.output_legend()
        expected = []
        for i in range(3):
            h = HdrHistogram(1, 3600 * 10**9, 3)
            for k in range(1, 1001):
                h.record_value(k * (i + 1) * 1000)
            h.record_value(10**9 * (i + 1), 5)
            writer.output_interval_histogram(h, start_time_stamp_sec=float(i), end_time_stamp_sec=float(i + 1))
            expected.append({"start": float(i), "count": h.get_total_count(), "max": h.get_max_value(),
                             "p50": h.get_value_at_percentile(50), "p99": h.get_value_at_percentile(99),
                             "min": h.get_min_value()})
    print(json.dumps(expected))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("verify", "write"):
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    sys.exit(verify(sys.argv[2]) if sys.argv[1] == "verify" else write(sys.argv[2]))
