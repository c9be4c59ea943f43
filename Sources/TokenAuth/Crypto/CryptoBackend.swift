import Crypto
import Foundation
import JWTKit

/// The library that computes TokenBench's cryptographic primitives (`--crypto`): the HMAC and
/// SHA-256 of refresh tokens (``RefreshTokenCodec``) and the JWS signatures of access tokens
/// (``SigningKey``, RFC 7518 §3).
///
/// Two backends exist: ``SwiftCryptoBackend`` (`boringssl`: swift-crypto, over the BoringSSL it
/// vendors, and jwt-kit's signers) and `OpenSSLBackend` (`openssl`: Debian's OpenSSL 3
/// libcrypto, in the `TokenAuthOpenSSL` target). Keys are parsed by jwt-kit for both, so both
/// accept the same key files; a backend only computes. No backend implements a primitive
/// itself: each calls its library.
public protocol CryptoBackend: Sendable {
    /// The `--crypto` value: `boringssl` or `openssl`.
    var name: String { get }
    /// The library and its version as recorded in `result.json`, e.g. `OpenSSL 3.0.19 27 Jan 2026`.
    var library: String { get }
    /// HMAC-SHA-256 (RFC 2104, FIPS 180-4) with `key` absorbed once.
    func hmacSHA256(key: [UInt8]) -> any KeyedHMACSHA256
    /// SHA-256 of `bytes` (FIPS 180-4), as the 32-byte digest a store keeps.
    func sha256(_ bytes: UnsafeRawBufferPointer) -> TokenDigest
    /// The JWS primitive of an asymmetric private key (ES256, EdDSA, RS256; RFC 7518 §3.4, RFC 8037,
    /// RFC 7518 §3.3) that jwt-kit has already parsed as `algorithm`.
    /// - Parameters:
    ///   - algorithm: the key's algorithm (never `.hs256`, whose key is ``hmacSHA256(key:)``).
    ///   - privateKeyPEM: the key as jwt-kit writes it (PKCS #8 or PKCS #1 PEM).
    /// - Throws: ``ConfigurationError`` when this library refuses a key jwt-kit accepted, or the
    ///   key is not of `algorithm`: the backends must agree, so this fails closed.
    func signer(algorithm: AccessTokenAlgorithm, privateKeyPEM: String) async throws(ConfigurationError) -> any JWSPrimitive
}

/// HMAC-SHA-256 with its key already absorbed: each call computes one 32-byte tag.
public protocol KeyedHMACSHA256: Sendable {
    /// Writes `HMAC-SHA-256(key, message)`, 32 bytes, to the start of `tag`.
    /// - Precondition: `tag.count >= 32`.
    func authenticate(_ message: UnsafeRawBufferPointer, into tag: UnsafeMutableRawBufferPointer)
}

/// A JWS signature algorithm bound to one key (RFC 7515 §5): signs and verifies the signing
/// input `base64url(header) . base64url(payload)`.
public protocol JWSPrimitive: Sendable {
    /// The raw JWS signature bytes (RFC 7518: 32 for HS256, `r ‖ s` 64 for ES256, 64 for EdDSA,
    /// the modulus length for RS256).
    /// - Throws: the library's error if the primitive fails (it does not for a valid key).
    func sign(_ signingInput: UnsafeRawBufferPointer) throws -> [UInt8]
    /// Whether `signature` is this key's signature of `signingInput`. Fails closed: any
    /// library error is `false`.
    func verify(_ signature: UnsafeRawBufferPointer, signs signingInput: UnsafeRawBufferPointer) -> Bool
}

extension KeyedHMACSHA256 {
    /// The 32-byte tag as an array.
    public func tag(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            authenticate(message, into: UnsafeMutableRawBufferPointer(buffer))
            count = 32
        }
    }
}

/// The HS256 JWS primitive (RFC 7518 §3.2) over a backend's keyed HMAC: the signature is the
/// tag; verification recomputes it and compares in constant time.
struct HMACJWS: JWSPrimitive {
    let mac: any KeyedHMACSHA256

    func sign(_ signingInput: UnsafeRawBufferPointer) throws -> [UInt8] { mac.tag(signingInput) }

    func verify(_ signature: UnsafeRawBufferPointer, signs signingInput: UnsafeRawBufferPointer) -> Bool {
        guard signature.count == 32 else { return false }
        return withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { computed in
            mac.authenticate(signingInput, into: computed)
            return constantTimeEqual(UnsafeRawBufferPointer(computed), signature)
        }
    }
}

/// Compares two byte buffers without an early exit on the first difference (the lengths are
/// public: a MAC's).
@inline(never)
func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in 0..<a.count { difference |= a[i] ^ b[i] }
    return difference == 0
}

/// The `boringssl` backend: swift-crypto (which vendors BoringSSL on Linux) for HMAC and
/// SHA-256, and jwt-kit's signers (swift-crypto underneath) for ES256, EdDSA and RS256.
public struct SwiftCryptoBackend: CryptoBackend {
    public init() {}

    public var name: String { "boringssl" }

    /// swift-crypto's version is the one `Package.swift` resolves (a test checks it against
    /// `Package.resolved`); its BoringSSL is the one that release vendors.
    public var library: String { "swift-crypto \(Self.swiftCryptoVersion) (vendored BoringSSL)" }

    /// The swift-crypto release TokenBench builds against.
    public static let swiftCryptoVersion = "4.5.2"

    public func hmacSHA256(key: [UInt8]) -> any KeyedHMACSHA256 {
        SwiftCryptoHMAC(keyed: HMAC<SHA256>(key: SymmetricKey(data: key)))
    }

    public func sha256(_ bytes: UnsafeRawBufferPointer) -> TokenDigest {
        TokenDigest(hashing: bytes)
    }

    public func signer(algorithm: AccessTokenAlgorithm, privateKeyPEM pem: String) async throws(ConfigurationError) -> any JWSPrimitive {
        let keys = JWTKeyCollection(), kid = JWKIdentifier(string: "k")
        do {
            switch algorithm {
            case .hs256: throw ConfigurationError(setting: "HS256 key", accepted: "a secret, not a PEM key")
            case .es256: await keys.add(ecdsa: try ES256PrivateKey(pem: pem), kid: kid)
            case .eddsa: await keys.add(eddsa: try EdDSA.PrivateKey(pem: pem), kid: kid)
            case .rs256: await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: pem), digestAlgorithm: .sha256, kid: kid)
            }
            return JWTKitJWS(algorithm: try await keys.getKey(for: kid))
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(setting: "\(algorithm.rawValue) key", accepted: "a private key jwt-kit accepts")
        }
    }
}

/// swift-crypto's HMAC with the key schedule done once: each tag copies the keyed state
/// (measured: the key set-up was a sixth of a refresh).
struct SwiftCryptoHMAC: KeyedHMACSHA256 {
    let keyed: HMAC<SHA256>

    func authenticate(_ message: UnsafeRawBufferPointer, into tag: UnsafeMutableRawBufferPointer) {
        var mac = keyed
        mac.update(data: message)
        mac.finalize().withUnsafeBytes { tag.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 32) }
    }
}

/// A jwt-kit signer (`JWTAlgorithm`) as a ``JWSPrimitive``.
struct JWTKitJWS: JWSPrimitive {
    let algorithm: any JWTAlgorithm

    func sign(_ signingInput: UnsafeRawBufferPointer) throws -> [UInt8] {
        try algorithm.sign(signingInput)
    }

    func verify(_ signature: UnsafeRawBufferPointer, signs signingInput: UnsafeRawBufferPointer) -> Bool {
        (try? algorithm.verify(signature, signs: signingInput)) == true
    }
}
