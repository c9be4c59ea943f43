import Foundation
import JWTKit

/// The claims of an access token, per the JWT profile for OAuth 2.0 access tokens (RFC 9068 §2.2):
/// `iss sub aud exp iat jti`, plus `sid` (the refresh-token family) and `client_id`.
/// Times are whole seconds since 1970 (RFC 7519 NumericDate).
public struct AccessTokenClaims: JWTPayload, Hashable {
    public var iss: String
    public var sub: String
    /// Audiences; serialized as a string when there is one (RFC 7519 §4.1.3).
    public var aud: [String]
    public var exp: Int64
    public var iat: Int64
    public var nbf: Int64?
    public var jti: String
    public var sid: String
    public var clientID: String?

    public init(iss: String, sub: String, aud: [String], exp: Int64, iat: Int64, nbf: Int64? = nil,
                jti: String, sid: String, clientID: String? = nil) {
        self.iss = iss
        self.sub = sub
        self.aud = aud
        self.exp = exp
        self.iat = iat
        self.nbf = nbf
        self.jti = jti
        self.sid = sid
        self.clientID = clientID
    }

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, nbf, jti, sid
        case clientID = "client_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        iss = try c.decode(String.self, forKey: .iss)
        sub = try c.decode(String.self, forKey: .sub)
        if let one = try? c.decode(String.self, forKey: .aud) {
            aud = [one]
        } else {
            aud = try c.decode([String].self, forKey: .aud)
        }
        exp = try c.decode(Int64.self, forKey: .exp)
        iat = try c.decode(Int64.self, forKey: .iat)
        nbf = try c.decodeIfPresent(Int64.self, forKey: .nbf)
        jti = try c.decode(String.self, forKey: .jti)
        sid = try c.decode(String.self, forKey: .sid)
        clientID = try c.decodeIfPresent(String.self, forKey: .clientID)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(iss, forKey: .iss)
        try c.encode(sub, forKey: .sub)
        if aud.count == 1 { try c.encode(aud[0], forKey: .aud) } else { try c.encode(aud, forKey: .aud) }
        try c.encode(exp, forKey: .exp)
        try c.encode(iat, forKey: .iat)
        try c.encodeIfPresent(nbf, forKey: .nbf)
        try c.encode(jti, forKey: .jti)
        try c.encode(sid, forKey: .sid)
        try c.encodeIfPresent(clientID, forKey: .clientID)
    }

    /// jwt-kit calls this after the signature check. It checks nothing: the time-based
    /// claims are checked by ``SigningKeyRing/verify(_:now:)`` against the injected clock
    /// and leeway, which jwt-kit's payload hook cannot receive.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// `exp` as a date.
    public var expiresAt: Date { Date(timeIntervalSince1970: TimeInterval(exp)) }
    /// `iat` as a date.
    public var issuedAt: Date { Date(timeIntervalSince1970: TimeInterval(iat)) }
}
