import ExtrasBase64
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import TokenResults
import TokenPool
import TokenHTTPClient

/// Reads the claims of a compact JWS without verifying it (the driver is not the server): the
/// access lifetime from `exp − iat` when a server sends no `expires_in` (RFC 9068 §2.2).
package enum JWSClaims {
    /// `exp − iat`, seconds, when `token` is a compact JWS whose payload has numeric `exp`
    /// and `iat` with `exp > iat`; otherwise `nil`. Whole seconds, rounded down, from one second
    /// on: a server may write `iat` truncated and `exp` with a fraction (authx writes
    /// `iat = ⌊now⌋`, `exp = now + ttl`), which would otherwise overstate the lifetime by up to a
    /// second; a lifetime taken short only makes the driver refresh a little early.
    package static func lifetime(of token: String) -> Double? {
        guard let claims = payload(of: token),
              let exp = (claims["exp"] as? NSNumber)?.doubleValue, let iat = (claims["iat"] as? NSNumber)?.doubleValue,
              exp.isFinite, iat.isFinite, exp > iat, exp - iat <= HTTPTarget.maxLifetimeSeconds else { return nil }
        let lifetime = exp - iat
        return lifetime >= 1 ? lifetime.rounded(.down) : lifetime
    }

    /// Whether `token` is a compact JWS (three base64url parts, a JSON header with `alg`).
    package static func isJWS(_ token: String) -> Bool {
        split(token)?.header["alg"] is String
    }

    /// The claims of a compact JWS whose header names its `alg`, or `nil`.
    package static func payload(of token: String) -> [String: Any]? {
        guard let parts = split(token), parts.header["alg"] is String else { return nil }
        return decode(parts.payload)
    }

    /// A compact JWS split into its decoded header (a JSON object) and its other two parts as
    /// sent (base64url), or `nil` for anything else: TokenBench's one JWS part decoder (the
    /// driver, the preflight and the probe's forgeries read tokens through it). Parts over
    /// 16 KiB are refused, so no answer can make it decode without bound.
    package static func split(_ token: String) -> (header: [String: Any], payload: Substring, signature: Substring)? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = decode(parts[0]) else { return nil }
        return (header, parts[1], parts[2])
    }

    private static func decode(_ part: Substring) -> [String: Any]? {
        guard part.utf8.count <= 16_384,
              let bytes = try? Base64.decode(string: String(part), options: [.base64UrlAlphabet, .omitPaddingCharacter]),
              let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        return object
    }
}
