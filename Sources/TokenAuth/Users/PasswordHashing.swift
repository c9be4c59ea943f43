import CArgon2
import ExtrasBase64
import Foundation
import HummingbirdBcrypt

/// Password hashing in PHC string format: argon2id (RFC 9106, Debian's libargon2, the
/// reference implementation) or bcrypt (hummingbird-auth's `HummingbirdBcrypt`), with a
/// configurable cost. Login throughput is dominated by this cost, which makes it a
/// benchmark dimension.
///
/// Passwords longer than an algorithm accepts are never truncated: bcrypt reads at most 72
/// bytes and stops at a NUL byte, so ``hash(_:)`` rejects such passwords with
/// ``PasswordHashingError`` and ``verify(_:against:)`` answers `false` for them after
/// doing the same work as a real check.
public struct PasswordHashing: Sendable, Hashable {
    /// An algorithm and its cost.
    public enum Algorithm: Sendable, Hashable, CustomStringConvertible {
        /// argon2id with memory (KiB), iterations and lanes. OWASP's minimum is
        /// m = 19456 KiB, t = 2, p = 1, the default.
        case argon2id(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32)
        /// bcrypt with a cost (log2 of rounds), 4 ... 31; default 10.
        case bcrypt(cost: Int)

        /// OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane.
        public static let argon2idDefault = Algorithm.argon2id(memoryKiB: 19_456, iterations: 2, parallelism: 1)
        /// bcrypt at cost 10.
        public static let bcryptDefault = Algorithm.bcrypt(cost: 10)

        public var description: String {
            switch self {
            case .argon2id(let m, let t, let p): "argon2id(m=\(m),t=\(t),p=\(p))"
            case .bcrypt(let cost): "bcrypt(cost=\(cost))"
            }
        }
    }

    public let algorithm: Algorithm
    /// Longest password this algorithm takes, bytes of UTF-8 (bcrypt: 72).
    public let maxPasswordBytes: Int

    /// - Throws: ``ConfigurationError`` for a cost out of range (bcrypt 4 ... 31; argon2id
    ///   memory 8 ... 4194304 KiB and at least 8 × parallelism, iterations 1 ... 100,
    ///   parallelism 1 ... 16).
    public init(_ algorithm: Algorithm) throws(ConfigurationError) {
        switch algorithm {
        case .bcrypt(let cost):
            guard (4...31).contains(cost) else { throw ConfigurationError(setting: "bcrypt cost", accepted: "4 ... 31") }
            maxPasswordBytes = 72
        case .argon2id(let m, let t, let p):
            guard (1...16).contains(p) else { throw ConfigurationError(setting: "argon2id parallelism", accepted: "1 ... 16") }
            guard (1...100).contains(t) else { throw ConfigurationError(setting: "argon2id iterations", accepted: "1 ... 100") }
            guard m >= 8 * p, m <= 4_194_304 else {
                throw ConfigurationError(setting: "argon2id memory", accepted: "8×parallelism ... 4194304 KiB")
            }
            maxPasswordBytes = 4096
        }
        self.algorithm = algorithm
    }

    /// Hashes a password with a fresh random 128-bit salt.
    /// - Returns: the PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`, or bcrypt's `$2b$…`).
    /// - Throws: ``PasswordHashingError`` for a password too long or, for bcrypt, with a NUL byte.
    public func hash(_ password: String, random: any RandomSource = SystemRandomSource()) throws(PasswordHashingError) -> String {
        try check(password)
        switch algorithm {
        case .bcrypt(let cost):
            return Bcrypt.hash(password, cost: UInt8(cost))
        case .argon2id(let m, let t, let p):
            let salt = random.bytes(16)
            let pwd = Array(password.utf8)
            let length = argon2_encodedlen(t, m, p, UInt32(salt.count), 32, Argon2_id)
            var encoded = [CChar](repeating: 0, count: length)
            let rc = pwd.withUnsafeBytes { pw in
                argon2id_hash_encoded(t, m, p, pw.baseAddress, pw.count, salt, salt.count, 32, &encoded, length)
            }
            guard rc == ARGON2_OK.rawValue else { throw PasswordHashingError(.hashingFailed) }
            return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Checks a password against a stored PHC string, whichever algorithm made it
    /// (`$argon2id$` or `$2a$`/`$2b$`/`$2y$`). Constant-time comparison is the libraries'.
    /// - Returns: `true` only on a match; `false` for a mismatch, an unreadable hash, or a
    ///   password the algorithm cannot take (checked after doing the same work).
    public func verify(_ password: String, against phc: String) -> Bool {
        if phc.hasPrefix("$argon2id$") {
            let pwd = Array(password.utf8)
            guard pwd.count <= 4096 else { return false }
            let rc = pwd.withUnsafeBytes { pw in argon2id_verify(phc, pw.baseAddress, pw.count) }
            return rc == ARGON2_OK.rawValue
        }
        if phc.hasPrefix("$2a$") || phc.hasPrefix("$2b$") || phc.hasPrefix("$2y$") {
            let acceptable = password.utf8.count <= 72 && !password.utf8.contains(0)
            // Always do the work, so an unacceptable password costs the same time.
            let matched = Bcrypt.verify(acceptable ? password : "", hash: phc)
            return acceptable && matched
        }
        return false
    }

    /// Throws unless this algorithm can take the password as it is.
    public func check(_ password: String) throws(PasswordHashingError) {
        let bytes = password.utf8
        guard bytes.count <= maxPasswordBytes else { throw PasswordHashingError(.tooLong) }
        if case .bcrypt = algorithm, bytes.contains(0) { throw PasswordHashingError(.invalidCharacter) }
    }
}

/// Why a password could not be hashed.
public struct PasswordHashingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// Longer than the algorithm accepts (bcrypt: 72 bytes); never silently truncated.
        case tooLong = "too_long"
        /// A NUL byte, which bcrypt would treat as the end of the password.
        case invalidCharacter = "invalid_character"
        /// The hashing library failed (e.g. out of memory for the configured cost).
        case hashingFailed = "hashing_failed"
    }

    public var code: Code
    public init(_ code: Code) { self.code = code }
    public var description: String { "password \(code.rawValue)" }
}
