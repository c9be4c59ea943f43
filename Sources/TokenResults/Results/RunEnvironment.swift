import Foundation

public struct RunEnvironment: Codable, Sendable, Hashable {
    public var cores: Int
    public var os: String
    public var swiftVersion: String
    public var gitCommit: String
    public var startedAt: String
    public var target: String
    /// The crypto library of an in-process core (`--crypto`); `nil` for other targets.
    public var crypto: CryptoEnvironment?
    /// The allocator this process ran on (glibc's malloc, or jemalloc in `tokenbench-jemalloc`).
    public var allocator: AllocatorEnvironment?

    package init(cores: Int, os: String, swiftVersion: String, gitCommit: String, startedAt: String, target: String, crypto: CryptoEnvironment? = nil, allocator: AllocatorEnvironment? = nil) {
        self.cores = cores
        self.os = os
        self.swiftVersion = swiftVersion
        self.gitCommit = gitCommit
        self.startedAt = startedAt
        self.target = target
        self.crypto = crypto
        self.allocator = allocator
    }

    enum CodingKeys: String, CodingKey {
        case cores, os, target, crypto, allocator
        case swiftVersion = "swift_version"
        case gitCommit = "git_commit"
        case startedAt = "started_at"
    }

    /// Reads this machine: cores, OS, compiler, `git rev-parse HEAD` of the working directory;
    /// `allocator` is the one the caller detected (the driver reads it from the process).
    public static func current(target: String, allocator: AllocatorEnvironment?) -> RunEnvironment {
        #if compiler(>=6.4)
        let swift = "6.4+"
        #elseif compiler(>=6.3)
        let swift = "6.3"
        #elseif compiler(>=6.2)
        let swift = "6.2"
        #else
        let swift = "<6.2"
        #endif
        return RunEnvironment(
            cores: ProcessInfo.processInfo.activeProcessorCount,
            os: ProcessInfo.processInfo.operatingSystemVersionString,
            swiftVersion: swift,
            gitCommit: gitCommit() ?? "unknown",
            startedAt: ISO8601DateFormatter().string(from: Date()),
            target: target, allocator: allocator)
    }

    package static func gitCommit() -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "rev-parse", "HEAD"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return out.isEmpty ? nil : out
    }
}
