import Foundation

/// A real `redis-server` (Debian's package) run by a test on a loopback port of its own, so the
/// test can stop it and start it again (store outage, case X2; the fault run). Not a mock.
///
/// Append-only file with `appendfsync always`: a write Redis acknowledged survives a
/// `kill -9`, as with a production Redis configured for durability.
public final class RedisServerProcess: @unchecked Sendable {
    // @unchecked: `process` is touched only by the test task that owns this object.
    public let port: Int
    public let directory: URL
    private var process: Process?

    /// `redis://127.0.0.1:PORT/0`.
    public var url: String { "redis://127.0.0.1:\(port)/0" }

    /// Whether `redis-server` is on the PATH.
    public static var isAvailable: Bool { executable != nil }

    static var executable: String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/redis-server"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Starts a server on a free port.
    /// - Throws: when `redis-server` is missing or does not answer within 5 s.
    public init() throws {
        self.port = try Self.freePort()
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenbench-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts the server (again) on the same port and waits until it accepts connections.
    public func start() throws {
        guard let executable = Self.executable else { throw ProcessError("redis-server is not installed (apt-get install redis-server)") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
                       "--appendfsync", "always", "--dir", directory.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if Self.accepts(port: port) { return }
            usleep(20_000)
        }
        throw ProcessError("redis-server on port \(port) did not start within 5 s")
    }

    /// Kills the server (`SIGKILL`: no goodbye to clients) and waits until it is gone.
    public func stop() {
        guard let p = process else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    struct ProcessError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// A loopback TCP port nobody listens on right now.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProcessError("socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw ProcessError("bind() failed") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
