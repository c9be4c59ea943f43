import Foundation
import JWTKit
import Testing
import TokenAuth
import TokenAuthTesting

@Suite("Signing key ring")
struct SigningKeyRingTests {
    let now = Date(timeIntervalSince1970: 1_767_225_600)
    let policy = AccessTokenPolicy(issuer: "iss", audience: "aud", leeway: 30)

    func claims(_ now: Date, sub: String = "alice") -> AccessTokenClaims {
        let t = Int64(now.timeIntervalSince1970)
        return AccessTokenClaims(iss: "iss", sub: sub, aud: ["aud"], exp: t + 60, iat: t, jti: "j1", sid: "s1", clientID: "web")
    }

    @Test(arguments: AccessTokenAlgorithm.allCases)
    func signAndVerify(_ algorithm: AccessTokenAlgorithm) async throws {
        let key = try await SigningKey.generate(algorithm, kid: "k-\(algorithm)")
        let ring = SigningKeyRing(current: key, retirementPeriod: 90)
        let token = try ring.sign(claims(now))
        let header = try JSONSerialization.jsonObject(with: Data(base64URL: String(token.split(separator: ".")[0]))) as? [String: String]
        #expect(header == ["alg": algorithm.rawValue, "kid": "k-\(algorithm)", "typ": "at+jwt"])
        #expect(try await ring.verify(token, now: now, policy: policy) == claims(now))
    }

    @Test("the JWKS lets jwt-kit alone verify our tokens; HS256 keys are never published",
          arguments: [AccessTokenAlgorithm.es256, .eddsa, .rs256])
    func jwksVerifies(_ algorithm: AccessTokenAlgorithm) async throws {
        let ring = SigningKeyRing(current: try await SigningKey.generate(algorithm), retirementPeriod: 90)
        let token = try ring.sign(claims(now))
        let json = String(decoding: try ring.jwksJSON(at: now), as: UTF8.self)
        let verifier = JWTKeyCollection()
        try await verifier.add(jwksJSON: json)
        let verified = try await verifier.verify(token, as: AccessTokenClaims.self)
        #expect(verified.sub == "alice")
        #expect(ring.jwks(at: now).keys.count == 1)
    }

    @Test func hs256NotPublished() async throws {
        let ring = SigningKeyRing(current: try await SigningKey.generate(.hs256), retirementPeriod: 90)
        #expect(ring.jwks(at: now).keys.isEmpty)
    }

    @Test("a retired key verifies for its retirement period, then its kid is unknown")
    func rotation() async throws {
        let ring = SigningKeyRing(current: try await SigningKey.generate(.eddsa, kid: "old"), retirementPeriod: 90)
        let old = try ring.sign(claims(now))
        ring.rotate(to: try await SigningKey.generate(.es256, kid: "new"), at: now)
        let fresh = try ring.sign(claims(now))
        #expect(fresh.hasPrefix(String(old.prefix(3))) == false || ring.currentKey.kid == "new")
        #expect(try await ring.verify(old, now: now.addingTimeInterval(60), policy: policy).sub == "alice")
        #expect(ring.jwks(at: now).keys.count == 2)
        let later = now.addingTimeInterval(91)
        let expiredClaims = claims(later)
        let stillNew = try ring.sign(expiredClaims)
        #expect(try await ring.verify(stillNew, now: later, policy: policy).sub == "alice")
        await #expect(throws: AuthError(.invalidToken, .unknownKey)) { try await ring.verify(old, now: later, policy: policy) }
        #expect(ring.jwks(at: later).keys.count == 1)
    }

    @Test("issuer, audience, typ, crit and signature are enforced")
    func strictness() async throws {
        let key = try await SigningKey.generate(.hs256, kid: "k")
        let ring = SigningKeyRing(current: key, retirementPeriod: 90)
        let token = try ring.sign(claims(now))
        await #expect(throws: AuthError(.invalidToken, .wrongIssuer)) {
            try await ring.verify(token, now: now, policy: AccessTokenPolicy(issuer: "other", audience: "aud", leeway: 30))
        }
        await #expect(throws: AuthError(.invalidToken, .wrongAudience)) {
            try await ring.verify(token, now: now, policy: AccessTokenPolicy(issuer: "iss", audience: "other", leeway: 30))
        }
        let parts = token.split(separator: ".").map(String.init)
        let jwtTyp = "\(b64url(#"{"alg":"HS256","kid":"k","typ":"JWT"}"#)).\(parts[1]).\(parts[2])"
        await #expect(throws: AuthError(.invalidToken, .wrongTokenType)) { try await ring.verify(jwtTyp, now: now, policy: policy) }
        let crit = "\(b64url(#"{"alg":"HS256","kid":"k","typ":"at+jwt","crit":["exp"]}"#)).\(parts[1]).\(parts[2])"
        await #expect(throws: AuthError(.invalidToken, .malformedToken)) { try await ring.verify(crit, now: now, policy: policy) }
        var tampered = claims(now, sub: "admin")
        tampered.sub = "admin"
        let otherPayload = String(try ring.sign(tampered).split(separator: ".")[1])
        let swapped = "\(parts[0]).\(otherPayload).\(parts[2])"
        await #expect(throws: AuthError(.invalidToken, .badSignature)) { try await ring.verify(swapped, now: now, policy: policy) }
    }

    @Test("a signature spelled with non-zero trailing bits is refused", arguments: AccessTokenAlgorithm.allCases)
    func canonicalSignature(_ algorithm: AccessTokenAlgorithm) async throws {
        let ring = SigningKeyRing(current: try await SigningKey.generate(algorithm), retirementPeriod: 90)
        let token = try ring.sign(claims(now))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var chars = Array(token)
        let last = chars.count - 1
        let index = alphabet.firstIndex(of: chars[last])!
        let signatureLength = token.split(separator: ".")[2].count
        guard signatureLength % 4 != 0 else { return } // no unused bits (e.g. none for some RSA sizes)
        chars[last] = alphabet[index ^ 1] // flip the lowest (unused) bit of the last character
        let respelled = String(chars)
        #expect(respelled != token)
        await #expect(throws: AuthError(.invalidToken, .badSignature)) { try await ring.verify(respelled, now: now, policy: policy) }
    }

    @Test("garbage of any shape is a typed invalid_token, never a crash",
          arguments: ["", ".", "..", "a.b.c", "a.b", "a.b.c.d", "é.é.é", String(repeating: "a", count: 100_000),
                      "eyJhbGciOiJIUzI1NiJ9.e30.", "eyJ.eyJ.abc", "bnVsbA.bnVsbA.bnVsbA", "W10.W10.W10",
                      "eyJhbGciOjF9.e30.abc", "\u{0}.\u{0}.\u{0}"])
    func garbage(_ input: String) async throws {
        let ring = SigningKeyRing(current: try await SigningKey.generate(.hs256), retirementPeriod: 90)
        let error = await authError { () async throws(AuthError) in try await ring.verify(input, now: now, policy: policy) }
        #expect(error?.code == .invalidToken)
    }

    @Test("claims JSON escapes quotes, backslashes, control characters and keeps Unicode",
          arguments: ["plain", "quo\"te", "back\\slash", "new\nline\ttab\r", "\u{1}\u{1f}", "ünïcødé 🔑", "</script>"])
    func claimsEscaping(_ sub: String) async throws {
        let ring = SigningKeyRing(current: try await SigningKey.generate(.hs256), retirementPeriod: 90)
        let token = try ring.sign(claims(now, sub: sub))
        #expect(try await ring.verify(token, now: now, policy: policy).sub == sub)
    }
}

func b64url(_ s: String) -> String {
    Data(s.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
}

extension Data {
    init(base64URL: String) {
        var s = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        self = Data(base64Encoded: s) ?? Data()
    }
}
