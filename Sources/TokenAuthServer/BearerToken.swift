import Hummingbird

/// Reads the access token of a protected-resource request from `Authorization: Bearer …`
/// (RFC 6750 §2.1). The scheme is matched case-insensitively (RFC 9110 §11.1).
enum BearerToken {
    static let challenge = #"Bearer realm="tokenbench""#

    /// - Returns: the token.
    /// - Throws: ``OAuthErrorResponse``: 401 with a bare challenge when no `Authorization`
    ///   header is sent or it names another scheme (RFC 6750 §3.1: no error code in the
    ///   challenge then); 400 `invalid_request` for two headers or a token outside the
    ///   `b64token` syntax.
    static func read(_ headers: HTTPFields) throws(OAuthErrorResponse) -> String {
        let values = headers[values: .authorization]
        guard let value = values.first else {
            throw OAuthErrorResponse(error: "invalid_token", description: "missing bearer access token",
                                     status: .unauthorized, challenge: challenge)
        }
        guard values.count == 1 else { throw malformed("more than one Authorization header") }
        let utf8 = value.utf8
        guard utf8.count > 7, let space = utf8.firstIndex(of: UInt8(ascii: " ")),
              String(value[..<space]).lowercased() == "bearer" else {
            throw OAuthErrorResponse(error: "invalid_token", description: "expected the Bearer scheme",
                                     status: .unauthorized, challenge: challenge)
        }
        let token = value[value.index(after: space)...].drop { $0 == " " }
        guard !token.isEmpty, isB64Token(token.utf8) else { throw malformed("bearer token has characters outside RFC 6750 b64token") }
        return String(token)
    }

    /// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750 §2.1).
    static func isB64Token(_ bytes: Substring.UTF8View) -> Bool {
        var padding = false
        for c in bytes {
            if c == UInt8(ascii: "=") { padding = true; continue }
            if padding { return false }
            let ok = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
                || c == 0x2D || c == 0x2E || c == 0x5F || c == 0x7E || c == 0x2B || c == 0x2F
            if !ok { return false }
        }
        return true
    }

    static func malformed(_ description: String) -> OAuthErrorResponse {
        OAuthErrorResponse(error: "invalid_request", description: description, status: .badRequest,
                           challenge: #"Bearer realm="tokenbench", error="invalid_request""#)
    }
}
