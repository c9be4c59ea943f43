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
        let utf8 = token.utf8
        guard utf8.count <= policy.maxTokenBytes, utf8.count >= 5 else { throw .invalidToken(.malformedToken) }
        // One pass: check the alphabet and remember where the two dots are.
        let bytes = Array(utf8)
        var dotIndices: (Int, Int) = (-1, -1)
        var dots = 0
        var segmentLength = 0
        for (i, c) in bytes.enumerated() {
            if c == UInt8(ascii: ".") {
                guard segmentLength > 0, dots < 2 else { throw .invalidToken(.malformedToken) }
                if dots == 0 { dotIndices.0 = i } else { dotIndices.1 = i }
                dots += 1
                segmentLength = 0
            } else if RefreshTokenCodec.isBase64URL(c) {
                segmentLength += 1
            } else {
                throw .invalidToken(.malformedToken)
            }
        }
        guard dots == 2 else { throw .invalidToken(.malformedToken) }
        guard segmentLength > 0 else { throw .invalidToken(.unsecuredAlgorithm) } // empty signature
        let (firstDot, secondDot) = dotIndices

        guard let headerBytes = try? Base64.decode(bytes: bytes[..<firstDot], options: [.base64UrlAlphabet, .omitPaddingCharacter]),
              let header = try? headerBytes.withUnsafeBytes({ raw throws(JOSEReader.Refused) in try JOSEReader.header(raw) }),
              let alg = header.alg
        else { throw .invalidToken(.malformedToken) }
        guard alg.lowercased() != "none" else { throw .invalidToken(.unsecuredAlgorithm) }
        guard header.crit == nil else { throw .invalidToken(.malformedToken) }
        guard let kid = header.kid, let key = key(kid: kid, at: now) else { throw .invalidToken(.unknownKey) }
        guard alg == key.algorithm.rawValue else { throw .invalidToken(.algorithmMismatch) }
        guard let typ = header.typ?.lowercased(), typ == "at+jwt" || typ == "application/at+jwt" else {
            throw .invalidToken(.wrongTokenType)
        }

        // Signature over `header.payload` with that one key, through the key's backend.
        // Only the canonical spelling of the signature: base64url text whose unused trailing bits
        // are not zero decodes to the same bytes, and would give one token several spellings.
        let signatureText = bytes[(secondDot + 1)...]
        guard let signature = try? Base64.decode(bytes: signatureText, options: [.base64UrlAlphabet, .omitPaddingCharacter]),
              Base64.encodeToBytes(bytes: signature, options: [.base64UrlAlphabet, .omitPaddingCharacter]).elementsEqual(signatureText),
              signature.withUnsafeBytes({ sig in bytes.withUnsafeBytes { key.primitive.verify(sig, signs: UnsafeRawBufferPointer(rebasing: $0[..<secondDot])) } })
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
}
