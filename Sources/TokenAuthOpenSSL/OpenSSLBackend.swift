import COpenSSL
import Foundation
import Synchronization
import TokenAuth

/// The `openssl` backend (`--crypto openssl`): Debian's OpenSSL 3 libcrypto (`libssl-dev`)
/// through its EVP interfaces: `EVP_MAC` for HMAC-SHA-256, `EVP_Digest` for SHA-256,
/// `EVP_DigestSign`/`EVP_DigestVerify` for RS256 (RSASSA-PKCS1-v1_5 with SHA-256), ES256
/// (ECDSA P-256 with SHA-256; the JWS `r ‖ s` form of RFC 7518 §3.4 converted to and from
/// OpenSSL's DER `ECDSA-Sig-Value`) and EdDSA (Ed25519, RFC 8037).
///
/// Keys are parsed by jwt-kit first (``SigningKey``), then loaded here from the PEM jwt-kit
/// writes; a key OpenSSL refuses, or reads as another type, is a ``ConfigurationError``: the
/// backends never silently differ.
public struct OpenSSLBackend: CryptoBackend {
    public init() {}

    public var name: String { "openssl" }

    /// `OpenSSL_version(OPENSSL_VERSION)` of the libcrypto loaded at run time.
    public var library: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }

    public func hmacSHA256(key: [UInt8]) -> any KeyedHMACSHA256 {
        OpenSSLHMAC(key: key)
    }

    public func sha256(_ bytes: UnsafeRawBufferPointer) -> TokenDigest {
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { out in
            var length: UInt32 = 0
            let ok = EVP_Digest(bytes.baseAddress, bytes.count, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &length,
                                OpenSSLAlgorithms.shared.sha256, nil)
            precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
            return TokenDigest(digest: UnsafeRawBufferPointer(out))
        }
    }

    public func signer(algorithm: AccessTokenAlgorithm, privateKeyPEM pem: String) async throws(ConfigurationError) -> any JWSPrimitive {
        try OpenSSLJWS(algorithm: algorithm, pem: pem)
    }
}

/// The algorithms fetched once from the default provider: an implicit fetch on every call
/// (`EVP_sha256()`) costs a lock and a lookup per operation in OpenSSL 3.
final class OpenSSLAlgorithms: @unchecked Sendable {
    // @unchecked: immutable after init; OpenSSL's fetched algorithm objects are thread-safe.
    static let shared = OpenSSLAlgorithms()
    let sha256: OpaquePointer
    let hmac: OpaquePointer

    private init() {
        guard let sha256 = EVP_MD_fetch(nil, "SHA256", nil), let hmac = EVP_MAC_fetch(nil, "HMAC", nil) else {
            fatalError("OpenSSL's default provider has no SHA256 or HMAC")
        }
        self.sha256 = sha256
        self.hmac = hmac
    }
}

/// HMAC-SHA-256 through `EVP_MAC`, keyed once. An `EVP_MAC_CTX` is not safe to share between
/// threads, so each tag borrows a context from a small pool (a duplicate of the keyed
/// template) and re-initialises it with `EVP_MAC_init(ctx, NULL, 0, NULL)`, which reuses the
/// absorbed key instead of running the key schedule again.
final class OpenSSLHMAC: KeyedHMACSHA256, @unchecked Sendable {
    // @unchecked: `template` is only read (duplicated) after init; the pool is behind a lock.
    private let template: OpaquePointer
    private let pool = Locked<[Context]>([])

    /// An `EVP_MAC_CTX` owned by the pool while no thread uses it.
    struct Context: @unchecked Sendable {
        // @unchecked: a context is used by one thread at a time (taken out, then put back).
        let pointer: OpaquePointer
    }

    init(key: [UInt8]) {
        guard let ctx = EVP_MAC_CTX_new(OpenSSLAlgorithms.shared.hmac) else { fatalError("EVP_MAC_CTX_new failed") }
        let ok = "SHA256".withCString { digest -> Int32 in
            var params = [OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, UnsafeMutablePointer(mutating: digest), 0),
                          OSSL_PARAM_construct_end()]
            return key.withUnsafeBufferPointer { EVP_MAC_init(ctx, $0.baseAddress, $0.count, &params) }
        }
        precondition(ok == 1, "EVP_MAC_init(HMAC-SHA-256) failed")
        template = ctx
    }

    deinit {
        EVP_MAC_CTX_free(template)
        for ctx in pool.withLock({ $0 }) { EVP_MAC_CTX_free(ctx.pointer) }
    }

    func authenticate(_ message: UnsafeRawBufferPointer, into tag: UnsafeMutableRawBufferPointer) {
        precondition(tag.count >= 32)
        let ctx = pool.withLock { $0.popLast() }?.pointer ?? EVP_MAC_CTX_dup(template)!
        var length = 0
        let ok = EVP_MAC_init(ctx, nil, 0, nil) == 1
            && EVP_MAC_update(ctx, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count) == 1
            && EVP_MAC_final(ctx, tag.baseAddress!.assumingMemoryBound(to: UInt8.self), &length, 32) == 1
        precondition(ok && length == 32, "EVP_MAC(HMAC-SHA-256) failed")
        let returned = Context(pointer: ctx)
        let kept = pool.withLock { p -> Bool in
            guard p.count < 64 else { return false }
            p.append(returned)
            return true
        }
        if !kept { EVP_MAC_CTX_free(ctx) }
    }
}

/// RS256, ES256 or EdDSA through `EVP_DigestSign`/`EVP_DigestVerify` with one `EVP_PKEY`
/// (read-only after loading, so shared by every thread; each call has its own `EVP_MD_CTX`).
final class OpenSSLJWS: JWSPrimitive, @unchecked Sendable {
    // @unchecked: the key is never modified after init; OpenSSL allows concurrent use of a
    // const EVP_PKEY from separate operation contexts.
    private let key: OpaquePointer
    let algorithm: AccessTokenAlgorithm

    init(algorithm: AccessTokenAlgorithm, pem: String) throws(ConfigurationError) {
        self.algorithm = algorithm
        let refused = ConfigurationError(setting: "\(algorithm.rawValue) key", accepted: "a private key OpenSSL also accepts")
        guard algorithm != .hs256 else { throw refused }
        let loaded: OpaquePointer? = pem.utf8CString.withUnsafeBufferPointer { text in
            guard let bio = BIO_new_mem_buf(text.baseAddress, Int32(text.count - 1)) else { return nil }
            defer { BIO_free(bio) }
            // No passphrase callback may prompt: an encrypted key is refused, not asked for.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        ERR_clear_error()
        guard let key = loaded else { throw refused }
        let expected: Int32 = switch algorithm {
        case .es256: EVP_PKEY_EC
        case .eddsa: EVP_PKEY_ED25519
        case .rs256: EVP_PKEY_RSA
        case .hs256: 0
        }
        guard EVP_PKEY_get_base_id(key) == expected,
              algorithm != .es256 || Self.curveName(key) == "prime256v1",
              algorithm != .rs256 || EVP_PKEY_get_bits(key) >= 2048
        else {
            EVP_PKEY_free(key)
            throw refused
        }
        self.key = key
    }

    deinit { EVP_PKEY_free(key) }

    private static func curveName(_ key: OpaquePointer) -> String? {
        var name = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, &name, name.count, &length) == 1 else { return nil }
        return String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `SHA256` for RS256 and ES256; none for Ed25519, which hashes inside (RFC 8032).
    private var digestName: String? { algorithm == .eddsa ? nil : "SHA256" }

    func sign(_ signingInput: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw OpenSSLError.failed("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(ctx) }
        let input = signingInput.baseAddress?.assumingMemoryBound(to: UInt8.self)
        guard initialise(ctx, sign: true) else { throw OpenSSLError.failed("EVP_DigestSignInit_ex") }
        var length = 0
        guard EVP_DigestSign(ctx, nil, &length, input, signingInput.count) == 1 else { throw OpenSSLError.failed("EVP_DigestSign") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(ctx, &signature, &length, input, signingInput.count) == 1 else { throw OpenSSLError.failed("EVP_DigestSign") }
        signature.removeLast(signature.count - length)
        return algorithm == .es256 ? try Self.rawECDSA(fromDER: signature) : signature
    }

    func verify(_ signature: UnsafeRawBufferPointer, signs signingInput: UnsafeRawBufferPointer) -> Bool {
        defer { ERR_clear_error() }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard initialise(ctx, sign: false) else { return false }
        let input = signingInput.baseAddress?.assumingMemoryBound(to: UInt8.self)
        if algorithm == .es256 {
            guard let der = Self.derECDSA(fromRaw: signature) else { return false }
            return EVP_DigestVerify(ctx, der, der.count, input, signingInput.count) == 1
        }
        return EVP_DigestVerify(ctx, signature.baseAddress?.assumingMemoryBound(to: UInt8.self), signature.count,
                                input, signingInput.count) == 1
    }

    private func initialise(_ ctx: OpaquePointer, sign: Bool) -> Bool {
        if let digestName {
            return digestName.withCString { md in
                sign ? EVP_DigestSignInit_ex(ctx, nil, md, nil, nil, key, nil) == 1
                     : EVP_DigestVerifyInit_ex(ctx, nil, md, nil, nil, key, nil) == 1
            }
        }
        return sign ? EVP_DigestSignInit_ex(ctx, nil, nil, nil, nil, key, nil) == 1
                    : EVP_DigestVerifyInit_ex(ctx, nil, nil, nil, nil, key, nil) == 1
    }

    /// DER `ECDSA-Sig-Value` (SEC 1 / RFC 3279) to the JWS form `r ‖ s`, 32 bytes each, big-endian
    /// (RFC 7518 §3.4).
    static func rawECDSA(fromDER der: [UInt8]) throws -> [UInt8] {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var p: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &p, buffer.count)
        }
        guard let sig = parsed else { throw OpenSSLError.failed("d2i_ECDSA_SIG") }
        defer { ECDSA_SIG_free(sig) }
        var raw = [UInt8](repeating: 0, count: 64)
        let ok = raw.withUnsafeMutableBufferPointer { out in
            BN_bn2binpad(ECDSA_SIG_get0_r(sig), out.baseAddress, 32) == 32
                && BN_bn2binpad(ECDSA_SIG_get0_s(sig), out.baseAddress! + 32, 32) == 32
        }
        guard ok else { throw OpenSSLError.failed("BN_bn2binpad") }
        return raw
    }

    /// The JWS `r ‖ s` (exactly 64 bytes, else `nil`) as DER for `EVP_DigestVerify`.
    static func derECDSA(fromRaw raw: UnsafeRawBufferPointer) -> [UInt8]? {
        guard raw.count == 64, let sig = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(sig) }
        let bytes = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
        guard let r = BN_bin2bn(bytes, 32, nil) else { return nil }
        guard let s = BN_bin2bn(bytes + 32, 32, nil) else { BN_free(r); return nil }
        guard ECDSA_SIG_set0(sig, r, s) == 1 else { BN_free(r); BN_free(s); return nil }
        var out: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_ECDSA_SIG(sig, &out)
        guard length > 0, let out else { return nil }
        defer { CRYPTO_free(out, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }
}

/// A libcrypto call that failed where it cannot for valid keys and inputs.
enum OpenSSLError: Error, CustomStringConvertible {
    case failed(String)

    var description: String {
        switch self {
        case .failed(let call): "OpenSSL: \(call) failed"
        }
    }
}
