import Foundation

/// A real Redis Cluster of a test's own: `masters` loopback `redis-server` processes with
/// cluster mode on, joined by `redis-cli --cluster create` (no replicas), so that a test can
/// kill a node or move a slot without disturbing the shared cluster. Not a mock.
///
/// `cluster-require-full-coverage no`: when a node dies the others keep serving their slots
/// (the behaviour a test of "other slots still work" needs). Each node's cluster bus gets a free
/// port of its own (`--cluster-port`). Nothing is kept on disk beyond the nodes' config files.
public final class RedisClusterProcess: @unchecked Sendable {
    // @unchecked: `processes` is touched only by the test task that owns this object.
    /// The client ports of the masters, in creation order.
    public let ports: [Int]
    public let directory: URL
    private var processes: [Int: Process] = [:]

    /// `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,…`.
    public var url: String { "redis+cluster://" + ports.map { "127.0.0.1:\($0)" }.joined(separator: ",") }

    /// Whether `redis-server` and `redis-cli` are on the PATH.
    public static var isAvailable: Bool { RedisServerProcess.executable != nil && cliExecutable != nil }

    static var cliExecutable: String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/redis-cli"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Starts the nodes, creates the cluster and waits until `CLUSTER INFO` says `cluster_state:ok`.
    /// - Throws: when a program is missing or the cluster is not ok within 10 s.
    public init(masters: Int = 3) throws {
        guard let server = RedisServerProcess.executable else {
            throw RedisServerProcess.ProcessError("redis-server is not installed (apt-get install redis-server)")
        }
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenbench-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var ports: [Int] = []
        while ports.count < masters {
            let p = try RedisServerProcess.freePort()
            if !ports.contains(p) { ports.append(p) }
        }
        self.ports = ports
        for port in ports {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: server)
            p.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                           "--cluster-config-file", directory.appendingPathComponent("nodes-\(port).conf").path,
                           "--cluster-port", "\(try RedisServerProcess.freePort())", "--cluster-node-timeout", "5000",
                           "--cluster-require-full-coverage", "no", "--dir", directory.path, "--save", "", "--appendonly", "no",
                           "--pidfile", pidFile(port).path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            processes[port] = p
        }
        let deadline = Date().addingTimeInterval(10)
        for port in ports {
            while !RedisServerProcess.accepts(port: port) {
                guard Date() < deadline else { throw RedisServerProcess.ProcessError("redis-server on port \(port) did not start") }
                usleep(20_000)
            }
        }
        _ = try Self.run(["--cluster", "create"] + ports.map { "127.0.0.1:\($0)" } + ["--cluster-replicas", "0", "--cluster-yes"])
        while try !Self.cli(port: ports[0], ["CLUSTER", "INFO"]).contains("cluster_state:ok") {
            guard Date() < deadline else { throw RedisServerProcess.ProcessError("the Redis Cluster was not ok within 10 s") }
            usleep(50_000)
        }
    }

    deinit {
        for port in ports { kill(port: port) }
        try? FileManager.default.removeItem(at: directory)
    }

    private func pidFile(_ port: Int) -> URL { directory.appendingPathComponent("redis-\(port).pid") }

    /// Kills the node on `port` (`SIGKILL`, its pid read from its pid file) and waits until it
    /// is gone.
    public func kill(port: Int) {
        guard let p = processes.removeValue(forKey: port) else { return }
        let recorded = (try? String(contentsOf: pidFile(port), encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        sigkill(recorded ?? p.processIdentifier)
        if recorded != nil, recorded != p.processIdentifier { sigkill(p.processIdentifier) }
        p.waitUntilExit()
    }

    /// The cluster node id of the node on `port`.
    public func nodeID(port: Int) throws -> String {
        try Self.cli(port: port, ["CLUSTER", "MYID"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Moves `slot` (with its keys) from the node on `source` to the node on `target`, the way
    /// `redis-cli --cluster reshard` does: `SETSLOT … IMPORTING` / `MIGRATING`, `MIGRATE` of each
    /// key, then, when `finish`, `SETSLOT … NODE` on every node. Unfinished, the slot is left
    /// migrating, and the source answers `ASK` for keys it no longer holds.
    public func moveSlot(_ slot: Int, from source: Int, to target: Int, finish: Bool = true) throws {
        let sourceID = try nodeID(port: source), targetID = try nodeID(port: target)
        _ = try Self.cli(port: target, ["CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", sourceID])
        _ = try Self.cli(port: source, ["CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", targetID])
        let keys = try Self.cli(port: source, ["CLUSTER", "GETKEYSINSLOT", "\(slot)", "1000"])
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        if !keys.isEmpty {
            _ = try Self.cli(port: source, ["MIGRATE", "127.0.0.1", "\(target)", "", "0", "5000", "KEYS"] + keys)
        }
        if finish { try assignSlot(slot, to: target) }
    }

    /// Ends a migration: `CLUSTER SETSLOT slot NODE <target>` on the target, then on every other
    /// live node, so each answers `MOVED` for the slot from now on.
    public func assignSlot(_ slot: Int, to target: Int) throws {
        let targetID = try nodeID(port: target)
        for port in [target] + ports.filter({ $0 != target }) where processes[port] != nil {
            _ = try Self.cli(port: port, ["CLUSTER", "SETSLOT", "\(slot)", "NODE", targetID])
        }
    }

    /// Runs `redis-cli -h 127.0.0.1 -p PORT ARGS…` and returns what it printed.
    /// - Throws: when it exits non-zero or prints an error reply (`ERR…`, `MOVED…`).
    @discardableResult
    public static func cli(port: Int, _ arguments: [String]) throws -> String {
        let out = try run(["-h", "127.0.0.1", "-p", "\(port)"] + arguments)
        if let first = out.split(separator: "\n").first,
           ["ERR", "MOVED", "ASK", "CLUSTERDOWN", "WRONGTYPE", "NOKEY", "IOERR"].contains(where: { first.hasPrefix($0) }) {
            throw RedisServerProcess.ProcessError("redis-cli -p \(port) \(arguments.joined(separator: " ")): \(first)")
        }
        return out
    }

    private static func run(_ arguments: [String]) throws -> String {
        guard let cli = cliExecutable else { throw RedisServerProcess.ProcessError("redis-cli is not installed (apt-get install redis-tools)") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: cli)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw RedisServerProcess.ProcessError("redis-cli \(arguments.joined(separator: " ")) exited \(p.terminationStatus): \(text.suffix(2000))")
        }
        return text
    }
}

/// `kill(pid, SIGKILL)` (a file-level name: inside the class, `kill` is the method).
private func sigkill(_ pid: Int32) { kill(pid, SIGKILL) }
