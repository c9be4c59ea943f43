
/// Where the core takes its random bytes from: family identifiers, HMAC keys, salts.
/// Injected so that tests and load runs can be reproduced (STYLE.md rule 5).
public protocol RandomSource: Sendable {
    /// Fills `buffer` with random bytes.
    func fill(_ buffer: UnsafeMutableRawBufferPointer)
}

extension RandomSource {
    /// Returns `count` random bytes.
    public func bytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Returns a random 128-bit value.
    public func uint128() -> UInt128 {
        var value: UInt128 = 0
        withUnsafeMutableBytes(of: &value) { fill($0) }
        return value
    }
}

/// The operating system's cryptographically secure generator (`getrandom(2)` on Linux),
/// through the standard library's `SystemRandomNumberGenerator`.
public struct SystemRandomSource: RandomSource {
    public init() {}

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var generator = SystemRandomNumberGenerator()
        var offset = 0
        while offset < buffer.count {
            var word = generator.next()
            let n = min(8, buffer.count - offset)
            withUnsafeBytes(of: &word) { w in
                buffer.baseAddress!.advanced(by: offset).copyMemory(from: w.baseAddress!, byteCount: n)
            }
            offset += n
        }
    }
}

/// A deterministic generator (SplitMix64) for reproducible tests and load runs.
/// **Not** for production secrets: anyone who knows the seed knows every byte.
public final class SeededRandomSource: RandomSource {
    private let state: Locked<UInt64>

    /// - Parameter seed: the seed; the same seed gives the same byte sequence.
    public init(seed: UInt64) {
        self.state = Locked(seed)
    }

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        state.withLock { s in
            var offset = 0
            while offset < buffer.count {
                s &+= 0x9E37_79B9_7F4A_7C15
                var z = s
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z = z ^ (z >> 31)
                let n = min(8, buffer.count - offset)
                withUnsafeBytes(of: &z) { w in
                    buffer.baseAddress!.advanced(by: offset).copyMemory(from: w.baseAddress!, byteCount: n)
                }
                offset += n
            }
        }
    }
}
