import Foundation
import Testing
import TokenAuth
import TokenAuthPostgres
import TokenAuthTesting

/// The PostgreSQL server `script/stores.sh` started, stopped and started again by its `pg_ctl`
/// (`TOKENBENCH_STORES_DIR` names its folder). Tests that use it run last in spirit: they
/// leave the server running as they found it.
enum PostgresControl {
    static var directory: String? { ProcessInfo.processInfo.environment["TOKENBENCH_STORES_DIR"] }
    static var available: Bool {
        guard let d = directory, StoreServers.postgresURL != nil else { return false }
        return FileManager.default.fileExists(atPath: "\(d)/pgbin") && FileManager.default.fileExists(atPath: "\(d)/pg/data")
    }

    /// Runs `pg_ctl` (as the `postgres` user when root) through `system(3)`: Foundation's
    /// `Process` would wait for the server `pg_ctl start` leaves behind, which inherits the
    /// descriptor `Process` watches for the child's exit.
    static func pgctl(_ arguments: [String]) throws {
        let d = try #require(directory)
        let bin = try String(contentsOfFile: "\(d)/pgbin", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let command = ([getuid() == 0 ? "/usr/sbin/runuser -u postgres -- \(bin)/pg_ctl" : "\(bin)/pg_ctl"]
            + arguments.map(quote)).joined(separator: " ") + " </dev/null >/dev/null 2>&1"
        let status = system(command)
        #expect(status == 0, "pg_ctl \(arguments.first ?? "") exited \(status)")
    }

    /// Stops the server at once (`-m immediate`: like a crash; committed work is in the WAL).
    static func stop() throws {
        try pgctl(["-D", "\(directory!)/pg/data", "-m", "immediate", "-w", "stop"])
    }

    /// Starts it again with the settings `script/stores.sh` used.
    static func start() throws {
        let d = directory!
        let url = try #require(StoreServers.postgresURL)
        let port = try #require(URLComponents(string: url)?.port)
        try pgctl(["-D", "\(d)/pg/data", "-l", "\(d)/pg/server.log", "-w", "-t", "60",
                   "-o", "-p \(port) -k \(d)/pg -c listen_addresses=127.0.0.1 -c max_connections=300", "start"])
    }
}

extension PostgresSuites {
@Suite("PostgreSQL outage (X2, in-process)", .enabled(if: PostgresControl.available,
       "skipped: needs the PostgreSQL server of script/stores.sh (TOKENBENCH_STORES_DIR)"))
struct PostgresOutageTests {
    @Test("server stopped: refresh, session check and login throw temporarily_unavailable within the deadline; recovery after restart")
    func stoppedAndRestarted() async throws {
        let url = try #require(StoreServers.postgresURL)
        let running = try await RunningPostgres(url, schema: StoreServers.uniqueName("x2"), maxConnections: 4, operationTimeout: 1)
        let store = running.store
        var configuration = AuthConfiguration()
        configuration.checkSessionOnAccess = true
        let service = try await AuthService.synthetic(configuration: configuration, store: store, syntheticUsers: 4,
                                                      algorithm: .hs256, password: .bcrypt(cost: 4))
        let pair = try await service.login(username: "user0", password: "pw-0")

        try PostgresControl.stop()
        do {
            let started = Date()
            let errors = [
                await authError { () async throws(AuthError) in try await service.refresh(refreshToken: pair.refreshToken) },
                await authError { () async throws(AuthError) in try await service.authenticate(accessToken: pair.accessToken) },
                await authError { () async throws(AuthError) in try await service.login(username: "user0", password: "pw-0") },
            ]
            for error in errors { #expect(error == AuthError(.temporarilyUnavailable, .storeUnavailable)) }
            #expect(Date().timeIntervalSince(started) < 8, "each fails within its 1 s deadline (plus the hash)")
        }
        try PostgresControl.start()

        // Recovers by itself: the pool makes new connections; allow it a few seconds.
        var next: TokenPair?
        let deadline = Date().addingTimeInterval(20)
        while next == nil, Date() < deadline {
            do throws(AuthError) {
                next = try await service.refresh(refreshToken: pair.refreshToken)
            } catch {
                #expect(error == AuthError(.temporarilyUnavailable, .storeUnavailable), "only unavailability while it comes back")
                try await Task.sleep(nanoseconds: 200_000_000)
            }
        }
        let pairAfter = try #require(next, "refresh works again after the restart")
        #expect(try await service.authenticate(accessToken: pairAfter.accessToken).sub == "user0")
        #expect(store.statistics.snapshot.unavailable >= 3)
        try await store.dropSchema()
        await running.stop()
    }
}
}
