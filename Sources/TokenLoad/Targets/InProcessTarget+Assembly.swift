import TokenAuth
import TokenResults

extension InProcessTarget where Store == MemoryRefreshTokenStore, Users == InMemoryUserDirectory {
    /// Assembles the core for an in-process run from the run's settings: memory store,
    /// synthetic users `user0 … user{N-1}`, the chosen algorithm and password hashing
    /// (``AuthService/synthetic(configuration:store:syntheticUsers:algorithm:password:logger:metrics:instrumentation:)``).
    /// - Throws: ``ConfigurationError`` for settings the core refuses.
    public static func make(_ c: LoadConfiguration, phases: PhaseRecorder?,
                            crypto: any CryptoBackend = SwiftCryptoBackend()) async throws -> Self {
        try await make(c, store: MemoryRefreshTokenStore(), phases: phases, crypto: crypto)
    }
}

extension InProcessTarget where Users == InMemoryUserDirectory {
    /// Assembles the core over a given store; see ``make(_:phases:crypto:)``.
    /// - Parameters:
    ///   - crypto: the library of the signing key and the refresh-token codec (`--crypto`).
    ///   - lanes: the store's calls wait on I/O (every store but memory): run users in lanes
    ///     (``lanes``).
    public static func make(_ c: LoadConfiguration, store: Store, phases: PhaseRecorder?,
                            crypto: any CryptoBackend = SwiftCryptoBackend(), lanes: Bool = false) async throws -> Self {
        let service = try await AuthService.synthetic(
            configuration: c.authConfiguration, store: store, syntheticUsers: c.users,
            algorithm: c.algorithm, password: c.passwordAlgorithm, instrumentation: phases, crypto: crypto)
        return InProcessTarget(service: service, lanes: lanes)
    }
}

extension LoadConfiguration {
    /// The core's settings these load settings name (lifetimes, grace, leeway, session check).
    public var authConfiguration: AuthConfiguration {
        var configuration = AuthConfiguration()
        if let accessTTL { configuration.accessTokenLifetime = accessTTL }
        if let refreshTTL { configuration.refreshTokenLifetime = refreshTTL }
        if let grace { configuration.graceWindow = grace }
        if let leeway { configuration.leeway = leeway }
        configuration.checkSessionOnAccess = sessionCheck
        return configuration
    }
}
