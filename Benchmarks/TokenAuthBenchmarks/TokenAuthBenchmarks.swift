import Benchmark
import Crypto
import Dispatch
import Foundation
import TokenAuth
import TokenAuthOpenSSL
import _CryptoExtras

/// Micro-benchmarks of the auth core.
///
/// Run: `swift package --disable-sandbox benchmark --target TokenAuthBenchmarks`.
/// Check against the committed p90 thresholds:
/// `swift package --disable-sandbox benchmark thresholds check --target TokenAuthBenchmarks --path Benchmarks/Thresholds`.
/// `TOKENBENCH_BENCH_SMOKE=1` runs each benchmark a few iterations only (CI's smoke mode: it
/// proves the suite runs, it measures nothing).
///
/// Names are dotted (`access-token.sign.HS256`), not slashed: package-benchmark 1.38.1 writes a
/// threshold file with `/` replaced by `_` but looks it up with the `/` kept, so a slashed name
/// never finds its thresholds.
///
/// Every access-token benchmark `access-token.<sign|verify>.<ALG>` has a twin
/// `primitive.<sign|verify>.<ALG>`: the swift-crypto operation it rests on, over the same
/// signing input (the token's `header.payload`). The ratio of the two is the JWT layer's
/// overhead: header and claims encoding, base64url, key lookup, header and claim checks.
///
/// Crypto backends (`--crypto`): a name without a suffix is the `boringssl` backend
/// (swift-crypto); the same name with `.openssl` is the `openssl` backend (OpenSSL 3's
/// libcrypto). `primitive.*.openssl` is the backend's own primitive (``JWSPrimitive``: one EVP
/// call and the JWS signature form), the floor of `access-token.*.openssl`.
let benchmarks: @Sendable () -> Void = {
    let smoke = ProcessInfo.processInfo.environment["TOKENBENCH_BENCH_SMOKE"] == "1"
    // Tolerances for `thresholds check` against the p90 values in Benchmarks/Thresholds/: time
    // and throughput move ±25 % on these shared 2-core machines; allocation counts are nearly
    // deterministic, so 5 % of them is already a code change.
    let noisy = BenchmarkThresholds(relative: [.p90: 25.0])
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: smoke ? 0 : 3,
        scalingFactor: .kilo,
        maxDuration: smoke ? .milliseconds(50) : .seconds(3),
        maxIterations: smoke ? 2 : 1_000,
        thresholds: [.wallClock: noisy, .throughput: noisy, .mallocCountTotal: BenchmarkThresholds(relative: [.p90: 5.0])]
    )
    // Benchmarks whose one iteration is already long (a password hash, 100,000 rotations).
    let slow = Benchmark.Configuration(
        scalingFactor: .one, maxDuration: smoke ? .milliseconds(50) : .seconds(5), maxIterations: smoke ? 1 : 200)

    // MARK: Access tokens: the JWT layer (jwt-kit through SigningKeyRing) beside its primitive.

    let backends: [(suffix: String, crypto: any CryptoBackend)] = [("", SwiftCryptoBackend()), (".openssl", OpenSSLBackend())]

    for algorithm in AccessTokenAlgorithm.allCases {
      for (suffix, crypto) in backends {
        let name = algorithm.rawValue + suffix

        Benchmark("access-token.sign.\(name)") { benchmark, fixture in
            let ring = fixture.ring
            let claims = fixture.claims
            for _ in benchmark.scaledIterations {
                blackHole(try ring.sign(claims))
            }
        } setup: {
            try await AccessTokenFixture(algorithm, crypto: crypto)
        }

        Benchmark("access-token.verify.\(name)") { benchmark, fixture in
            let ring = fixture.ring
            let token = fixture.token
            let now = fixture.now
            let policy = fixture.policy
            for _ in benchmark.scaledIterations {
                blackHole(try await ring.verify(token, now: now, policy: policy))
            }
        } setup: {
            try await AccessTokenFixture(algorithm, crypto: crypto)
        }
      }

        // The backends' primitives beside the swift-crypto one below.
        Benchmark("primitive.sign.\(algorithm.rawValue).openssl") { benchmark, fixture in
            let primitive = fixture.primitive
            let input = fixture.signingInput
            for _ in benchmark.scaledIterations {
                blackHole(try input.withUnsafeBytes { try primitive.sign($0) })
            }
        } setup: {
            try await BackendPrimitive(algorithm, crypto: OpenSSLBackend())
        }

        Benchmark("primitive.verify.\(algorithm.rawValue).openssl") { benchmark, fixture in
            let primitive = fixture.primitive
            let input = fixture.signingInput
            let signature = try input.withUnsafeBytes { try primitive.sign($0) }
            for _ in benchmark.scaledIterations {
                let valid = signature.withUnsafeBytes { sig in input.withUnsafeBytes { primitive.verify(sig, signs: $0) } }
                precondition(valid)
            }
        } setup: {
            try await BackendPrimitive(algorithm, crypto: OpenSSLBackend())
        }

        let name = algorithm.rawValue
        Benchmark("primitive.sign.\(name)") { benchmark, primitive in
            let input = primitive.signingInput
            for _ in benchmark.scaledIterations {
                blackHole(try primitive.sign(input))
            }
        } setup: {
            try await Primitive(algorithm, signingInput: AccessTokenFixture(algorithm).signingInput)
        }

        Benchmark("primitive.verify.\(name)") { benchmark, primitive in
            let input = primitive.signingInput
            let signature = try primitive.sign(input)
            for _ in benchmark.scaledIterations {
                let valid = try primitive.verify(signature, input)
                precondition(valid)
            }
        } setup: {
            try await Primitive(algorithm, signingInput: AccessTokenFixture(algorithm).signingInput)
        }
    }

    // MARK: Refresh tokens, per backend.

    for (suffix, crypto) in backends {
        Benchmark("refresh-token.mint\(suffix)") { benchmark, codec in
            for i in benchmark.scaledIterations {
                blackHole(codec.mint(family: FamilyID(rawValue: 42), generation: UInt64(i)))
            }
        } setup: {
            RefreshTokenCodec(random: SystemRandomSource(), crypto: crypto)
        }

        // The digest a store keeps instead of the token: SHA-256 of the token's bytes.
        Benchmark("refresh-token.digest\(suffix)") { benchmark, token in
            let bytes = Array(token.utf8)
            for _ in benchmark.scaledIterations {
                blackHole(bytes.withUnsafeBytes { crypto.sha256($0) })
            }
        } setup: {
            RefreshTokenCodec(random: SystemRandomSource()).mint(family: FamilyID(rawValue: 42), generation: 7).token
        }

        // Shape and MAC check of a presented token, before any store call.
        Benchmark("refresh-token.parse\(suffix)") { benchmark, fixture in
            let codec = fixture.codec
            let token = fixture.token
            for _ in benchmark.scaledIterations {
                blackHole(codec.parse(token))
            }
        } setup: {
            RefreshTokenFixture(crypto: crypto)
        }
    }

    // MARK: Memory store: the compare-and-swap alone, 100,000 rotations per iteration over
    // 4,096 families. Throughput is iterations/s; × 100,000 for rotations/s.

    Benchmark("memory-store.rotate.1-thread", configuration: slow) { benchmark, store in
        for _ in benchmark.scaledIterations { store.rotate(threads: 1, total: smoke ? 1_000 : 100_000) }
    } setup: {
        try RotateBench(shards: 64)
    }

    // Two threads, disjoint families, the default 64 lock stripes: how the store scales.
    Benchmark("memory-store.rotate.2-threads", configuration: slow) { benchmark, store in
        for _ in benchmark.scaledIterations { store.rotate(threads: 2, total: smoke ? 1_000 : 100_000) }
    } setup: {
        try RotateBench(shards: 64)
    }

    // Two threads on one lock stripe: every rotation contends for the same lock.
    Benchmark("memory-store.rotate.2-threads-contended", configuration: slow) { benchmark, store in
        for _ in benchmark.scaledIterations { store.rotate(threads: 2, total: smoke ? 1_000 : 100_000) }
    } setup: {
        try RotateBench(shards: 1)
    }

    // MARK: A full in-process refresh: parse + MAC check, SHA-256, store CAS, JWT sign (HS256),
    // mint. Sequential awaits: one core at a time.

    for (suffix, crypto) in backends {
        Benchmark("refresh.HS256.memory\(suffix)") { benchmark, state in
            // Locals, not the state object's properties, inside the loop: the loop measures the
            // refresh, not exclusivity checks on a class.
            let service = state.service
            var pair = state.pair
            for _ in benchmark.scaledIterations {
                pair = try await service.refresh(refreshToken: pair.refreshToken)
            }
            state.pair = pair
            blackHole(pair)
        } setup: {
            try await RefreshBench.make(crypto: crypto)
        }
    }

    // MARK: Password hashing at each algorithm's default cost (what a login pays).

    for algorithm in [PasswordHashing.Algorithm.argon2idDefault, .bcryptDefault] {
        let name = switch algorithm {
        case .argon2id: "argon2id"
        case .bcrypt: "bcrypt"
        }
        Benchmark("password-hash.\(name).default-cost", configuration: slow) { benchmark, hashing in
            for _ in benchmark.scaledIterations {
                blackHole(try hashing.hash("correct horse battery staple"))
            }
        } setup: {
            try PasswordHashing(algorithm)
        }
    }
}

/// A codec and one of its tokens.
struct RefreshTokenFixture: Sendable {
    let codec: RefreshTokenCodec
    init(crypto: any CryptoBackend) { codec = RefreshTokenCodec(random: SystemRandomSource(), crypto: crypto) }
    var token: String { codec.mint(family: FamilyID(rawValue: 42), generation: 7).token }
}

/// A backend's JWS primitive for a fresh key, and a token's signing input.
struct BackendPrimitive: Sendable {
    let primitive: any JWSPrimitive
    let signingInput: [UInt8]

    init(_ algorithm: AccessTokenAlgorithm, crypto: any CryptoBackend) async throws {
        let fixture = try await AccessTokenFixture(algorithm, crypto: crypto)
        primitive = fixture.ring.currentKey.jwsPrimitive
        signingInput = fixture.signingInput
    }
}

/// A key ring of one algorithm, a typical token of it and what verifying it needs.
struct AccessTokenFixture: Sendable {
    let ring: SigningKeyRing
    let claims: AccessTokenClaims
    let token: String
    let now: Date
    let policy = AccessTokenPolicy(issuer: "tokenbench", audience: "tokenbench-api", leeway: 30)

    init(_ algorithm: AccessTokenAlgorithm, crypto: any CryptoBackend = SwiftCryptoBackend()) async throws {
        ring = SigningKeyRing(current: try await SigningKey.generate(algorithm, crypto: crypto), retirementPeriod: 330)
        now = Date()
        let t = Int64(now.timeIntervalSince1970)
        claims = AccessTokenClaims(iss: "tokenbench", sub: "user1", aud: ["tokenbench-api"], exp: t + 300, iat: t,
                                   jti: "AAAAAAAAAAAAAAAAAAAAAA.7", sid: "AAAAAAAAAAAAAAAAAAAAAA")
        token = try ring.sign(claims)
    }

    /// `header.payload`: the bytes the JWS signature covers (RFC 7515 §5.1).
    var signingInput: [UInt8] {
        Array(token.utf8[..<token.utf8.lastIndex(of: UInt8(ascii: "."))!])
    }
}

/// The swift-crypto operation under one JWS algorithm (RFC 7518 §3): HMAC-SHA-256,
/// ECDSA P-256 with SHA-256, Ed25519, RSASSA-PKCS1-v1_5 with SHA-256 (2048-bit key).
struct Primitive: Sendable {
    enum Key: Sendable {
        /// The keyed MAC state (key already absorbed), as jwt-kit keeps it: the floor is one
        /// MAC over the input, not the key schedule.
        case hs256(HMAC<SHA256>)
        // Public halves made once, as a verifier (and jwt-kit) keeps them.
        case es256(P256.Signing.PrivateKey, P256.Signing.PublicKey)
        case eddsa(Curve25519.Signing.PrivateKey, Curve25519.Signing.PublicKey)
        case rs256(_RSA.Signing.PrivateKey, _RSA.Signing.PublicKey)
    }

    let key: Key
    let signingInput: [UInt8]

    init(_ algorithm: AccessTokenAlgorithm, signingInput: [UInt8]) throws {
        self.signingInput = signingInput
        switch algorithm {
        case .hs256: key = .hs256(HMAC<SHA256>(key: SymmetricKey(size: .bits256)))
        case .es256:
            let k = P256.Signing.PrivateKey()
            key = .es256(k, k.publicKey)
        case .eddsa:
            let k = Curve25519.Signing.PrivateKey()
            key = .eddsa(k, k.publicKey)
        case .rs256:
            let k = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            key = .rs256(k, k.publicKey)
        }
    }

    /// The raw signature bytes.
    func sign(_ input: [UInt8]) throws -> Data {
        switch key {
        case .hs256(let keyed):
            var mac = keyed
            mac.update(data: input)
            return Data(mac.finalize())
        case .es256(let k, _): return try k.signature(for: input).rawRepresentation
        case .eddsa(let k, _): return try k.signature(for: input)
        case .rs256(let k, _): return try k.signature(for: input, padding: .insecurePKCS1v1_5).rawRepresentation
        }
    }

    func verify(_ signature: Data, _ input: [UInt8]) throws -> Bool {
        switch key {
        case .hs256(let keyed):
            var mac = keyed
            mac.update(data: input)
            return mac.finalize() == signature // constant-time (swift-crypto's safe compare)
        case .es256(_, let p):
            return p.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: signature), for: input)
        case .eddsa(_, let p): return p.isValidSignature(signature, for: input)
        case .rs256(_, let p):
            return p.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: input,
                                         padding: .insecurePKCS1v1_5)
        }
    }
}

final class RefreshBench: @unchecked Sendable {
    // @unchecked: mutated only by the one benchmark closure that owns it, sequentially.
    let service: AuthService<MemoryRefreshTokenStore, InMemoryUserDirectory>
    var pair: TokenPair

    init(service: AuthService<MemoryRefreshTokenStore, InMemoryUserDirectory>, pair: TokenPair) {
        self.service = service
        self.pair = pair
    }

    static func make(crypto: any CryptoBackend) async throws -> RefreshBench {
        var configuration = AuthConfiguration()
        configuration.refreshTokenLifetime = 400 * 86_400
        let hashing = try PasswordHashing(.bcrypt(cost: 4))
        let service = try AuthService(
            configuration: configuration, store: MemoryRefreshTokenStore(),
            users: InMemoryUserDirectory(hashing: hashing, syntheticUsers: 1),
            keys: SigningKeyRing(current: try await SigningKey.generate(.hs256, crypto: crypto), retirementPeriod: 330),
            hashing: hashing, refreshTokens: RefreshTokenCodec(random: SystemRandomSource(), crypto: crypto))
        let pair = try await service.login(username: "user0", password: "pw-0")
        return RefreshBench(service: service, pair: pair)
    }
}

final class RotateBench: @unchecked Sendable {
    // @unchecked: each thread touches only its own half of `generations`.
    let store: MemoryRefreshTokenStore
    let families = 4_096
    let digest = TokenDigest(of: [1, 2, 3])
    let now = Date()
    var generations: UnsafeMutableBufferPointer<UInt64>

    init(shards: Int) throws {
        store = MemoryRefreshTokenStore(shards: shards)
        generations = .allocate(capacity: families)
        generations.initialize(repeating: 0)
        for i in 0..<families {
            try store.createSync(RefreshFamily(
                id: FamilyID(rawValue: UInt128(i) &* 0x9E37_79B9_7F4A_7C15), subject: "u\(i)", clientID: nil,
                createdAt: now, expiresAt: now.addingTimeInterval(1e9), idleExpiresAt: nil, generation: 0,
                currentDigest: digest, previousDigest: nil, issuedAt: now))
        }
    }

    func rotate(threads: Int, total: Int) {
        let perThread = total / threads
        let slice = families / threads
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var request = RotationRequest(
                family: FamilyID(rawValue: 0), presentedGeneration: 0, presentedDigest: digest,
                successorDigest: digest, now: now, graceWindow: 10, idleTimeout: nil)
            for n in 0..<perThread {
                let i = t * slice + n % slice
                request.family = FamilyID(rawValue: UInt128(i) &* 0x9E37_79B9_7F4A_7C15)
                request.presentedGeneration = generations[i]
                if case .rotated = store.rotateSync(request) { generations[i] += 1 } else { fatalError("rotation refused") }
            }
        }
    }
}
