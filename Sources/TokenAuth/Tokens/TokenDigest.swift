import Crypto

/// The SHA-256 digest of a refresh token: the only form of a refresh token a store ever
/// holds (RFC 6749 §10.4, RFC 9700 §4.14.2).
public struct TokenDigest: Hashable, Sendable {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// Wraps stored digest bytes. Returns `nil` unless there are exactly 32.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        self.bytes = Array(bytes)
    }

    /// The digest of a token's raw bytes.
    public init(of tokenBytes: some DataProtocol) {
        self.bytes = Array(SHA256.hash(data: tokenBytes))
    }

    /// Compares in constant time (the number of differing bytes does not change the time).
    public static func == (lhs: TokenDigest, rhs: TokenDigest) -> Bool {
        guard lhs.bytes.count == rhs.bytes.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<lhs.bytes.count { difference |= lhs.bytes[i] ^ rhs.bytes[i] }
        return difference == 0
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }

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

import Foundation
