import ExtrasBase64
import Foundation
import JWTKit

/// What an access token must satisfy besides its signature.
public struct AccessTokenPolicy: Sendable, Hashable {
    /// Required `iss`.
    public var issuer: String
    /// `aud` must contain this.
    public var audience: String
    /// Leeway for `exp`, `nbf`, `iat`, seconds.
    public var leeway: TimeInterval
    /// Longest token looked at, bytes.
    public var maxTokenBytes: Int

    public init(issuer: String, audience: String, leeway: TimeInterval, maxTokenBytes: Int = 8192) {
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.maxTokenBytes = maxTokenBytes
    }
}

extension SigningKeyRing {
    /// Verifies an access token strictly and returns its claims.
    ///
    /// The header and claims are read by ``JOSEReader`` (strict RFC 8259 JSON; a member name given
    /// twice is refused, RFC 7515 §4). Checks, in order, failing closed at the first miss:
    /// 1. shape: at most `maxTokenBytes`, three non-empty base64url segments (a refresh token
    ///    never passes: it has no dots);
    /// 2. header: `alg` is not `none` (RFC 8725 §3.1); `kid` names a key of this ring, with
    ///    no fallback (§3.10); `alg` equals that key's algorithm (§3.1, defeats RS256→HS256
    ///    confusion); `typ` is `at+jwt` (RFC 9068 §4, §3.11 of RFC 8725); no `crit`;
    /// 3. signature, through the key's ``CryptoBackend`` with that one key;
    /// 4. claims: `iss` and `aud` (RFC 9068 §4); `exp` ≥ now − leeway; `nbf`, `iat` ≤ now + leeway.
    ///
    /// - Parameters:
    ///   - token: the compact JWS.
    ///   - now: the instant to judge expiry at.
    ///   - policy: issuer, audience, leeway, size limit.
    /// - Returns: the verified claims.
    /// - Throws: ``AuthError`` with code `.invalidToken` and the reason.
    public func verify(_ token: String, now: Date, policy: AccessTokenPolicy) async throws(AuthError) -> AccessTokenClaims {
        var token = token
        // Native strings are contiguous UTF-8: read them in place, no copy.
        let outcome = token.withUTF8 { bytes in
            Result { () throws(AuthError) -> AccessTokenClaims in try verify(bytes, now: now, policy: policy) }
        }
        return try outcome.get()
    }

    /// ``verify(_:now:policy:)`` on the token's bytes, synchronously (the fuzz target calls it).
    func verify(_ bytes: UnsafeBufferPointer<UInt8>, now: Date, policy: AccessTokenPolicy) throws(AuthError) -> AccessTokenClaims {
        guard bytes.count <= policy.maxTokenBytes, bytes.count >= 5 else { throw .invalidToken(.malformedToken) }
        // One pass: check the alphabet (a table lookup per byte: the branchy range tests were
        // the largest cost of a verification after the MAC) and find the two dots.
        var dotIndices: (Int, Int) = (-1, -1)
        var dots = 0
        var segmentStart = 0
        let valid = Self.compactClasses.withUnsafeBufferPointer { classes -> Bool in
            for i in 0..<bytes.count {
                switch classes[Int(bytes[i])] {
                case 1: continue
                case 2:
                    guard i > segmentStart, dots < 2 else { return false }
                    if dots == 0 { dotIndices.0 = i } else { dotIndices.1 = i }
                    dots += 1
                    segmentStart = i + 1
                default: return false
                }
            }
            return true
        }
        guard valid, dots == 2 else { throw .invalidToken(.malformedToken) }
        guard bytes.count > segmentStart else { throw .invalidToken(.unsecuredAlgorithm) } // empty signature
        let (firstDot, secondDot) = dotIndices

        // A header segment byte-equal to one this ring writes is that header
        // (`{"alg":…,"kid":…,"typ":"at+jwt"}`): its key, without decoding or parsing it again.
        let key: SigningKey
        if let known = self.key(encodedHeader: UnsafeBufferPointer(rebasing: bytes[..<firstDot]), at: now) {
            key = known
        } else {
            guard let headerBytes = try? Base64.decode(bytes: bytes[..<firstDot], options: [.base64UrlAlphabet, .omitPaddingCharacter]),
                  let header = try? headerBytes.withUnsafeBytes({ raw throws(JOSEReader.Refused) in try JOSEReader.header(raw) }),
                  let alg = header.alg
            else { throw .invalidToken(.malformedToken) }
            guard !Self.equalsIgnoringASCIICase(alg, "none") else { throw .invalidToken(.unsecuredAlgorithm) }
            guard header.crit == nil else { throw .invalidToken(.malformedToken) }
            guard let kid = header.kid, let found = self.key(kid: kid, at: now) else { throw .invalidToken(.unknownKey) }
            guard alg == found.algorithm.rawValue else { throw .invalidToken(.algorithmMismatch) }
            guard let typ = header.typ, Self.equalsIgnoringASCIICase(typ, "at+jwt") || Self.equalsIgnoringASCIICase(typ, "application/at+jwt") else {
                throw .invalidToken(.wrongTokenType)
            }
            key = found
        }

        // Signature over `header.payload` with that one key, through the key's backend.
        // Only the canonical spelling of the signature: base64url text whose unused trailing bits
        // are not zero decodes to the same bytes, and would give one token several spellings.
        let signatureText = UnsafeBufferPointer(rebasing: bytes[(secondDot + 1)...])
        guard Self.isCanonicalBase64URL(signatureText),
              let signature = try? Base64.decode(bytes: signatureText, options: [.base64UrlAlphabet, .omitPaddingCharacter]),
              signature.withUnsafeBytes({ key.primitive.verify($0, signs: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[..<secondDot])) })
        else { throw .invalidToken(.badSignature) }

        let claims: AccessTokenClaims
        do {
            let payload = try Base64.decode(bytes: bytes[(firstDot + 1)..<secondDot], options: [.base64UrlAlphabet, .omitPaddingCharacter])
            claims = try payload.withUnsafeBytes { raw throws(JOSEReader.Refused) in try JOSEReader.claims(raw) }
        } catch {
            throw .invalidToken(.malformedToken)
        }

        guard claims.iss == policy.issuer else { throw .invalidToken(.wrongIssuer) }
        guard claims.aud.contains(policy.audience) else { throw .invalidToken(.wrongAudience) }
        guard !claims.sub.isEmpty, !claims.sid.isEmpty, !claims.jti.isEmpty else { throw .invalidToken(.missingClaim) }
        let t = now.timeIntervalSince1970
        guard TimeInterval(claims.exp) + policy.leeway >= t else { throw .invalidToken(.tokenExpired) }
        if let nbf = claims.nbf, TimeInterval(nbf) > t + policy.leeway { throw .invalidToken(.tokenNotYetValid) }
        guard TimeInterval(claims.iat) <= t + policy.leeway else { throw .invalidToken(.tokenNotYetValid) }
        return claims
    }

    /// Byte classes of the JWS compact serialization: 1 for the base64url alphabet (RFC 4648
    /// §5), 2 for `.`, 0 for anything else.
    static let compactClasses: [UInt8] = (0..<256).map { b -> UInt8 in
        let c = UInt8(b)
        if c == UInt8(ascii: ".") { return 2 }
        return RefreshTokenCodec.isBase64URL(c) ? 1 : 0
    }

    /// Whether `text` is `lowercase` (ASCII letters only) in any case: RFC 7515 `typ` values are
    /// case-insensitive (§4.1.9), and `alg: NONE` must be refused as `none` (RFC 8725 §3.1).
    static func equalsIgnoringASCIICase(_ text: String, _ lowercase: StaticString) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
            let expected = lowercase.utf8Start
            for i in 0..<bytes.count {
                let c = bytes[i]
                let folded = c >= 0x41 && c <= 0x5A ? c | 0x20 : c
                if folded != expected[i] { return false }
            }
            return true
        }
    }

    /// Whether unpadded base64url text is the canonical spelling of its bytes: its length is not
    /// 1 mod 4 and the bits of the last character that carry no data are zero (RFC 4648 §3.5).
    /// The same test as decoding and re-encoding, without either.
    static func isCanonicalBase64URL(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let remainder = text.count % 4
        guard remainder != 1, let last = text.last else { return remainder == 0 }
        let value: UInt8
        switch last {
        case 0x41...0x5A: value = last - 0x41
        case 0x61...0x7A: value = last - 0x61 + 26
        case 0x30...0x39: value = last - 0x30 + 52
        case 0x2D: value = 62
        case 0x5F: value = 63
        default: return false
        }
        // 2 leftover characters carry 1 byte (4 unused bits), 3 carry 2 bytes (2 unused bits).
        let unusedMask: UInt8 = remainder == 2 ? 0x0F : remainder == 3 ? 0x03 : 0
        return value & unusedMask == 0
    }
}
