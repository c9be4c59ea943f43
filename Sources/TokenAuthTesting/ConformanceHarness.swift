import Foundation
import TokenAuth

/// A service assembled for one conformance case: a manual clock, a counted store, ten
/// synthetic users (`user0…user9`, password `pw-{n}`, bcrypt cost 4 so cases run fast).
public struct ConformanceHarness<Store: RefreshTokenStore>: Sendable {
    public let clock: ManualClock
    public let store: CountingStore<Store>
    public let users: InMemoryUserDirectory
    public let service: AuthService<CountingStore<Store>, InMemoryUserDirectory>

    /// - Parameters:
    ///   - store: a fresh store.
    ///   - algorithm: the access-token algorithm.
    ///   - configure: changes to the defaults (access TTL 60 s, grace 10 s, leeway 30 s,
    ///     family lifetime 1 h).
    public init(store: Store, algorithm: AccessTokenAlgorithm = .hs256,
                configure: (inout AuthConfiguration) -> Void = { _ in }) async throws {
        var configuration = AuthConfiguration()
        configuration.accessTokenLifetime = 60
        configuration.refreshTokenLifetime = 3600
        configuration.graceWindow = 10
        configuration.leeway = 30
        configure(&configuration)
        let clock = ManualClock()
        let hashing = try PasswordHashing(.bcrypt(cost: 4))
        let users = InMemoryUserDirectory(hashing: hashing, syntheticUsers: 10)
        let key = try await SigningKey.generate(algorithm)
        self.clock = clock
        self.store = CountingStore(store)
        self.users = users
        self.service = try AuthService(
            configuration: configuration, store: self.store, users: users,
            keys: SigningKeyRing(current: key, retirementPeriod: configuration.accessTokenLifetime + configuration.leeway),
            hashing: hashing, refreshTokens: RefreshTokenCodec(random: SystemRandomSource()), clock: clock)
    }

    /// Logs in `user{n}` with the right password.
    public func login(_ n: Int = 0) async throws -> TokenPair {
        try await service.login(username: "user\(n)", password: "pw-\(n)")
    }

    /// The store's view of a session.
    public func family(_ pair: TokenPair) async throws -> RefreshFamily? {
        try await store.base.family(pair.sessionID)
    }
}

/// Runs `body` and returns the ``AuthError`` it threw, or `nil` if it did not throw.
public func authError<T>(_ body: () async throws(AuthError) -> T) async -> AuthError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}
