import Benchmark
import Dispatch
import Foundation
import TokenAuth

/// Micro-benchmarks of the auth core. Run: `swift package --disable-sandbox benchmark --target TokenAuthBenchmarks`.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        // No malloc counting here: the interposer's per-allocation work would inflate wall clock.
        metrics: [.wallClock, .throughput],
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 1_000
    )

    // Full in-process refresh: parse + MAC check, SHA-256, store CAS, JWT sign (HS256), mint.
    // Sequential awaits: one core at a time.
    Benchmark("refresh/HS256/memory") { benchmark, state in
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
        try await RefreshBench.make()
    }

    // Allocations of one refresh (counted separately from the timed runs).
    Benchmark("refresh/HS256/memory/allocations",
              configuration: .init(metrics: [.mallocCountTotal], scalingFactor: .one, maxIterations: 1_000)) { benchmark, state in
        for _ in benchmark.scaledIterations {
            state.pair = try await state.service.refresh(refreshToken: state.pair.refreshToken)
        }
    } setup: {
        try await RefreshBench.make()
    }

    // The pieces of a refresh.
    Benchmark("refresh-token/mint") { benchmark, codec in
        for i in benchmark.scaledIterations {
            blackHole(codec.mint(family: FamilyID(rawValue: 42), generation: UInt64(i)))
        }
    } setup: {
        RefreshTokenCodec(random: SystemRandomSource())
    }

    Benchmark("refresh-token/parse") { benchmark, codec in
        let token = codec.mint(family: FamilyID(rawValue: 42), generation: 7).token
        for _ in benchmark.scaledIterations {
            blackHole(codec.parse(token))
        }
    } setup: {
        RefreshTokenCodec(random: SystemRandomSource())
    }

    Benchmark("access-token/sign/HS256") { benchmark, ring in
        let t = Int64(Date().timeIntervalSince1970)
        let claims = AccessTokenClaims(iss: "tokenbench", sub: "user1", aud: ["tokenbench-api"], exp: t + 300, iat: t,
                                       jti: "AAAAAAAAAAAAAAAAAAAAAA.7", sid: "AAAAAAAAAAAAAAAAAAAAAA")
        for _ in benchmark.scaledIterations {
            blackHole(try ring.sign(claims))
        }
    } setup: {
        SigningKeyRing(current: try await SigningKey.generate(.hs256), retirementPeriod: 330)
    }

    // The store's compare-and-swap alone, 100,000 rotations per iteration over 4,096 families,
    // on one thread and split over two threads (disjoint families): the scaling ratio.
    Benchmark("memory-store/rotate/1-thread", configuration: .init(scalingFactor: .one, maxIterations: 200)) { benchmark, store in
        for _ in benchmark.scaledIterations {
            store.rotate(threads: 1, total: 100_000)
        }
    } setup: {
        try RotateBench()
    }

    Benchmark("memory-store/rotate/2-threads", configuration: .init(scalingFactor: .one, maxIterations: 200)) { benchmark, store in
        for _ in benchmark.scaledIterations {
            store.rotate(threads: 2, total: 100_000)
        }
    } setup: {
        try RotateBench()
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

    static func make() async throws -> RefreshBench {
        var configuration = AuthConfiguration()
        configuration.refreshTokenLifetime = 400 * 86_400
        let hashing = try PasswordHashing(.bcrypt(cost: 4))
        let service = try AuthService(
            configuration: configuration, store: MemoryRefreshTokenStore(),
            users: InMemoryUserDirectory(hashing: hashing, syntheticUsers: 1),
            keys: SigningKeyRing(current: try await SigningKey.generate(.hs256), retirementPeriod: 330),
            hashing: hashing, refreshTokens: RefreshTokenCodec(random: SystemRandomSource()))
        let pair = try await service.login(username: "user0", password: "pw-0")
        return RefreshBench(service: service, pair: pair)
    }
}

final class RotateBench: @unchecked Sendable {
    // @unchecked: each thread touches only its own half of `generations`.
    let store = MemoryRefreshTokenStore()
    let families = 4_096
    let digest = TokenDigest(of: [1, 2, 3])
    let now = Date()
    var generations: UnsafeMutableBufferPointer<UInt64>

    init() throws {
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
