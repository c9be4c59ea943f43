import Dispatch
import Foundation
import TokenAuth

extension InProcessTarget where Store == MemoryRefreshTokenStore, Users == InMemoryUserDirectory {
    /// Assembles the core for an in-process run from the run's settings: memory store,
    /// synthetic users `user0 … user{N-1}` (their hashes made up front, in parallel, so the first
    /// login of a user measures one hash, not two), the chosen algorithm and password hashing.
    /// - Throws: ``ConfigurationError`` for settings the core refuses.
    public static func make(_ c: LoadConfiguration, phases: PhaseRecorder?) async throws -> Self {
        try await make(c, store: MemoryRefreshTokenStore(), phases: phases)
    }
}

extension InProcessTarget where Users == InMemoryUserDirectory {
    /// Assembles the core over a given store; see ``make(_:phases:)``.
    public static func make(_ c: LoadConfiguration, store: Store, phases: PhaseRecorder?) async throws -> Self {
        var configuration = AuthConfiguration()
        configuration.accessTokenLifetime = c.accessTTL
        configuration.refreshTokenLifetime = c.refreshTTL
        configuration.graceWindow = c.grace
        configuration.leeway = c.leeway
        configuration.checkSessionOnAccess = c.sessionCheck
        let hashing = try PasswordHashing(c.passwordAlgorithm)
        let users = InMemoryUserDirectory(hashing: hashing, syntheticUsers: c.users)
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunk = (c.users + cores - 1) / cores
        DispatchQueue.concurrentPerform(iterations: cores) { i in
            users.prepare((i * chunk)..<min(c.users, (i + 1) * chunk))
        }
        let key = try await SigningKey.generate(c.algorithm)
        let service = try AuthService(
            configuration: configuration, store: store, users: users,
            keys: SigningKeyRing(current: key, retirementPeriod: c.accessTTL + c.leeway),
            hashing: hashing, refreshTokens: RefreshTokenCodec(random: SystemRandomSource()),
            instrumentation: phases)
        return InProcessTarget(service: service)
    }
}
