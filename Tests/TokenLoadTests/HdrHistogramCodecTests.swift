import ExtrasBase64
import Foundation
import Testing
import TokenAuth
@testable import TokenLoad
@testable import TokenResults
@testable import TokenReport
@testable import TokenHTTPClient
@testable import TokenProbe

@Suite("HdrHistogram V2 encoding and interval logs")
struct HdrHistogramCodecTests {
    /// A histogram of `values` (ns), as the driver records them.
    func histogram(_ values: some Sequence<UInt64>) -> LatencyHistogram {
        var h = LatencyHistogram.latency()
        for v in values { _ = h.record(v) }
        return h
    }

    /// Deterministic samples over seven decades, with repeats.
    var samples: [UInt64] {
        var out: [UInt64] = []
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<20_000 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            let decade = UInt64(i % 7)
            var scale: UInt64 = 1
            for _ in 0..<decade { scale *= 10 }
            out.append(1 + (x % 9_000) * scale)
        }
        return out + [1, 1, 2, 2047, 2048, 2049, 3_600_000_000_000]
    }

    @Test("a histogram decodes to the same buckets, counts and percentiles")
    func roundTrip() throws {
        let h = histogram(samples)
        let decoded = try HdrHistogramCodec.decode(HdrHistogramCodec.encode(h))
        #expect(decoded.totalCount == h.totalCount)
        #expect(decoded.significantDigits == .three)
        #expect(decoded.lowestDiscernibleValue == 1)
        let back = decoded.histogram()
        #expect(back.totalCount == h.totalCount)
        // Below the top bucket, exactly; the maximum to its bucket (the encoding keeps
        // buckets, and HdrHistogram's decoders report a bucket's highest value).
        for p in [0.0, 1, 10, 50, 90, 99, 99.9] {
            #expect(back.valueAtPercentile(p) == h.valueAtPercentile(p), "p\(p)")
        }
        for p in [99.99, 100] { #expect(h.valuesAreEquivalent(back.valueAtPercentile(p), h.valueAtPercentile(p)), "p\(p)") }
        #expect(back.max == h.highestEquivalentForValue(h.max))
        // The merge's summaries straight from the buckets equal the histogram's.
        for p in [0.0, 0.5, 1, 10, 50, 77.7, 90, 99, 99.9, 99.99, 100] {
            #expect(decoded.valueAtPercentile(p) == back.valueAtPercentile(p), "p\(p) from the buckets")
        }
        #expect(decoded.maxValue == back.max)
        let small = try HdrHistogramCodec.decode(HdrHistogramCodec.encode(histogram([5, 5, 70_000, 3_000_000])))
        for p in [1.0, 50, 51, 75, 99, 100] { #expect(small.valueAtPercentile(p) == small.histogram().valueAtPercentile(p), "p\(p)") }
        #expect(back.min == h.min)
        // Every recorded bucket, in order.
        let original = h.recordedValues().map { (h.lowestEquivalentForValue($0.value), UInt64($0.count)) }
        #expect(decoded.buckets.count == original.count)
        #expect(zip(decoded.buckets, original).allSatisfy { $0.0.value == $0.1.0 && $0.0.count == $0.1.1 })
    }

    @Test("the encoding is HdrHistogram's compressed V2: cookie 0x1c849314, zlib, then the V2 cookie 0x1c849313")
    func format() throws {
        let bytes = HdrHistogramCodec.encodeCompressed(histogram([1, 100, 1000]))
        #expect(Array(bytes.prefix(4)) == [0x1c, 0x84, 0x93, 0x14])
        let length = Int(bytes[4]) << 24 | Int(bytes[5]) << 16 | Int(bytes[6]) << 8 | Int(bytes[7])
        #expect(length == bytes.count - 8)
        #expect(bytes[8] == 0x78, "a zlib stream (RFC 1950) follows")
        #expect(HdrHistogramCodec.encode(histogram([1, 100, 1000])).hasPrefix("HISTFAAA"))
        let raw = HdrHistogramCodec.encodeUncompressed(
            buckets: [(value: 1, count: 1), (value: 100, count: 1), (value: 1000, count: 1)], lowest: 1, highest: 3_600_000_000_000,
            digits: .three)
        #expect(Array(raw.prefix(4)) == [0x1c, 0x84, 0x93, 0x13])
        // Counts: index 0 empty (0), index 1 = 1, a run of 98 empty (−98), index 100 = 1, a run of
        // 899 empty (−899), index 1000 = 1: ZigZag LEB128.
        #expect(Array(raw.dropFirst(40)) == [0x00, 0x02, 0xC3, 0x01, 0x02, 0x85, 0x0E, 0x02])
    }

    @Test("the merge of encoded histograms equals one histogram fed every sample")
    func mergeIsExact() throws {
        let all = samples
        var parts = [LatencyHistogram](repeating: .latency(), count: 4)
        for (i, v) in all.enumerated() { _ = parts[(i * 7 + Int(v % 5)) % 4].record(v) }
        var merged = LatencyHistogram.latency()
        for part in parts { try HdrHistogramCodec.decode(HdrHistogramCodec.encode(part)).add(to: &merged) }
        let whole = histogram(all)
        #expect(HdrHistogramCodec.encode(merged) == HdrHistogramCodec.encode(whole), "the same counts in every bucket")
        let wholeDecoded = try HdrHistogramCodec.decode(HdrHistogramCodec.encode(whole)).histogram()
        #expect(merged.totalCount == whole.totalCount)
        for p in [0.0, 50, 90, 99, 99.9, 99.99, 100] { #expect(merged.valueAtPercentile(p) == wholeDecoded.valueAtPercentile(p), "p\(p)") }
    }

    @Test("damaged encodings are refused with a reason, never a wrong histogram",
          arguments: ["not base64!", "AAAAAAAAAAAA", "HISTFAAAAEV42pNpmSzMwMCgyAABTBDKT4GB"])
    func damaged(_ text: String) {
        #expect(throws: HdrHistogramCodec.DecodeError.self) { try HdrHistogramCodec.decode(text) }
    }

    /// The bytes of a hex string (a fuzzer's saved input).
    static func bytes(hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map { i -> UInt8 in
            let start = hex.index(hex.startIndex, offsetBy: i)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    @Test("an empty-run count of Int64.min is refused, not negated into a trap (found by the histogram fuzz target)")
    func zigZagMinimum() {
        // The fuzzer's input: a V2 header (cookie 0x1c849313, 38 payload bytes), then ZigZag
        // LEB128 counts, one of them Int64.min.
        let hex = "1c8493130000002600000000000000030000002900000000000000ffffffffffffff00000000030000002900000000000000ffffffffffffffffffffffffffffffffff7fffffffffffffffffffffffffffffffffffff00010000034630b8a0003ff0000000000000997bffffffffffffffffffff7fffffffffffffffffffffffffffffffffffff00010000034630b8a0003ff0000000000000997b0230"
        let bytes = Self.bytes(hex: hex)
        #expect(throws: HdrHistogramCodec.DecodeError.self) { try HdrHistogramCodec.decodeUncompressed(bytes) }
    }

    @Test("counts that add up past 2^63 are refused, not summed into a trap (found by the histogram fuzz target)")
    func countsOverflow() throws {
        let hex = "1c849313000000d800000000000000030000007474747474747474747474747474747474747474000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000074747474747474747474747474747474747474747441414141434e346e4a4e706d537a4d774d44417a4141424d4a6f527948517a324c4741776634747474747401a8de8a74747272727272bebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebbbebebebebebebebebebebebebe546f6b656e42656e63683a2076616c756f6e645d0a22537461727454696d657374616d70222c22496e74657276616c5f4c656e677468dbd3ddb6919a8d89616c5f4d74657276616c5f4d6178222c22496e74657276616c5f436f6d707265737365645f61486973746f6772616d227820696e206d3239372e39323020287365636f6e64732073696e63652065706f6368295d0a235b546f6b656e42656e63683a2076616c75657320696e206e616e6f736563443348475a437878393047707a7855554c6a6a34514948753849574d78475a61304768764641393251356e74715738384c55417178324a7936426b44374a5a77754b566942784c65504659696b74424e536b547376566b7978447175775a4e41773274596d766b474d2f384e5236434c49694b33684143527864305231464d4831724a51627451546d4277644a315a54684a704e43633347786d74514b755232334c6f2b437a794f7444456d57ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff6d6a597249483168703873745276354a6b6974684734624f6a4a33416d335969513355344a454a6f686a3071345056554135555662633469544c4d4e664a4838487041364e51754fbebebebebebebebebebebebebebebebebebebebebebe727474747474747174747474747474747474747474000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000074747474747474747474747474747474747474747441414141434e346e4a4e706d537a4d774d44417a4141424d4a6f527948517a324c4741776634747474747401a8de8a74747272727272bebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebbbebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebebe727272727272742900000000000000ffffffffff0100000000000073ecececececececececececececececececececececececececececececececececececececececececffffffff7fffffffffffffffffffffffffff00010000034630b8a0003ff0000000000000997b02"
        let bytes = Self.bytes(hex: hex)
        #expect(throws: HdrHistogramCodec.DecodeError.self) { try HdrHistogramCodec.decodeUncompressed(bytes) }
    }

    @Test("a truncated encoding is refused")
    func truncated() {
        let bytes = HdrHistogramCodec.encodeCompressed(histogram(samples))
        for cut in [4, 8, bytes.count / 2, bytes.count - 1] {
            #expect(throws: HdrHistogramCodec.DecodeError.self, "cut at \(cut)") {
                try HdrHistogramCodec.decodeCompressed(Array(bytes.prefix(cut)))
            }
        }
    }

    @Test("an interval log is written and read back; a truncated one is refused")
    func intervalLog() throws {
        var log = HistogramLog(startTime: 1_796_000_000.25)
        log.intervals = [
            HistogramLogInterval(tag: "login", startS: 0, lengthS: 1, histogram: histogram([1000, 2000])),
            HistogramLogInterval(tag: "refresh", startS: 1, lengthS: 0.5, histogram: histogram([5_000_000])),
        ]
        let text = log.text()
        #expect(text.contains("#[StartTime: 1796000000.250 (seconds since epoch)"))
        #expect(text.contains("#[BaseTime: 1796000000.250 (seconds since epoch)]"))
        #expect(text.contains("\n\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"))
        #expect(text.contains("\nTag=refresh,1.000,0.500,5.001,HISTFAAA"))
        let back = try HistogramLog.parse(text)
        #expect(back.startTime == 1_796_000_000.25)
        #expect(back.intervals.map(\.tag) == ["login", "refresh"])
        #expect(back.intervals.map(\.encoded) == log.intervals.map(\.encoded))

        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let withoutTrailer = lines.filter { !$0.hasPrefix("#[TokenBench intervals") }.joined(separator: "\n")
        #expect(throws: HistogramLog.ParseError.self) { try HistogramLog.parse(withoutTrailer) }
        let cutMidLine = String(text.prefix(text.count - 40))
        #expect(throws: HistogramLog.ParseError.self) { try HistogramLog.parse(cutMidLine) }
        #expect(throws: HistogramLog.ParseError.self) { try HistogramLog.parse(text + "0.1,0.2\n") }
    }

    @Test("shard specs: I/N, or N with the index from the environment; out of range refused",
          arguments: ["0/0", "5/4", "-1/2", "4/4", "a/b", "1/2/3", "", "/4", "1/"])
    func badShard(_ text: String) {
        #expect(throws: ConfigurationError.self) { try LoadConfiguration.Shard(parsing: text) }
    }

    @Test("shards split the users exactly and disjointly")
    func shardSlices() throws {
        #expect(try LoadConfiguration.Shard(parsing: "1/4") == .init(index: 1, count: 4))
        #expect(try LoadConfiguration.Shard(parsing: "3", index: "2") == .init(index: 2, count: 3))
        #expect(throws: ConfigurationError.self) { try LoadConfiguration.Shard(parsing: "3", index: nil) }
        #expect(throws: ConfigurationError.self) { try LoadConfiguration.Shard(parsing: "3", index: "3") }
        for (users, n) in [(100, 4), (7, 3), (1_000_003, 64), (5, 5)] {
            let slices = (0..<n).map { LoadConfiguration.Shard(index: $0, count: n).users(of: users) }
            #expect(slices.map(\.count).reduce(0, +) == users)
            #expect(slices.first?.lowerBound == 0 && slices.last?.upperBound == users)
            for (a, b) in zip(slices, slices.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        }
        var c = LoadConfiguration()
        c.users = 3
        c.shard = .init(index: 0, count: 4)
        #expect(throws: ConfigurationError.self) { try c.validate() }
    }
}
