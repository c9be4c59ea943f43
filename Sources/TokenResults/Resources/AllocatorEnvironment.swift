import Foundation

/// `environment.allocator` of `result.json`.
public struct AllocatorEnvironment: Codable, Sendable, Hashable {
    /// `glibc` or `jemalloc`.
    public var name: String
    /// `gnu_get_libc_version()`, or jemalloc's `version` (e.g. `5.3.0-0-g54eaed1d8b56…`).
    public var version: String

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }
}
