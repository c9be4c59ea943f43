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
    /// The cores each side of the run could use (`--driver-cpus`, `--target-cpus`,
    /// `--store-cpus`, `taskset`): on one machine, which cores the driver had and which the
    /// server and the store had.
    public var cpus: CPUPlacement?

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
        case cores, os, target, crypto, allocator, cpus
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

/// `environment.cpus`: each process's allowed CPUs as a list (`0-1,3`, `/proc/PID/status`'s
/// `Cpus_allowed_list`), taken at the start of the measured window.
public struct CPUPlacement: Codable, Sendable, Hashable {
    /// TokenBench's process: the driver (and the in-process core).
    public var tokenbench: String
    /// `--target-pid`'s process.
    public var target: String?
    /// `--store-pid`'s process.
    public var store: String?

    package init(tokenbench: String, target: String? = nil, store: String? = nil) {
        self.tokenbench = tokenbench
        self.target = target
        self.store = store
    }

    /// CPU numbers written as a list, `0-1,3`.
    public static func list(_ cpus: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        let sorted = Array(Set(cpus)).sorted()
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count, sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// `tokenbench on cores 1; target on 0; store on 0`.
    public var text: String {
        (["tokenbench on cores \(tokenbench)"] + [target.map { "target on \($0)" }, store.map { "store on \($0)" }].compactMap { $0 })
            .joined(separator: "; ")
    }
}
