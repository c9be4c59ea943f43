import Dispatch
import Logging
import Metrics
import Foundation

extension AuthService where Users == InMemoryUserDirectory {
    /// Assembles a service for load runs and demos: synthetic users `user0 … user{N-1}` with
    /// password `pw-{n}` (DESIGN.md), their hashes made up front on every core so that a first
    /// login measures one hash, a fresh signing key and a fresh refresh-token secret (tokens
    /// die with the process).
    /// - Parameters:
    ///   - configuration: lifetimes, grace window, leeway.
    ///   - store: where families live.
    ///   - syntheticUsers: N, the number of users.
    ///   - algorithm: the access-token algorithm.
    ///   - password: the password algorithm and cost.
    ///   - logger, metrics, instrumentation: as for ``init(configuration:store:users:keys:hashing:refreshTokens:clock:random:logger:metrics:instrumentation:)``.
    /// - Throws: ``ConfigurationError`` for settings the core refuses.
    public static func synthetic(
        configuration: AuthConfiguration, store: Store, syntheticUsers: Int,
        algorithm: AccessTokenAlgorithm, password: PasswordHashing.Algorithm,
        logger: Logger = Logger(label: "tokenauth", factory: { _ in SwiftLogNoOpLogHandler() }),
        metrics: any MetricsFactory = MetricsSystem.factory,
        instrumentation: (any AuthInstrumentation)? = nil
    ) async throws -> AuthService {
        let hashing = try PasswordHashing(password)
        let users = InMemoryUserDirectory(hashing: hashing, syntheticUsers: syntheticUsers)
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunk = (syntheticUsers + cores - 1) / cores
        DispatchQueue.concurrentPerform(iterations: cores) { i in
            users.prepare((i * chunk)..<min(syntheticUsers, (i + 1) * chunk))
        }
        let key = try await SigningKey.generate(algorithm)
        return try AuthService(
            configuration: configuration, store: store, users: users,
            keys: SigningKeyRing(current: key, retirementPeriod: configuration.accessTokenLifetime + configuration.leeway),
            hashing: hashing, refreshTokens: RefreshTokenCodec(random: SystemRandomSource()),
            logger: logger, metrics: metrics, instrumentation: instrumentation)
    }
}
