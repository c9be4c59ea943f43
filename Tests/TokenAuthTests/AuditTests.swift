import Logging
import MetricsTestKit
import Testing
import TokenAuth
import TokenAuthTesting

@Suite("Audit events, metrics, configuration")
struct AuditTests {
    @Test("events are logged and counted; no token or password ever reaches the log")
    func auditTrail() async throws {
        let handler = CapturingLogHandler()
        let metrics = TestMetrics()
        var logger = Logger(label: "audit", factory: { _ in handler })
        logger.logLevel = .trace
        let clock = ManualClock()
        let hashing = try PasswordHashing(.bcrypt(cost: 4))
        let service = try AuthService(
            store: MemoryRefreshTokenStore(), users: InMemoryUserDirectory(hashing: hashing, syntheticUsers: 5),
            keys: SigningKeyRing(current: try await SigningKey.generate(.hs256), retirementPeriod: 400),
            hashing: hashing, refreshTokens: RefreshTokenCodec(random: SystemRandomSource()), clock: clock,
            logger: logger, metrics: metrics)

        _ = await authError { () async throws(AuthError) in try await service.login(username: "user1", password: "wrong-pw") }
        let r1 = try await service.login(username: "user1", password: "pw-1")
        let r2 = try await service.refresh(refreshToken: r1.refreshToken)
        _ = try await service.refresh(refreshToken: r1.refreshToken) // inside grace
        clock.advance(by: 20)
        _ = await authError { () async throws(AuthError) in try await service.refresh(refreshToken: r1.refreshToken) } // reuse

        let messages = handler.captured.map { $0.split(separator: " ")[1] }
        #expect(messages == ["login_failed", "login_succeeded", "token_refreshed", "refresh_reuse_tolerated",
                             "refresh_reuse_detected", "family_revoked"])
        for secret in [r1.refreshToken, r1.accessToken, r2.refreshToken, r2.accessToken, "pw-1", "wrong-pw"] {
            #expect(!handler.captured.contains { $0.contains(secret) })
        }
        for (event, count) in [("login_failed", 1), ("login_succeeded", 1), ("token_refreshed", 1),
                               ("refresh_reuse_tolerated", 1), ("refresh_reuse_detected", 1), ("family_revoked", 1)] {
            #expect(metrics.counterTotal(label: "tokenauth_events_total", dimensions: [("event", event)]) == Int64(count), "\(event)")
        }
    }

    @Test("configuration ranges", arguments: ["leeway", "graceWindow", "accessTokenLifetime", "refreshTokenLifetime", "idleTimeout"])
    func configurationRanges(_ setting: String) {
        var configuration = AuthConfiguration()
        #expect(throws: Never.self) { try configuration.validate() }
        switch setting {
        case "leeway": configuration.leeway = 61
        case "graceWindow": configuration.graceWindow = -1
        case "accessTokenLifetime": configuration.accessTokenLifetime = 0
        case "refreshTokenLifetime": configuration.refreshTokenLifetime = .nan
        default: configuration.idleTimeout = 0
        }
        do {
            try configuration.validate()
            Issue.record("\(setting) out of range was accepted")
        } catch {
            #expect(error.setting == setting)
        }
    }

    @Test("an idle timeout expires a family that is not refreshed in time")
    func idleTimeout() async throws {
        let (service, clock) = try await makeService { $0.idleTimeout = 100 }
        let r1 = try await service.login(username: "user1", password: "pw-1")
        clock.advance(by: 90)
        let r2 = try await service.refresh(refreshToken: r1.refreshToken)
        clock.advance(by: 90)
        let r3 = try await service.refresh(refreshToken: r2.refreshToken)
        clock.advance(by: 101)
        let error = await authError { () async throws(AuthError) in try await service.refresh(refreshToken: r3.refreshToken) }
        #expect(error == AuthError(.invalidGrant, .familyExpired))
    }

    @Test("grace window 0 disables it: an immediate retry is reuse")
    func graceDisabled() async throws {
        let (service, _) = try await makeService { $0.graceWindow = 0 }
        let r1 = try await service.login(username: "user1", password: "pw-1")
        _ = try await service.refresh(refreshToken: r1.refreshToken)
        let error = await authError { () async throws(AuthError) in try await service.refresh(refreshToken: r1.refreshToken) }
        #expect(error == AuthError(.invalidGrant, .reuseDetected))
    }
}
