import Foundation

/// `environment.crypto` of `result.json` (in-process targets: the core computes in this process).
public struct CryptoEnvironment: Codable, Sendable, Hashable {
    /// `boringssl` or `openssl` (`--crypto`).
    public var backend: String
    /// The library and its version, e.g. `OpenSSL 3.0.19 27 Jan 2026`.
    public var library: String

    public init(backend: String, library: String) {
        self.backend = backend
        self.library = library
    }
}
