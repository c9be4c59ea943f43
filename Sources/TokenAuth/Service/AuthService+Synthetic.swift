import Dispatch
import Logging
import Metrics
import Foundation

extension AuthService where Users == InMemoryUserDirectory {
    /// Assembles a service for load runs and demos: synthetic users `user0 … user{N-1}` with
    /// password `pw-{n}` (docs/design.md), their hashes made up front on every core so that a first
    /// login measures one hash, and by default a fresh signing key and a fresh refresh-token
    /// secret (tokens die with the process).
    /// - Parameters:
    ///   - configuration: lifetimes, grace window, leeway.
    ///   - store: where families live.
    ///   - syntheticUsers: N, the number of users.
    ///   - algorithm: the access-token algorithm.
    ///   - password: the password algorithm and cost.
    ///   - keys: a shared key set (``KeyDirectory``) instead of a fresh key, so that several
    ///     servers on one durable store act as one service.
    ///   - refreshTokens: a codec with a shared MAC secret instead of a fresh one.
    ///   - crypto: the library of the fresh key and the fresh codec (`--crypto`); ignored for
    ///     `keys` and `refreshTokens` given, which carry their own.
    ///   - logger, metrics, instrumentation: as for ``init(configuration:store:users:keys:hashing:refreshTokens:clock:random:logger:metrics:instrumentation:)``.
    /// - Throws: ``ConfigurationError`` for settings the core refuses.
    public static func synthetic(
        configuration: AuthConfiguration, store: Store, syntheticUsers: Int,
        algorithm: AccessTokenAlgorithm, password: PasswordHashing.Algorithm,
        logger: Logger = Logger(label: "tokenauth", factory: { _ in SwiftLogNoOpLogHandler() }),
        metrics: any MetricsFactory = MetricsSystem.factory,
        instrumentation: (any AuthInstrumentation)? = nil,
        keys: SigningKeyRing? = nil,
        refreshTokens: RefreshTokenCodec? = nil,
        crypto: any CryptoBackend = SwiftCryptoBackend()
    ) async throws -> AuthService {
        let hashing = try PasswordHashing(password)
        let users = InMemoryUserDirectory(hashing: hashing, syntheticUsers: syntheticUsers)
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunk = (syntheticUsers + cores - 1) / cores
        DispatchQueue.concurrentPerform(iterations: cores) { i in
            users.prepare((i * chunk)..<min(syntheticUsers, (i + 1) * chunk))
        }
        let ring: SigningKeyRing
        if let keys { ring = keys } else {
            ring = SigningKeyRing(current: try await SigningKey.generate(algorithm, crypto: crypto),
                                  retirementPeriod: configuration.accessTokenLifetime + configuration.leeway)
        }
        return try AuthService(
            configuration: configuration, store: store, users: users, keys: ring,
            hashing: hashing, refreshTokens: refreshTokens ?? RefreshTokenCodec(random: SystemRandomSource(), crypto: crypto),
            logger: logger, metrics: metrics, instrumentation: instrumentation)
    }
}
