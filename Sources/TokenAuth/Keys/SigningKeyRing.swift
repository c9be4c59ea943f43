import Foundation
import JWTKit

/// The access-token signing keys: one current key that signs, and retired keys that still
/// verify until every token they signed has expired.
///
/// Rotation (``rotate(to:at:)``) makes a new key current and keeps the old one for
/// `maxAccessTokenLifetime + leeway` seconds, after which its tokens would be rejected as
/// expired anyway; then it is dropped and its `kid` becomes unknown. ``jwks(at:)`` publishes
/// the public halves of every key that still verifies (RFC 7517).
public final class SigningKeyRing: Sendable {
    struct State {
        var current: SigningKey
        var retired: [(key: SigningKey, until: Date)] = []
    }

    private let state: Locked<State>
    /// How long a retired key keeps verifying, seconds: the longest access-token lifetime
    /// plus the leeway.
    public let retirementPeriod: TimeInterval

    /// - Parameters:
    ///   - current: the key that signs.
    ///   - retirementPeriod: seconds a retired key keeps verifying; use the longest access-token
    ///     lifetime plus the leeway.
    public init(current: SigningKey, retirementPeriod: TimeInterval) {
        self.state = Locked(State(current: current))
        self.retirementPeriod = retirementPeriod
    }

    /// A ring whose other keys verify until the ring is dropped: a key set several servers
    /// share (`serve --keys DIR`), where retiring a key is removing its file and restarting.
    /// - Parameters:
    ///   - current: the key that signs.
    ///   - verifying: keys that only verify (they are published in the JWKS too).
    ///   - retirementPeriod: as ``init(current:retirementPeriod:)``, for later rotations.
    public init(current: SigningKey, verifying: [SigningKey], retirementPeriod: TimeInterval) {
        var state = State(current: current)
        state.retired = verifying.map { ($0, Date.distantFuture) }
        self.state = Locked(state)
        self.retirementPeriod = retirementPeriod
    }

    /// The key that signs new tokens.
    public var currentKey: SigningKey { state.withLock { $0.current } }

    /// Makes `key` current; the previous current key verifies for ``retirementPeriod`` more seconds.
    public func rotate(to key: SigningKey, at now: Date) {
        state.withLock { s in
            s.retired.removeAll { $0.until <= now }
            s.retired.append((s.current, now.addingTimeInterval(retirementPeriod)))
            s.current = key
        }
    }

    /// The key with this `kid` that may verify at `now`, or `nil` (unknown or retired too long
    /// ago). Never another key: there is no fallback (RFC 8725 §3.10).
    public func key(kid: String, at now: Date) -> SigningKey? {
        state.withLock { s in
            if s.current.kid == kid { return s.current }
            return s.retired.first { $0.key.kid == kid && $0.until > now }?.key
        }
    }

    /// The key that may verify at `now` whose own header segment (`base64url` of the header it
    /// signs with) is exactly `segment`, or `nil`. The fast path of verification: such a header
    /// decodes to this key's `alg`, `kid` and `typ`, so it needs no parsing.
    func key(encodedHeader segment: UnsafeBufferPointer<UInt8>, at now: Date) -> SigningKey? {
        state.withLock { s in
            func matches(_ key: SigningKey) -> Bool {
                key.encodedHeader.count == segment.count
                    && key.encodedHeader.withUnsafeBufferPointer { memcmp($0.baseAddress!, segment.baseAddress!, segment.count) == 0 }
            }
            if matches(s.current) { return s.current }
            return s.retired.first { $0.until > now && matches($0.key) }?.key
        }
    }

    /// The public keys that verify at `now`, as a JWK Set (HS256 keys are secret and omitted).
    public func jwks(at now: Date) -> JWKS {
        state.withLock { s in
            let keys = [s.current] + s.retired.filter { $0.until > now }.map(\.key)
            return JWKS(keys: keys.compactMap(\.publicJWK))
        }
    }

    /// The JWK Set as JSON, for `/.well-known/jwks.json`.
    public func jwksJSON(at now: Date) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(jwks(at: now))
    }

    /// Signs claims with the current key. Header: `{"alg", "kid", "typ": "at+jwt"}` (RFC 9068 §2.1).
    /// - Returns: the compact JWS.
    /// - Throws: jwt-kit's `JWTError` if signing fails (it does not for valid keys).
    public func sign(_ claims: AccessTokenClaims) throws -> String {
        try currentKey.sign(claims)
    }

    /// Signs claims with a given key.
    public func sign(_ claims: AccessTokenClaims, with key: SigningKey) throws -> String {
        try key.sign(claims)
    }
}
