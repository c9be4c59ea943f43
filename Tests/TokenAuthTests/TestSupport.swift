import Foundation
import Logging
import Synchronization
import TokenAuth
import TokenAuthTesting

/// A log handler that keeps every rendered line, to check what the audit log says and that it
/// never holds a secret.
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    // @unchecked: `metadata` and `logLevel` are only set during set-up, before any logging;
    // the captured lines live behind a lock.
    let lines: Locked<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init() { self.lines = Locked([]) }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.withLock { $0.append("\(event.level) \(event.message) \(rendered)") }
    }

    var captured: [String] { lines.withLock { $0 } }
}

/// A service over the memory store with a manual clock, for tests that are not conformance cases.
func makeService(
    algorithm: AccessTokenAlgorithm = .hs256,
    logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
    configure: (inout AuthConfiguration) -> Void = { _ in }
) async throws -> (AuthService<MemoryRefreshTokenStore, InMemoryUserDirectory>, ManualClock) {
    var configuration = AuthConfiguration()
    configuration.accessTokenLifetime = 60
    configure(&configuration)
    let clock = ManualClock()
    let hashing = try PasswordHashing(.bcrypt(cost: 4))
    let users = InMemoryUserDirectory(hashing: hashing, syntheticUsers: 100)
    let keys = SigningKeyRing(current: try await SigningKey.generate(algorithm), retirementPeriod: 90)
    let service = try AuthService(
        configuration: configuration, store: MemoryRefreshTokenStore(), users: users, keys: keys,
        hashing: hashing, refreshTokens: RefreshTokenCodec(random: SystemRandomSource()), clock: clock, logger: logger)
    return (service, clock)
}
