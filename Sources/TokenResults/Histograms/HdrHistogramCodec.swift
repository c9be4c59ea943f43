import CZlib
import ExtrasBase64
import Histogram

/// HdrHistogram's standard V2 encoding, compressed (the `HISTFAAA…` strings of `.hlog` files
/// and of `result.json`'s `histograms`), as HdrHistogram (Java) `encodeIntoCompressedByteBuffer`
/// writes it and every HdrHistogram port reads it:
///
/// - compressed: `int32 cookie 0x1c849314`, `int32 length`, then zlib DEFLATE of
/// - the V2 encoding: `int32 cookie 0x1c849313`, `int32 payload length`, `int32 normalizing
///   index offset (0)`, `int32 significant digits`, `int64 lowest discernible value`, `int64
///   highest trackable value`, `float64 integer-to-double ratio (1.0)`, then the counts of
///   indices 0 … index(max) as ZigZag LEB128 (at most 9 bytes each), a run of k > 1 empty
///   counts written as −k. All big-endian.
///
/// The bucket arithmetic (value ↔ counts index) is HdrHistogram's, so an encoded index means
/// the same value range in every implementation. hdrhistogram-swift has no serialisation of
/// its own; this codec reads its recorded values and records decoded ones through its API.
public enum HdrHistogramCodec {
    package static let v2Cookie: UInt32 = 0x1c84_9313
    package static let v2CompressedCookie: UInt32 = 0x1c84_9314
    package static let headerBytes = 40
    /// The largest decompressed encoding accepted: a 1 ns … 1 h, 5-digit histogram is ~30 MB
    /// of 9-byte counts; anything larger is refused as corrupt.
    package static let maxDecodedBytes = 64 << 20

    /// The errors of ``decode(_:)``: what is wrong with the input, in one phrase.
    public struct DecodeError: Error, CustomStringConvertible, Sendable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: Encoding

    /// The compressed V2 encoding of `histogram`, base64 (standard alphabet, padded).
    public static func encode(_ histogram: LatencyHistogram) -> String {
        Base64.encodeToString(bytes: encodeCompressed(histogram))
    }

    /// The compressed V2 encoding of `histogram`: the bytes behind ``encode(_:)``.
    public static func encodeCompressed(_ h: LatencyHistogram) -> [UInt8] {
        let buckets = h.recordedValues().lazy.filter { $0.count > 0 }.map { (value: $0.value, count: UInt64($0.count)) }
        return compress(encodeUncompressed(buckets: buckets, lowest: h.lowestDiscernibleValue, highest: h.highestTrackableValue,
                                           digits: h.numberOfSignificantValueDigits))
    }

    /// The compressed V2 encoding of decoded (or merged) buckets, base64.
    public static func encode(_ d: Decoded) -> String {
        Base64.encodeToString(bytes: compress(encodeUncompressed(
            buckets: d.buckets, lowest: d.lowestDiscernibleValue, highest: d.highestTrackableValue, digits: d.significantDigits)))
    }

    package static func compress(_ raw: [UInt8]) -> [UInt8] {
        var bound = compressBound(uLong(raw.count))
        var out = [UInt8](repeating: 0, count: 8 + Int(bound))
        let status = out.withUnsafeMutableBufferPointer { dst in
            raw.withUnsafeBufferPointer { src in
                compress2(dst.baseAddress! + 8, &bound, src.baseAddress!, uLong(src.count), Z_DEFAULT_COMPRESSION)
            }
        }
        // compress2 fails only for want of memory or a too-small buffer (compressBound rules it out).
        precondition(status == Z_OK, "zlib compress2 failed: \(status)")
        out.removeLast(out.count - 8 - Int(bound))
        put32(v2CompressedCookie, at: 0, in: &out)
        put32(UInt32(bound), at: 4, in: &out)
        return out
    }

    /// The uncompressed V2 encoding (header and ZigZag LEB128 counts) of buckets given as any
    /// value of each bucket and its count, in ascending order.
    package static func encodeUncompressed(buckets: some Sequence<(value: UInt64, count: UInt64)>, lowest: UInt64, highest: UInt64,
                                   digits: SignificantDigits) -> [UInt8] {
        let layout = BucketLayout(lowest: lowest, digits: Int(digits.rawValue))
        var out = [UInt8](repeating: 0, count: headerBytes)
        out.reserveCapacity(headerBytes + 256)
        var nextIndex = 0
        for b in buckets where b.count > 0 {
            let index = layout.index(of: b.value)
            let gap = index - nextIndex
            if gap == 1 { putZigZag(0, into: &out) } else if gap > 1 { putZigZag(-Int64(gap), into: &out) }
            putZigZag(Int64(clamping: b.count), into: &out)
            nextIndex = index + 1
        }
        put32(v2Cookie, at: 0, in: &out)
        put32(UInt32(out.count - headerBytes), at: 4, in: &out)
        put32(0, at: 8, in: &out)
        put32(UInt32(digits.rawValue), at: 12, in: &out)
        put64(lowest, at: 16, in: &out)
        put64(highest, at: 24, in: &out)
        put64((1.0 as Double).bitPattern, at: 32, in: &out)
        return out
    }

    // MARK: Decoding

    /// A decoded histogram: its settings and its non-empty buckets, each as the lowest value
    /// of its bucket and its count, in ascending order.
    public struct Decoded: Sendable, Equatable {
        public var lowestDiscernibleValue: UInt64
        public var highestTrackableValue: UInt64
        public var significantDigits: SignificantDigits
        public var buckets: [(value: UInt64, count: UInt64)]
        /// The sum of the bucket counts.
        public var totalCount: UInt64 { buckets.reduce(0) { $0 &+ $1.count } }

        public static func == (a: Decoded, b: Decoded) -> Bool {
            a.lowestDiscernibleValue == b.lowestDiscernibleValue && a.highestTrackableValue == b.highestTrackableValue
                && a.significantDigits == b.significantDigits && a.buckets.elementsEqual(b.buckets, by: { $0 == $1 })
        }

        /// Adds every bucket to `histogram` (which grows to fit when it auto-resizes). The top
        /// bucket is recorded at its highest value, the others at their lowest: the encoding
        /// keeps buckets, not values, so the maximum becomes its bucket's highest equivalent
        /// value, as HdrHistogram's own decoders set it.
        public func add(to histogram: inout LatencyHistogram) {
            for (i, b) in buckets.enumerated() {
                let value = i == buckets.count - 1 ? histogram.highestEquivalentForValue(b.value) : b.value
                _ = histogram.record(value, count: b.count)
            }
        }

        /// The value at a percentile (0 … 100), as `Histogram.valueAtPercentile` computes it on
        /// ``histogram()`` (rank ⌈p·N/100⌉, the bucket's highest equivalent value), without
        /// building the histogram: the merge summarises thousands of intervals this way.
        public func valueAtPercentile(_ percentile: Double) -> UInt64 {
            guard let first = buckets.first, let last = buckets.last else { return 0 }
            let layout = BucketLayout(lowest: lowestDiscernibleValue, digits: Int(significantDigits.rawValue))
            let top = layout.highestEquivalent(last.value)
            if percentile <= 0 { return first.value }
            if percentile >= 100 { return top }
            let p = Swift.min(Swift.max(percentile.nextDown, 0), 100)
            let rank = Swift.max(1, UInt64((p * Double(totalCount) / 100).rounded(.up)))
            var seen: UInt64 = 0
            for b in buckets {
                seen += b.count
                if seen >= rank { return Swift.max(Swift.min(layout.highestEquivalent(b.value), top), first.value) }
            }
            return top
        }

        /// The largest value: the top bucket's highest equivalent value (as ``histogram()``'s `max`).
        public var maxValue: UInt64 {
            guard let last = buckets.last else { return 0 }
            return BucketLayout(lowest: lowestDiscernibleValue, digits: Int(significantDigits.rawValue)).highestEquivalent(last.value)
        }

        /// The histogram itself (auto-resizing, with the encoded settings).
        public func histogram() -> LatencyHistogram {
            var h = LatencyHistogram(lowestDiscernibleValue: lowestDiscernibleValue,
                                     highestTrackableValue: max(highestTrackableValue, 2 * lowestDiscernibleValue),
                                     numberOfSignificantValueDigits: significantDigits)
            h.autoResize = true
            add(to: &h)
            return h
        }
    }

    /// Decodes a base64 compressed V2 histogram (as `.hlog` lines and `result.json` carry).
    /// - Throws: ``DecodeError`` for bad base64, a wrong cookie, a zlib error, a truncated or
    ///   oversized payload, or counts outside the histogram's range.
    public static func decode(_ base64: some StringProtocol) throws(DecodeError) -> Decoded {
        let bytes: [UInt8]
        do { bytes = try Base64.decode(string: String(base64)) } catch { throw DecodeError("not base64") }
        return try decodeCompressed(bytes)
    }

    /// Decodes the bytes of a compressed V2 histogram.
    /// - Throws: ``DecodeError`` as ``decode(_:)``.
    public static func decodeCompressed(_ bytes: [UInt8]) throws(DecodeError) -> Decoded {
        guard bytes.count >= 8 else { throw DecodeError("truncated: \(bytes.count) bytes, no header") }
        let cookie = get32(bytes, 0)
        guard cookie & ~0xf0 == v2CompressedCookie & ~0xf0 else {
            throw DecodeError("not a compressed V2 HdrHistogram (cookie 0x\(String(cookie, radix: 16)))")
        }
        let length = Int(get32(bytes, 4))
        guard length > 0, length <= bytes.count - 8 else {
            throw DecodeError("truncated: the header announces \(length) compressed bytes, \(bytes.count - 8) follow")
        }
        var capacity = max(4096, length * 16)
        while true {
            var out = [UInt8](repeating: 0, count: capacity)
            var produced = uLongf(capacity)
            let status = out.withUnsafeMutableBufferPointer { dst in
                bytes.withUnsafeBufferPointer { src in
                    uncompress(dst.baseAddress!, &produced, src.baseAddress! + 8, uLong(length))
                }
            }
            if status == Z_OK {
                out.removeLast(capacity - Int(produced))
                return try decodeUncompressed(out)
            }
            guard status == Z_BUF_ERROR, capacity < maxDecodedBytes else {
                throw DecodeError(status == Z_DATA_ERROR || status == Z_BUF_ERROR ? "corrupt or truncated zlib data" : "zlib error \(status)")
            }
            capacity = min(capacity * 4, maxDecodedBytes)
        }
    }

    package static func decodeUncompressed(_ b: [UInt8]) throws(DecodeError) -> Decoded {
        guard b.count >= headerBytes else { throw DecodeError("truncated: \(b.count) bytes, no V2 header") }
        let cookie = get32(b, 0)
        guard cookie & ~0xf0 == v2Cookie & ~0xf0 else { throw DecodeError("not a V2 HdrHistogram (cookie 0x\(String(cookie, radix: 16)))") }
        let payload = Int(get32(b, 4))
        guard payload <= b.count - headerBytes else { throw DecodeError("truncated: \(payload) payload bytes announced, \(b.count - headerBytes) present") }
        guard get32(b, 8) == 0 else { throw DecodeError("a normalizing index offset is not supported") }
        guard let digits = SignificantDigits(rawValue: Int8(clamping: get32(b, 12))) else {
            throw DecodeError("significant digits \(get32(b, 12)): expected 0 … 5")
        }
        let lowest = get64(b, 16), highest = get64(b, 24)
        guard lowest >= 1, lowest < (1 << 40), highest >= 2 * lowest else {
            throw DecodeError("value range \(lowest) … \(highest): expected 1 ≤ lowest and highest ≥ 2 × lowest")
        }
        let layout = BucketLayout(lowest: lowest, digits: Int(digits.rawValue))
        var buckets: [(value: UInt64, count: UInt64)] = []
        var total: UInt64 = 0
        var index = 0
        var at = headerBytes
        let end = headerBytes + payload
        while at < end {
            guard let v = getZigZag(b, &at, end: end) else { throw DecodeError("truncated count at byte \(at)") }
            if v < 0 {
                // `v.magnitude`, not `-v`: a ZigZag value may be Int64.min, whose negation traps
                // (found by the histogram fuzz target).
                guard v > -Int64(layout.maxIndex) else { throw DecodeError("empty run of \(v.magnitude) counts out of range") }
                index += Int(-v)
                continue
            }
            if v > 0 {
                guard index < layout.maxIndex else { throw DecodeError("count index \(index) out of range") }
                // Counts that add up past 2⁶³ are no recording (and trapped the percentile sum:
                // found by the histogram fuzz target).
                let (sum, overflow) = total.addingReportingOverflow(UInt64(v))
                guard !overflow, sum <= UInt64(Int64.max) else { throw DecodeError("counts add up to more than 2^63") }
                total = sum
                buckets.append((layout.value(at: index), UInt64(v)))
            }
            index += 1
        }
        return Decoded(lowestDiscernibleValue: lowest, highestTrackableValue: highest, significantDigits: digits, buckets: buckets)
    }

    // MARK: HdrHistogram's bucket arithmetic

    /// Where a value sits in the counts array, as HdrHistogram computes it.
    package struct BucketLayout {
        let unitMagnitude: Int
        let subBucketHalfCountMagnitude: Int
        let subBucketHalfCount: Int
        let subBucketMask: UInt64
        let leadingZeroCountBase: Int

        init(lowest: UInt64, digits: Int) {
            var largest: UInt64 = 2
            for _ in 0..<digits { largest *= 10 }
            unitMagnitude = 63 - lowest.leadingZeroBitCount
            let subBucketCountMagnitude = 64 - (largest - 1).leadingZeroBitCount
            subBucketHalfCountMagnitude = max(subBucketCountMagnitude, 1) - 1
            let subBucketCount = 1 << (subBucketHalfCountMagnitude + 1)
            subBucketHalfCount = subBucketCount / 2
            subBucketMask = UInt64(subBucketCount - 1) << unitMagnitude
            leadingZeroCountBase = 64 - unitMagnitude - subBucketHalfCountMagnitude - 1
        }

        /// One past the largest index a 64-bit value can have.
        var maxIndex: Int { (leadingZeroCountBase + 2) << subBucketHalfCountMagnitude }

        func index(of value: UInt64) -> Int {
            let bucket = leadingZeroCountBase - (value | subBucketMask).leadingZeroBitCount
            let subBucket = Int(value >> UInt64(bucket + unitMagnitude))
            return ((bucket + 1) << subBucketHalfCountMagnitude) + (subBucket - subBucketHalfCount)
        }

        /// The highest value equivalent to `value` (the top of its bucket).
        func highestEquivalent(_ value: UInt64) -> UInt64 {
            let bucket = Swift.max(0, leadingZeroCountBase - (value | subBucketMask).leadingZeroBitCount)
            let size = UInt64(1) << UInt64(bucket + unitMagnitude)
            return self.value(at: index(of: value)) &+ size &- 1
        }

        /// The lowest value of the bucket at `index`.
        func value(at index: Int) -> UInt64 {
            var bucket = (index >> subBucketHalfCountMagnitude) - 1
            var subBucket = (index & (subBucketHalfCount - 1)) + subBucketHalfCount
            if bucket < 0 {
                subBucket -= subBucketHalfCount
                bucket = 0
            }
            return UInt64(subBucket) << UInt64(bucket + unitMagnitude)
        }
    }

    // MARK: Bytes

    package static func putZigZag(_ value: Int64, into out: inout [UInt8]) {
        var u = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        for _ in 0..<8 {
            if u >> 7 == 0 {
                out.append(UInt8(u))
                return
            }
            out.append(UInt8(u & 0x7f) | 0x80)
            u >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: u))
    }

    package static func getZigZag(_ b: [UInt8], _ at: inout Int, end: Int) -> Int64? {
        var u: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard at < end else { return nil }
            let byte = b[at]
            at += 1
            if shift == 56 {
                u |= UInt64(byte) << 56
                break
            }
            u |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1)
    }

    package static func put32(_ v: UInt32, at i: Int, in b: inout [UInt8]) {
        for k in 0..<4 { b[i + k] = UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32(k))) }
    }

    package static func put64(_ v: UInt64, at i: Int, in b: inout [UInt8]) {
        for k in 0..<8 { b[i + k] = UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64(k))) }
    }

    package static func get32(_ b: [UInt8], _ i: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 8 | UInt32(b[i + $1]) }
    }

    package static func get64(_ b: [UInt8], _ i: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 << 8 | UInt64(b[i + $1]) }
    }
}
