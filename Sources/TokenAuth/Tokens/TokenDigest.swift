import Crypto
import Foundation

/// The SHA-256 digest of a refresh token: the only form of a refresh token a store ever
/// holds (RFC 6749 §10.4, RFC 9700 §4.14.2). Stored inline as four 64-bit words: no heap
/// allocation and no reference counting on the rotation hot path.
public struct TokenDigest: Hashable, Sendable {
    private var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// Wraps stored digest bytes. Returns `nil` unless there are exactly 32.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var words = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &words) { raw in
            // One copy from contiguous storage (arrays, buffers); byte by byte otherwise.
            let copied: Void? = bytes.withContiguousStorageIfAvailable { raw.copyMemory(from: UnsafeRawBufferPointer($0)) }
            if copied == nil {
                for (i, b) in bytes.enumerated() { raw[i] = b }
            }
        }
        (w0, w1, w2, w3) = words
    }

    /// Wraps the 32 bytes a SHA-256 implementation (a ``CryptoBackend``) wrote: one copy.
    /// - Precondition: `digest.count == 32`.
    public init(digest: UnsafeRawBufferPointer) {
        precondition(digest.count == 32, "a SHA-256 digest is 32 bytes")
        var words = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: digest) }
        (w0, w1, w2, w3) = words
    }

    /// The digest of a token's raw bytes.
    public init(of tokenBytes: some DataProtocol) {
        let digest = SHA256.hash(data: tokenBytes)
        var words = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &words) { raw in
            digest.withUnsafeBytes { raw.copyMemory(from: $0) }
        }
        (w0, w1, w2, w3) = words
    }

    /// The digest of a token's raw bytes (the `boringssl` backend's SHA-256), through `SHA256.update(bufferPointer:)`: no generic
    /// `DataProtocol` call on the hot path.
    public init(hashing bytes: UnsafeRawBufferPointer) {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        let digest = hasher.finalize()
        var words = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &words) { raw in
            digest.withUnsafeBytes { raw.copyMemory(from: $0) }
        }
        (w0, w1, w2, w3) = words
    }

    /// The 32 digest bytes.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: (w0, w1, w2, w3)) { Array($0) }
    }

    /// Compares in constant time (no early exit on the first differing word).
    public static func == (lhs: TokenDigest, rhs: TokenDigest) -> Bool {
        ((lhs.w0 ^ rhs.w0) | (lhs.w1 ^ rhs.w1) | (lhs.w2 ^ rhs.w2) | (lhs.w3 ^ rhs.w3)) == 0
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(w0)
        hasher.combine(w1)
        hasher.combine(w2)
        hasher.combine(w3)
    }

    /// Lower-case hexadecimal, 64 characters (for SQL and Redis backends).
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
