import Foundation
import Hummingbird
import TokenAuth

/// An error answer of the HTTP API: RFC 6749 §5.2 for the token and revocation endpoints,
/// RFC 6750 §3 for protected resources. The body is always JSON
/// `{"error": …, "error_description": …}`; the description never holds a token or password.
public struct OAuthErrorResponse: Error, Sendable, Hashable {
    /// The RFC 6749 / 6750 error code, e.g. `invalid_grant`.
    public var error: String
    /// A human-readable sentence (RFC 6749 §5.2 `error_description`).
    public var description: String
    /// The HTTP status: 400, 401, 404, 405, 413, 503.
    public var status: HTTPResponse.Status
    /// For 401 answers of protected resources: the `WWW-Authenticate` challenge (RFC 6750 §3).
    public var challenge: String?

    public init(error: String, description: String, status: HTTPResponse.Status, challenge: String? = nil) {
        self.error = error
        self.description = description
        self.status = status
        self.challenge = challenge
    }

    /// The answer for an ``AuthError`` of the core:
    /// `invalid_grant` and `invalid_request` → 400, `invalid_token` → 401 with a Bearer
    /// challenge, `temporarily_unavailable` → 503 with `Retry-After` (never a 500, never "valid").
    public init(_ error: AuthError) {
        let text = Self.sentence(error.reason)
        switch error.code {
        case .invalidGrant, .invalidRequest:
            self.init(error: error.code.rawValue, description: text, status: .badRequest)
        case .invalidToken:
            self.init(error: "invalid_token", description: text, status: .unauthorized,
                      challenge: #"Bearer realm="tokenbench", error="invalid_token", error_description="\#(text)""#)
        case .temporarilyUnavailable:
            self.init(error: "temporarily_unavailable", description: text, status: .serviceUnavailable)
        }
    }

    static func invalidRequest(_ description: String) -> Self {
        Self(error: "invalid_request", description: description, status: .badRequest)
    }

    /// The response: JSON body, `Cache-Control: no-store` (RFC 6749 §5.1 applies it to token
    /// responses; error answers of the same endpoints get it too).
    public func response() -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        if let challenge { headers[.wwwAuthenticate] = challenge }
        if status == .serviceUnavailable { headers[.retryAfter] = "1" }
        let body = ErrorBody(error: error, errorDescription: description)
        return Response(status: status, headers: headers, body: .init(byteBuffer: JSONResponse.encode(body)))
    }

    /// A reason as a short sentence for `error_description`.
    static func sentence(_ reason: AuthError.Reason) -> String {
        switch reason {
        case .badCredentials: "username or password is wrong"
        case .passwordTooLong: "password is longer than accepted"
        case .passwordInvalidCharacter: "password contains a NUL character"
        case .missingParameter: "a required parameter is missing or empty"
        case .malformedToken: "token is malformed"
        case .unknownToken: "token is unknown"
        case .familyExpired: "session has expired"
        case .familyRevoked: "session has been revoked"
        case .reuseDetected: "refresh token was already used; the session is revoked"
        case .userDisabled: "the user is disabled or deleted; the session is revoked"
        case .unknownUser: "no such user"
        case .unknownKey: "unknown key id"
        case .algorithmMismatch: "algorithm does not match the key"
        case .unsecuredAlgorithm: "unsecured tokens are not accepted"
        case .wrongTokenType: "not an access token"
        case .badSignature: "signature does not verify"
        case .tokenExpired: "access token has expired"
        case .tokenNotYetValid: "access token is not yet valid"
        case .wrongIssuer: "wrong issuer"
        case .wrongAudience: "wrong audience"
        case .missingClaim: "access token lacks a required claim"
        case .sessionRevoked: "session has been revoked"
        case .storeUnavailable: "token store unavailable, retry later"
        case .signingFailed: "token could not be signed, retry later"
        }
    }
}

/// The RFC 6749 §5.2 error body.
struct ErrorBody: Encodable {
    var error: String
    var errorDescription: String

    enum CodingKeys: String, CodingKey {
        case error
        case errorDescription = "error_description"
    }
}

/// A response body that writes its own JSON (the answers of every token and resource call:
/// Foundation's `JSONEncoder` was a twentieth of a refresh over HTTP).
protocol DirectJSONBody {
    /// Appends the body's JSON object.
    func writeJSON(to out: inout [UInt8])
}

/// JSON bodies: written directly for ``DirectJSONBody`` types, through Foundation's
/// `JSONEncoder` for the rest (errors, JWKS).
enum JSONResponse {
    static func direct(_ value: some DirectJSONBody) -> ByteBuffer {
        var out = [UInt8]()
        out.reserveCapacity(512)
        value.writeJSON(to: &out)
        return ByteBuffer(bytes: out)
    }

    static func encode(_ value: some Encodable) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // Encoding these flat structs of strings and integers cannot fail.
        return ByteBuffer(bytes: (try? encoder.encode(value)) ?? Data(#"{"error":"server_error"}"#.utf8))
    }
}
