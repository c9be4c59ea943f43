#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TokenAuthPostgres
import TokenAuthRedis
import TokenResults

/// A store's own benchmark tool against the same server, for the ratio in a store comparison:
/// `pgbench` running a one-row `UPDATE` by primary key (what a rotation writes), or
/// `redis-benchmark` running `SET`, with as many clients as the store's pool has connections.
/// The tools come from the system (`postgresql-client`, `redis-tools`); a missing or failing
/// tool gives a reference with a note instead of a figure, never a failed comparison.
enum StoreReference {
    /// How long `pgbench` runs, seconds.
    static let seconds = 5

    /// The reference of `spec`, or `nil` for stores without a tool (memory, SQLite, Redis Cluster).
    static func measure(_ spec: StoreSpec, clients: Int) -> StoreComparison.Reference? {
        switch spec {
        case .postgres(let url): return pgbench(url, clients: clients)
        case .redis(let url): return redisBenchmark(url, clients: clients)
        default: return nil
        }
    }

    private static func pgbench(_ url: String, clients: Int) -> StoreComparison.Reference {
        let threads = min(clients, ProcessInfo.processInfo.activeProcessorCount)
        var reference = StoreComparison.Reference(
            tool: "pgbench", workload: "pgbench -n -c \(clients) -j \(threads) -T \(seconds): UPDATE one row of 10,000 by primary key",
            clients: clients, operationsPerS: nil)
        guard let endpoint = try? PostgresRefreshTokenStore.Endpoint(url: url) else { return reference }
        guard let pgbench = executable("pgbench"), let psql = executable("psql") else {
            reference.note = "pgbench or psql is not installed (postgresql-client)"
            return reference
        }
        // The password goes through the environment, never the command line.
        var environment = ProcessInfo.processInfo.environment
        if let password = endpoint.password { environment["PGPASSWORD"] = password }
        let connection = ["-h", endpoint.host, "-p", "\(endpoint.port)", "-U", endpoint.username]
        let table = "tokenbench_reference_onerow"
        let setup = run(psql, connection + ["-q", "-v", "ON_ERROR_STOP=1", "-d", endpoint.database, "-c",
                                            "SET client_min_messages = warning; CREATE TABLE IF NOT EXISTS \(table) (id int PRIMARY KEY, v bigint NOT NULL DEFAULT 0); INSERT INTO \(table) SELECT g, 0 FROM generate_series(1, 10000) g ON CONFLICT DO NOTHING;"],
                        environment: environment)
        guard setup.status == 0 else {
            reference.note = "psql could not create the reference table (exit \(setup.status))"
            return reference
        }
        defer {
            _ = run(psql, connection + ["-q", "-d", endpoint.database, "-c", "DROP TABLE IF EXISTS \(table)"], environment: environment)
        }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("tokenbench-pgbench-\(UUID().uuidString).sql")
        defer { try? FileManager.default.removeItem(at: script) }
        do {
            try Data("\\set id random(1, 10000)\nUPDATE \(table) SET v = v + 1 WHERE id = :id;\n".utf8).write(to: script)
        } catch {
            reference.note = "could not write the pgbench script"
            return reference
        }
        let bench = run(pgbench, connection + ["-n", "-f", script.path, "-c", "\(clients)", "-j", "\(threads)", "-T", "\(seconds)", endpoint.database],
                        environment: environment)
        // "tps = 4123.456789 (without initial connection time)"
        let tps = bench.output.split(whereSeparator: \.isNewline).first { $0.hasPrefix("tps = ") }
            .flatMap { $0.dropFirst("tps = ".count).split(separator: " ").first }.flatMap { Double($0) }
        if bench.status == 0, let tps, tps.isFinite, tps > 0 {
            reference.operationsPerS = tps.rounded()
        } else {
            reference.note = "pgbench failed (exit \(bench.status))"
        }
        return reference
    }

    private static func redisBenchmark(_ url: String, clients: Int) -> StoreComparison.Reference {
        let requests = 200_000
        var reference = StoreComparison.Reference(
            tool: "redis-benchmark", workload: "redis-benchmark -t set -c \(clients) -n \(Units.grouped(Double(requests)))",
            clients: clients, operationsPerS: nil)
        guard let endpoint = try? RedisRefreshTokenStore.Endpoint(url: url) else { return reference }
        guard let tool = executable("redis-benchmark") else {
            reference.note = "redis-benchmark is not installed (redis-tools)"
            return reference
        }
        let bench = run(tool, ["-h", endpoint.host, "-p", "\(endpoint.port)", "--dbnum", "\(endpoint.database)", "-t", "set",
                               "-c", "\(clients)", "-n", "\(requests)", "-q"], environment: ProcessInfo.processInfo.environment)
        // "SET: 81234.56 requests per second, p50=0.311 msec" after progress lines ended by \r.
        let figure = bench.output.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).last { $0.hasPrefix("SET: ") }
            .flatMap { $0.dropFirst("SET: ".count).split(separator: " ").first }.flatMap { Double($0) }
        if bench.status == 0, let figure, figure.isFinite, figure > 0 {
            reference.operationsPerS = figure.rounded()
        } else {
            reference.note = "redis-benchmark failed (exit \(bench.status))"
        }
        return reference
    }

    /// The first `name` on `PATH` that can be run.
    private static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a tool to its end (at most 120 s, then it is killed): its standard output, at most
    /// 1 MiB of it, and its exit status (−1 when it could not start or ended on a signal).
    ///
    /// Spawned with no signal blocked and every signal at its default action: TokenBench's
    /// threads block nearly all signals and a child inherits the mask, and `pgbench -T` ends on
    /// SIGALRM, which would then never come (Foundation's `Process` passes the mask on).
    private static func run(_ path: String, _ arguments: [String], environment: [String: String]) -> (status: Int32, output: String) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return (-1, "") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        close(fds[1])
        guard spawned == 0 else {
            close(fds[0])
            return (-1, "")
        }
        let deadline = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(120), execute: deadline)
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n > 0 {
                output += buffer[0..<min(n, max(0, (1 << 20) - output.count))]
            } else if n < 0, errno == EINTR {
                continue
            } else {
                break
            }
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        deadline.cancel()
        let exited = status & 0x7f == 0 // WIFEXITED
        return (exited ? (status >> 8) & 0xff : -1, String(decoding: output, as: UTF8.self))
    }
}
