import TokenAuth
import TokenResults

/// The core called directly, no HTTP: `AuthService` over any store.
public struct InProcessTarget<Store: RefreshTokenStore, Users: UserDirectory>: LoadTarget {
    public let service: AuthService<Store, Users>
    /// Run the virtual users in lanes, as for HTTP: set for a store whose calls wait on the
    /// network or a disk (PostgreSQL, Redis, SQLite), so that as many store calls are in flight
    /// as users and the store's pool allow, as behind a server. `false` (the memory store):
    /// each worker runs its users' operations inline, one at a time.
    public var lanes: Bool

    public init(service: AuthService<Store, Users>, lanes: Bool = false) {
        self.service = service
        self.lanes = lanes
    }

    public var name: String { "in-process" }

    public var operationsWaitOnIO: Bool { lanes }
    public var countsStatuses: Bool { false }

    /// The library the core signs and hashes with (`--crypto`), for `result.json`.
    public var crypto: (any CryptoBackend)? { service.keys.currentKey.crypto }

    public func login(username: String, password: String) async -> TargetOutcome<IssuedTokens> {
        do throws(AuthError) {
            return .ok(Self.tokens(try await service.login(username: username, password: password)))
        } catch {
            return Self.outcome(error)
        }
    }

    public func access(accessToken: String) async -> TargetOutcome<Void> {
        do throws(AuthError) {
            _ = try await service.authenticate(accessToken: accessToken)
            return .ok(())
        } catch {
            return Self.outcome(error)
        }
    }

    public func refresh(refreshToken: String) async -> TargetOutcome<IssuedTokens> {
        do throws(AuthError) {
            return .ok(Self.tokens(try await service.refresh(refreshToken: refreshToken)))
        } catch {
            return Self.outcome(error)
        }
    }

    public func logout(refreshToken: String) async -> TargetOutcome<Void> {
        do throws(AuthError) {
            _ = try await service.revoke(token: refreshToken)
            return .ok(())
        } catch {
            return Self.outcome(error)
        }
    }

    package static func tokens(_ pair: TokenPair) -> IssuedTokens {
        IssuedTokens(accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresIn: Double(pair.expiresIn))
    }

    package static func outcome<T>(_ error: AuthError) -> TargetOutcome<T> {
        switch error.code {
        case .invalidGrant: .rejected(.invalidGrant)
        case .invalidToken: .rejected(.invalidToken)
        case .invalidRequest: .rejected(.invalidRequest)
        case .temporarilyUnavailable: .failed(.storeUnavailable)
        }
    }
}
