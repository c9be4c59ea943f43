import ExtrasBase64
import Foundation

/// A refresh token, parsed and authenticated.
public struct RefreshTokenHandle: Hashable, Sendable {
    /// The family (session) it belongs to.
    public var family: FamilyID
    /// Its position in the family: 0 at login, +1 at each rotation.
    public var generation: UInt64
    /// SHA-256 of its raw bytes, the form a store keeps.
    public var digest: TokenDigest
}

/// Mints and parses refresh tokens.
///
/// ## Format and why
/// A refresh token is opaque to clients (not a JWT): the base64url encoding (76 characters)
/// of 57 bytes `version(1) ‖ family id(16) ‖ generation(8, big-endian) ‖ tag(32)`, where
/// `tag = HMAC-SHA256(secret, "tokenbench.rt.v1" ‖ family id ‖ generation)`. It is therefore
/// **MAC-protected** (RFC 6749 §10.10: an attacker cannot guess or forge one without the
/// 256-bit secret) and a store keeps only its SHA-256 digest (RFC 9700 §4.14.2).
///
/// Because the token for (family, generation) is *derivable* by the server, the grace window
/// can hand back the **same** successor to a client that retries (two tabs, a lost response)
/// while the store keeps no token at all: the approach of Supabase's auth server. The
/// alternative — keeping the successor encrypted for the length of the window — would add a
/// second secret and a column that every store must expire. A leak of the store alone yields
/// nothing usable; the secret must be shared by every node that serves the same store.
public struct RefreshTokenCodec: Sendable {
    /// Raw token length, bytes.
    public static let rawLength = 57
    /// Encoded token length, characters.
    public static let encodedLength = 76
    static let version: UInt8 = 1
    /// Domain separation for the MAC: exactly 16 bytes.
    static let domain = Array("tokenbench.rt.v1".utf8)

    /// HMAC-SHA-256 already keyed with the secret: each tag skips the key schedule
    /// (measured: the key set-up was a sixth of a refresh).
    private let keyed: any KeyedHMACSHA256
    /// The library that computes the MAC and the digest (`--crypto`).
    public let crypto: any CryptoBackend

    /// - Parameters:
    ///   - secret: the MAC key, at least 32 bytes.
    ///   - crypto: the library computing HMAC-SHA-256 and SHA-256; swift-crypto by default.
    /// - Throws: ``ConfigurationError`` when the secret is shorter than 32 bytes.
    public init(secret: some Collection<UInt8>, crypto: any CryptoBackend = SwiftCryptoBackend()) throws(ConfigurationError) {
        guard secret.count >= 32 else {
            throw ConfigurationError(setting: "refreshTokenSecret", accepted: "at least 32 bytes")
        }
        self.crypto = crypto
        self.keyed = crypto.hmacSHA256(key: Array(secret))
    }

    /// A codec with a fresh random 256-bit secret (tokens die with the process).
    public init(random: any RandomSource, crypto: any CryptoBackend = SwiftCryptoBackend()) {
        self.crypto = crypto
        self.keyed = crypto.hmacSHA256(key: random.bytes(32))
    }

    /// The token for `generation` of `family`, with its digest.
    public func mint(family: FamilyID, generation: UInt64) -> (token: String, digest: TokenDigest) {
        // Built on the stack: `version ‖ family ‖ generation ‖ tag`, 57 bytes.
        withUnsafeTemporaryAllocation(byteCount: Self.rawLength, alignment: 8) { raw in
            raw[0] = Self.version
            withUnsafeBytes(of: family.rawValue.bigEndian) { (raw.baseAddress! + 1).copyMemory(from: $0.baseAddress!, byteCount: 16) }
            withUnsafeBytes(of: generation.bigEndian) { (raw.baseAddress! + 17).copyMemory(from: $0.baseAddress!, byteCount: 8) }
            tag(for: UnsafeRawBufferPointer(rebasing: raw[1..<25]), into: UnsafeMutableRawBufferPointer(rebasing: raw[25..<57]))
            let bytes = UnsafeRawBufferPointer(raw)
            let token = Base64.encodeToString(bytes: bytes, options: [.base64UrlAlphabet, .omitPaddingCharacter])
            return (token, crypto.sha256(bytes))
        }
    }

    /// Parses and authenticates a presented refresh token.
    ///
    /// Rejects, without touching any store: anything not exactly 76 base64url characters,
    /// an unknown version, and any token whose tag does not verify (compared in constant time).
    /// - Returns: the handle, or `nil` when the token is not one of ours.
    public func parse(_ token: String) -> RefreshTokenHandle? {
        // The decoder rejects any character outside the base64url alphabet (`+`, `/`, `=`,
        // non-ASCII); 76 characters carry exactly 57 bytes, so no two spellings decode alike.
        guard token.utf8.count == Self.encodedLength,
              let raw = try? Base64.decode(string: token, options: [.base64UrlAlphabet, .omitPaddingCharacter]),
              raw.count == Self.rawLength,
              raw[0] == Self.version
        else { return nil }
        // The recomputed tag and the presented one, compared in constant time.
        let authentic = raw.withUnsafeBytes { bytes in
            withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { computed in
                tag(for: UnsafeRawBufferPointer(rebasing: bytes[1..<25]), into: computed)
                return constantTimeEqual(UnsafeRawBufferPointer(computed), UnsafeRawBufferPointer(rebasing: bytes[25..<57]))
            }
        }
        guard authentic, let family = FamilyID(bytes: raw[1..<17]) else { return nil }
        var generation: UInt64 = 0
        for b in raw[17..<25] { generation = (generation << 8) | UInt64(b) }
        return RefreshTokenHandle(family: family, generation: generation, digest: raw.withUnsafeBytes { crypto.sha256($0) })
    }

    /// `HMAC-SHA256(secret, domain ‖ body)` for the 24-byte body (family id ‖ generation), fed
    /// to the backend as one contiguous 40-byte buffer, written to `tag` (32 bytes).
    private func tag(for body: UnsafeRawBufferPointer, into tag: UnsafeMutableRawBufferPointer) {
        withUnsafeTemporaryAllocation(byteCount: 40, alignment: 8) { buffer in
            Self.domain.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 16) }
            (buffer.baseAddress! + 16).copyMemory(from: body.baseAddress!, byteCount: 24)
            keyed.authenticate(UnsafeRawBufferPointer(buffer), into: tag)
        }
    }

    @inline(__always)
    static func isBase64URL(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
    }
}
