import Foundation
import Testing
import TokenAuth
import TokenAuthRedis
import TokenAuthServer
import TokenAuthTesting

/// Case X2 over HTTP with a real store: the server's Redis is killed and started again.
@Suite("Real store outage over HTTP (X2)", .enabled(if: RedisServerProcess.isAvailable, "skipped: redis-server is not installed"))
struct RealStoreOutageTests {
    @Test("Redis killed: 503 temporarily_unavailable with Retry-After, never a 200; the server recovers by itself")
    func redisOutage() async throws {
        let redis = try RedisServerProcess()
        let store = try await RedisRefreshTokenStore.connect(redis.url, connections: 2, operationTimeout: 1)
        var configuration = AuthConfiguration()
        configuration.checkSessionOnAccess = true
        let service = try await AuthService.synthetic(configuration: configuration, store: store, syntheticUsers: 4,
                                                      algorithm: .hs256, password: .bcrypt(cost: 4))
        try await withServer(service) { base in
            let login = try await HTTP.form(base + "/oauth/token", "grant_type=password&username=user3&password=pw-3")
            let access = try #require(login.json?["access_token"] as? String)
            let refresh = try #require(login.json?["refresh_token"] as? String)
            redis.stop()
            let replies = [
                try await HTTP.form(base + "/oauth/token", "grant_type=refresh_token&refresh_token=\(refresh)"),
                try await HTTP.form(base + "/oauth/token", "grant_type=password&username=user3&password=pw-3"),
                try await HTTP.send(.GET, base + "/me", headers: [("Authorization", "Bearer \(access)")]),
            ]
            for reply in replies {
                #expect(reply.status == 503)
                #expect(reply.error == "temporarily_unavailable")
                #expect(reply.headers["Retry-After"].first == "1")
            }
            try redis.start()
            let me = try await HTTP.send(.GET, base + "/me", headers: [("Authorization", "Bearer \(access)")])
            #expect(me.status == 200)
            let again = try await HTTP.form(base + "/oauth/token", "grant_type=refresh_token&refresh_token=\(refresh)")
            #expect(again.status == 200)
        }
        await store.close()
    }
}
