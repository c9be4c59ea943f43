import Crypto
import _CryptoExtras
import ExtrasBase64
import Foundation
import JWTKit

/// One access-token signing key, bound to one algorithm and one `kid`.
///
/// Keys, algorithms and the signature primitives are jwt-kit's (`JWTAlgorithm`, taken from a
/// `JWTKeyCollection` holding only this key); TokenBench assembles the compact JWS itself
/// (`base64url(header) . base64url(claims) . base64url(signature)`, RFC 7515 §7.1) so that
/// signing and verifying are synchronous calls: going through the `JWTKeyCollection` actor
/// cost two executor hops per token, measured at over half of an in-process refresh.
/// Verification never lets jwt-kit choose a key: ``SigningKeyRing`` pins `kid` and `alg`
/// first (jwt-kit's collection would fall back to its default key for an unknown `kid`,
/// which RFC 8725 §3.10 forbids).
public struct SigningKey: Sendable {
    /// The key identifier (`kid` header).
    public let kid: String
    /// The one algorithm this key signs and verifies with.
    public let algorithm: AccessTokenAlgorithm
    /// The public half as a JWK (`nil` for HS256, whose key is secret).
    public let publicJWK: JWK?
    /// jwt-kit's signer/verifier for this key.
    let primitive: any JWTAlgorithm
    /// `base64url(header)` of every token this key signs, encoded once.
    let encodedHeader: [UInt8]

    private init(kid: String, algorithm: AccessTokenAlgorithm, publicJWK: JWK?, keys: JWTKeyCollection) async throws {
        self.kid = kid
        self.algorithm = algorithm
        self.publicJWK = publicJWK
        self.primitive = try await keys.getKey(for: JWKIdentifier(string: kid))
        self.encodedHeader = Base64.encodeToBytes(
            bytes: AccessTokenJSON.header(alg: algorithm.rawValue, kid: kid), options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    /// Makes a new key.
    /// - Parameters:
    ///   - algorithm: the algorithm the key is bound to.
    ///   - kid: the key id; defaults to 16 random base64url characters.
    ///   - random: source of the HS256 secret and the default `kid` (ES256, EdDSA and RS256 keys
    ///     come from swift-crypto's own generator).
    public static func generate(
        _ algorithm: AccessTokenAlgorithm, kid: String? = nil, random: any RandomSource = SystemRandomSource()
    ) async throws -> SigningKey {
        let kid = kid ?? Base64.encodeToString(bytes: random.bytes(12), options: [.base64UrlAlphabet, .omitPaddingCharacter])
        let keys = makeCollection()
        let identifier = JWKIdentifier(string: kid)
        switch algorithm {
        case .hs256:
            await keys.add(hmac: HMACKey(key: SymmetricKey(data: random.bytes(32))), digestAlgorithm: .sha256, kid: identifier)
            return try await SigningKey(kid: kid, algorithm: algorithm, publicJWK: nil, keys: keys)
        case .es256: return try await es256(ES256PrivateKey(), kid: kid)
        case .eddsa: return try await eddsa(EdDSA.PrivateKey(curve: .ed25519), kid: kid)
        case .rs256: return try await rs256(Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048)), kid: kid)
        }
    }

    private static func es256(_ key: ES256PrivateKey, kid: String) async throws -> SigningKey {
        let keys = makeCollection(), identifier = JWKIdentifier(string: kid)
        await keys.add(ecdsa: key, kid: identifier)
        let parameters = key.publicKey.parameters
        let jwk = JWK.ecdsa(.es256, identifier: identifier, x: parameters?.x, y: parameters?.y, curve: .p256)
        return try await SigningKey(kid: kid, algorithm: .es256, publicJWK: jwk, keys: keys)
    }

    private static func eddsa(_ key: EdDSA.PrivateKey, kid: String) async throws -> SigningKey {
        let keys = makeCollection(), identifier = JWKIdentifier(string: kid)
        await keys.add(eddsa: key, kid: identifier)
        let x = Base64.encodeToString(bytes: key.publicKey.rawRepresentation, options: [.base64UrlAlphabet, .omitPaddingCharacter])
        let jwk = JWK.octetKeyPair(.eddsa, identifier: identifier, x: x, y: nil, curve: .ed25519)
        return try await SigningKey(kid: kid, algorithm: .eddsa, publicJWK: jwk, keys: keys)
    }

    private static func rs256(_ key: JWTKit.Insecure.RSA.PrivateKey, kid: String) async throws -> SigningKey {
        let keys = makeCollection(), identifier = JWKIdentifier(string: kid)
        await keys.add(rsa: key, digestAlgorithm: .sha256, kid: identifier)
        let primitives = try key.publicKey.getKeyPrimitives()
        let jwk = JWK.rsa(
            .rs256, identifier: identifier,
            modulus: Base64.encodeToString(bytes: primitives.modulus, options: [.base64UrlAlphabet, .omitPaddingCharacter]),
            exponent: Base64.encodeToString(bytes: primitives.publicExponent, options: [.base64UrlAlphabet, .omitPaddingCharacter]))
        return try await SigningKey(kid: kid, algorithm: .rs256, publicJWK: jwk, keys: keys)
    }

    /// Makes an HS256 key from a shared secret (for several nodes that must accept each
    /// other's tokens).
    /// - Throws: ``ConfigurationError`` if the secret is shorter than 32 bytes (RFC 7518 §3.2).
    public static func hs256(secret: some Collection<UInt8>, kid: String) async throws -> SigningKey {
        guard secret.count >= 32 else { throw ConfigurationError(setting: "HS256 secret", accepted: "at least 32 bytes") }
        let keys = makeCollection()
        await keys.add(hmac: HMACKey(key: SymmetricKey(data: Array(secret))), digestAlgorithm: .sha256,
                       kid: JWKIdentifier(string: kid))
        return try await SigningKey(kid: kid, algorithm: .hs256, publicJWK: nil, keys: keys)
    }

    private static func makeCollection() -> JWTKeyCollection { JWTKeyCollection() }

    /// A key from a PEM private key: P-256 (ES256; SEC 1 or PKCS #8), Ed25519 (EdDSA; PKCS #8,
    /// RFC 8410) or RSA (RS256; PKCS #1 or PKCS #8, at least 2048 bits), parsed by jwt-kit.
    /// - Parameters:
    ///   - pem: the file's text.
    ///   - kid: the key id every server of the service gives it (the file's name).
    /// - Throws: ``ConfigurationError`` for text that is none of these keys.
    public static func fromPEM(_ pem: String, kid: String) async throws(ConfigurationError) -> SigningKey {
        do {
            if let key = try? ES256PrivateKey(pem: pem) { return try await es256(key, kid: kid) }
            if let key = try? EdDSA.PrivateKey(pem: pem) { return try await eddsa(key, kid: kid) }
            if let key = try? Insecure.RSA.PrivateKey(pem: pem) { return try await rs256(key, kid: kid) }
        } catch {
            throw ConfigurationError(setting: "key \(kid)", accepted: "a usable private key")
        }
        throw ConfigurationError(setting: "key \(kid)", accepted: "a PEM private key: P-256 (ES256), Ed25519 (EdDSA) or RSA ≥ 2048 bits (RS256)")
    }
}

extension SigningKey {
    /// Signs claims: the compact JWS `header.claims.signature` (RFC 7515 §7.1).
    /// - Throws: jwt-kit's error if the primitive fails (it does not for a valid key).
    func sign(_ claims: AccessTokenClaims) throws -> String {
        let payload = AccessTokenJSON.claims(claims)
        var token = [UInt8]()
        token.reserveCapacity(encodedHeader.count + payload.count * 4 / 3 + 400)
        token.append(contentsOf: encodedHeader)
        token.append(UInt8(ascii: "."))
        token.append(contentsOf: Base64.encodeToBytes(bytes: payload, options: [.base64UrlAlphabet, .omitPaddingCharacter]))
        let signature = try primitive.sign(token)
        token.append(UInt8(ascii: "."))
        token.append(contentsOf: Base64.encodeToBytes(bytes: signature, options: [.base64UrlAlphabet, .omitPaddingCharacter]))
        return String(decoding: token, as: UTF8.self)
    }
}
