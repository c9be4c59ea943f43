/// The JWS algorithms TokenBench signs access tokens with (RFC 7518 §3.1, RFC 8037).
/// Each signing key is bound to exactly one of them (RFC 8725 §3.1).
public enum AccessTokenAlgorithm: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// HMAC with SHA-256 and a 256-bit secret.
    case hs256 = "HS256"
    /// ECDSA on P-256 with SHA-256.
    case es256 = "ES256"
    /// Ed25519 (RFC 8037).
    case eddsa = "EdDSA"
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys.
    case rs256 = "RS256"

    public var description: String { rawValue }

    /// Parses a name case-insensitively ("hs256", "EdDSA", "ed25519").
    public init?(name: String) {
        switch name.lowercased() {
        case "hs256": self = .hs256
        case "es256": self = .es256
        case "eddsa", "ed25519": self = .eddsa
        case "rs256": self = .rs256
        default: return nil
        }
    }
}
