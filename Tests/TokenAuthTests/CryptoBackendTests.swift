import Crypto
import Foundation
import JWTKit
import Testing
@testable import TokenAuth
import TokenAuthOpenSSL

/// The two crypto backends (`--crypto boringssl|openssl`) compute the same functions: same
/// MACs, same digests, each verifies the other's tokens, deterministic algorithms give the same
/// bytes, and they accept and refuse the same key files.
@Suite("Crypto backends: swift-crypto (BoringSSL) and OpenSSL 3 agree")
struct CryptoBackendTests {
    static let backends: [any CryptoBackend] = [SwiftCryptoBackend(), OpenSSLBackend()]
    let boring = SwiftCryptoBackend()
    let openssl = OpenSSLBackend()

    func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }

    @Test("HMAC-SHA-256: both backends give swift-crypto's one-shot HMAC, for keys and messages of every size")
    func hmac() {
        for keyLength in [1, 16, 32, 64, 65, 200] {
            for messageLength in [0, 1, 40, 55, 56, 64, 200, 1000] {
                let key = random(keyLength), message = random(messageLength)
                let expected = Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
                for backend in Self.backends {
                    let keyed = backend.hmacSHA256(key: key)
                    // Twice: a keyed MAC gives the same tag on reuse (OpenSSL re-initialises its context).
                    for _ in 0..<2 {
                        #expect(message.withUnsafeBytes { keyed.tag($0) } == expected, "\(backend.name), key \(keyLength), message \(messageLength)")
                    }
                }
            }
        }
    }

    @Test("HMAC-SHA-256 under concurrency: OpenSSL's context pool gives every task the right tag")
    func hmacConcurrent() async {
        let key = random(32)
        let keyed = openssl.hmacSHA256(key: key)
        let wrong = await withTaskGroup(of: Int.self) { group in
            for t in 0..<8 {
                group.addTask {
                    var wrong = 0
                    for i in 0..<2_000 {
                        let message = Array("task \(t) message \(i)".utf8)
                        let expected = Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
                        if message.withUnsafeBytes({ keyed.tag($0) }) != expected { wrong += 1 }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(wrong == 0)
    }

    @Test("SHA-256: FIPS 180-4's test vectors and random inputs, the same from both")
    func sha256() {
        let abc = Array("abc".utf8)
        let expected = TokenDigest(bytes: [0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                           0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad])!
        let empty = TokenDigest(bytes: Array(SHA256.hash(data: [UInt8]())))!
        for backend in Self.backends {
            #expect(abc.withUnsafeBytes { backend.sha256($0) } == expected, "\(backend.name)")
            #expect([UInt8]().withUnsafeBytes { backend.sha256($0) } == empty, "\(backend.name): empty input")
        }
        for length in [1, 57, 63, 64, 65, 1000] {
            let input = random(length)
            #expect(input.withUnsafeBytes { boring.sha256($0) } == input.withUnsafeBytes { openssl.sha256($0) })
            #expect(input.withUnsafeBytes { openssl.sha256($0) } == TokenDigest(of: input))
        }
    }

    @Test("refresh tokens: one secret, the same tokens and digests; each backend parses the other's")
    func refreshTokens() throws {
        let secret = random(32)
        let a = try RefreshTokenCodec(secret: secret, crypto: boring)
        let b = try RefreshTokenCodec(secret: secret, crypto: openssl)
        for generation in [UInt64(0), 1, 7, .max] {
            let family = FamilyID(rawValue: UInt128.random(in: 0...UInt128.max))
            let (tokenA, digestA) = a.mint(family: family, generation: generation)
            let (tokenB, digestB) = b.mint(family: family, generation: generation)
            #expect(tokenA == tokenB)
            #expect(digestA == digestB)
            #expect(b.parse(tokenA) == RefreshTokenHandle(family: family, generation: generation, digest: digestA))
            #expect(a.parse(tokenB) == RefreshTokenHandle(family: family, generation: generation, digest: digestB))
        }
        // A token of another secret, and a tampered tag, fail on both.
        let other = try RefreshTokenCodec(secret: random(32), crypto: openssl)
        let foreign = other.mint(family: FamilyID(rawValue: 9), generation: 1).token
        #expect(a.parse(foreign) == nil)
        #expect(b.parse(foreign) == nil)
        var tampered = Array(a.mint(family: FamilyID(rawValue: 9), generation: 1).token.utf8)
        tampered[70] = tampered[70] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(b.parse(String(decoding: tampered, as: UTF8.self)) == nil)
    }

    func claims(_ now: Date) -> AccessTokenClaims {
        let t = Int64(now.timeIntervalSince1970)
        return AccessTokenClaims(iss: "tokenbench", sub: "user7", aud: ["tokenbench-api"], exp: t + 300, iat: t,
                                 jti: "AAAAAAAAAAAAAAAAAAAAAA.3", sid: "AAAAAAAAAAAAAAAAAAAAAA")
    }

    let policy = AccessTokenPolicy(issuer: "tokenbench", audience: "tokenbench-api", leeway: 30)

    @Test("access tokens: each backend verifies the other's; HS256, RS256 and EdDSA give identical bytes",
          arguments: AccessTokenAlgorithm.allCases)
    func accessTokens(_ algorithm: AccessTokenAlgorithm) async throws {
        for origin in Self.backends {
            let key = try await SigningKey.generate(algorithm, crypto: origin)
            let a = try await key.using(boring), b = try await key.using(openssl)
            #expect(a.crypto.name == "boringssl" && b.crypto.name == "openssl")
            let ringA = SigningKeyRing(current: a, retirementPeriod: 60), ringB = SigningKeyRing(current: b, retirementPeriod: 60)
            let now = Date()
            let c = claims(now)
            let tokenA = try ringA.sign(c), tokenB = try ringB.sign(c)
            #expect(try await ringB.verify(tokenA, now: now, policy: policy) == c, "openssl verifies boringssl's \(algorithm.rawValue)")
            #expect(try await ringA.verify(tokenB, now: now, policy: policy) == c, "boringssl verifies openssl's \(algorithm.rawValue)")
            if algorithm != .es256 {
                #expect(tokenA == tokenB, "\(algorithm.rawValue) is deterministic: the same bytes from both")
            } else {
                #expect(tokenA != tokenB, "ECDSA signatures are randomised")
            }
            // A flipped signature byte fails on both.
            var bytes = Array(tokenB.utf8)
            let i = bytes.count - 3
            bytes[i] = bytes[i] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            let forged = String(decoding: bytes, as: UTF8.self)
            for ring in [ringA, ringB] {
                await #expect(throws: AuthError.self) { _ = try await ring.verify(forged, now: now, policy: policy) }
            }
        }
    }

    @Test("ES256 signatures from OpenSSL are the JWS r ‖ s form (64 bytes), and a DER signature is refused",
          arguments: [false, true])
    func ecdsaForm(_ openSSLSigns: Bool) async throws {
        let key = try await SigningKey.generate(.es256, crypto: openSSLSigns ? openssl : boring)
        let input = Array("eyJ.eyJ".utf8)
        let signature = try input.withUnsafeBytes { try key.jwsPrimitive.sign($0) }
        #expect(signature.count == 64)
        let other = try await key.using(openSSLSigns ? boring : openssl)
        #expect(signature.withUnsafeBytes { s in input.withUnsafeBytes { other.jwsPrimitive.verify(s, signs: $0) } })
        // The DER form of the same signature is not a JWS signature.
        let der = try P256.Signing.ECDSASignature(rawRepresentation: signature).derRepresentation
        for k in [key, other] {
            #expect(!der.withUnsafeBytes { s in input.withUnsafeBytes { k.jwsPrimitive.verify(s, signs: $0) } })
        }
    }

    @Test("jwt-kit alone verifies tokens of the OpenSSL backend, from the JWKS (or the shared HS256 secret)",
          arguments: AccessTokenAlgorithm.allCases)
    func jwtKitVerifies(_ algorithm: AccessTokenAlgorithm) async throws {
        let secret = random(32)
        let key = algorithm == .hs256
            ? try await SigningKey.hs256(secret: secret, kid: "k1", crypto: openssl)
            : try await SigningKey.generate(algorithm, kid: "k1", crypto: openssl)
        let ring = SigningKeyRing(current: key, retirementPeriod: 60)
        let token = try ring.sign(claims(Date()))
        let keys = JWTKeyCollection()
        if algorithm == .hs256 {
            await keys.add(hmac: HMACKey(key: SymmetricKey(data: secret)), digestAlgorithm: .sha256, kid: "k1")
        } else {
            try await keys.add(jwksJSON: String(decoding: try ring.jwksJSON(at: Date()), as: UTF8.self))
        }
        let verified = try await keys.verify(token, as: AccessTokenClaims.self)
        #expect(verified.sub == "user7")
        #expect(verified.sid == "AAAAAAAAAAAAAAAAAAAAAA")
    }

    // MARK: Key files: both backends accept and refuse the same ones.

    /// Runs the `openssl` command line (Debian's openssl package, installed by script/bootstrap --test).
    func openSSL(_ arguments: [String], in dir: String) throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["openssl"] + arguments
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    @Test("key files made by the openssl command line: the backends accept and refuse exactly the same, and accepted keys cross-verify")
    func keyFileParity() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenbench-pem-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // name: (commands, expected to be accepted)
        let recipes: [(String, [[String]], Bool)] = [
            ("p256-pkcs8", [["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "p256-pkcs8"]], true),
            ("p256-sec1", [["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "p256-sec1"]], true),
            // Two PEM blocks (EC PARAMETERS, then the key): jwt-kit's reader wants exactly one,
            // so both backends refuse it (README: keys are one PEM block; `ecparam -noout`).
            ("p256-with-params", [["ecparam", "-name", "prime256v1", "-genkey", "-out", "p256-with-params"]], false),
            ("p384", [["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "p384"]], false),
            ("ed25519", [["genpkey", "-algorithm", "ED25519", "-out", "ed25519"]], true),
            ("ed448", [["genpkey", "-algorithm", "ED448", "-out", "ed448"]], false),
            ("rsa2048-pkcs8", [["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa2048-pkcs8"]], true),
            ("rsa2048-pkcs1", [["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "tmp-rsa"],
                               ["pkey", "-in", "tmp-rsa", "-traditional", "-out", "rsa2048-pkcs1"]], true),
            ("rsa1024", [["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "rsa1024"]], false),
            ("rsa-pss", [["genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa-pss"]], false),
            ("p256-encrypted", [["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes-128-cbc", "-pass", "pass:secret", "-out", "p256-encrypted"]], false),
            ("p256-public", [["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "tmp-p256"],
                             ["pkey", "-in", "tmp-p256", "-pubout", "-out", "p256-public"]], false),
        ]
        var texts: [(String, String, Bool)] = []
        for (name, commands, accepted) in recipes {
            for command in commands { #expect(try openSSL(command, in: dir), "openssl \(command.joined(separator: " "))") }
            texts.append((name, try String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8), accepted))
        }
        // Variants of one good key: CRLF line ends, text before the block, a truncated body.
        let good = texts[0].1
        texts.append(("p256-crlf", good.replacingOccurrences(of: "\n", with: "\r\n"), true))
        texts.append(("p256-preamble", "a comment line\n" + good, false)) // text outside the block: refused by both
        texts.append(("p256-truncated", String(good.prefix(good.count / 2)) + "\n-----END PRIVATE KEY-----\n", false))
        texts.append(("garbage", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", false))
        texts.append(("empty", "", false))

        let now = Date()
        for (name, pem, expectedAccepted) in texts {
            let a = try? await SigningKey.fromPEM(pem, kid: name, crypto: boring)
            let b = try? await SigningKey.fromPEM(pem, kid: name, crypto: openssl)
            #expect((a != nil) == (b != nil), "\(name): boringssl \(a != nil ? "accepts" : "refuses"), openssl \(b != nil ? "accepts" : "refuses")")
            #expect((a != nil) == expectedAccepted, "\(name): expected \(expectedAccepted ? "accepted" : "refused")")
            if let a, let b {
                #expect(a.algorithm == b.algorithm)
                let c = claims(now)
                let tokenA = try SigningKeyRing(current: a, retirementPeriod: 60).sign(c)
                let tokenB = try SigningKeyRing(current: b, retirementPeriod: 60).sign(c)
                #expect(try await SigningKeyRing(current: b, retirementPeriod: 60).verify(tokenA, now: now, policy: policy) == c, "\(name)")
                #expect(try await SigningKeyRing(current: a, retirementPeriod: 60).verify(tokenB, now: now, policy: policy) == c, "\(name)")
            }
        }
    }

    @Test("a key directory loads into the OpenSSL backend, and its ring verifies the swift-crypto ring's tokens")
    func keyDirectory() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenbench-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try openSSL(["genpkey", "-algorithm", "ED25519", "-out", "2026-12.pem"], in: dir))
        try Data(random(32)).write(to: URL(fileURLWithPath: "\(dir)/old.hs256"))
        let a = try await KeyDirectory.load(dir, signing: .eddsa, retirementPeriod: 60, crypto: boring)
        let b = try await KeyDirectory.load(dir, signing: .eddsa, retirementPeriod: 60, crypto: openssl)
        #expect(b.currentKey.crypto.name == "openssl")
        let now = Date()
        let c = claims(now)
        #expect(try a.sign(c) == b.sign(c))
        #expect(try await b.verify(a.sign(c), now: now, policy: policy) == c)
        #expect(try a.jwksJSON(at: now) == b.jwksJSON(at: now))
    }

    @Test("the backends name their libraries: OpenSSL 3 at run time, swift-crypto at the version Package.resolved pins")
    func libraries() throws {
        #expect(openssl.name == "openssl")
        #expect(openssl.library.hasPrefix("OpenSSL 3."), "\(openssl.library)")
        #expect(boring.name == "boringssl")
        // Package.resolved is written by every `swift build` at the package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let resolved = try Data(contentsOf: root.appendingPathComponent("Package.resolved"))
        let pins = try #require((try JSONSerialization.jsonObject(with: resolved) as? [String: Any])?["pins"] as? [[String: Any]])
        let crypto = try #require(pins.first { ($0["identity"] as? String) == "swift-crypto" })
        let version = (crypto["state"] as? [String: Any])?["version"] as? String
        #expect(version == SwiftCryptoBackend.swiftCryptoVersion)
        #expect(boring.library == "swift-crypto \(version ?? "?") (vendored BoringSSL)")
    }

    @Test("a key never prints: descriptions name the kid, the algorithm and the backend only")
    func redacted() async throws {
        let secret = [UInt8](repeating: 0x41, count: 32)
        let key = try await SigningKey.hs256(secret: secret, kid: "k", crypto: openssl)
        var dumped = ""
        dump(key, to: &dumped)
        let text = "\(key) \(String(reflecting: key)) \(dumped)"
        #expect(!text.contains("AAAAAAAA") && !text.contains("65, 65, 65"), "\(text)")
        let pemKey = try await SigningKey.generate(.es256, crypto: openssl)
        var dumpedPEM = ""
        dump(pemKey, to: &dumpedPEM)
        #expect(!"\(pemKey) \(String(reflecting: pemKey)) \(dumpedPEM)".contains("PRIVATE KEY"))
    }
}
