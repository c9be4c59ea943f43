import Foundation
import Hummingbird

/// The parameters of a token or revocation request (RFC 6749 §4.3.2, §6; RFC 7009 §2.1),
/// read from an `application/x-www-form-urlencoded` or `application/json` body.
///
/// Unknown parameters are ignored (RFC 6749 §3.1); a parameter given twice is refused
/// (RFC 6749 §3.1: "MUST NOT be included more than once"); a parameter that is not a string
/// is refused.
struct TokenRequestBody: Decodable, Sendable {
    var grantType: String?
    var username: String?
    var password: String?
    var refreshToken: String?
    var clientID: String?
    var scope: String?
    /// RFC 7009: the token to revoke.
    var token: String?
    var tokenTypeHint: String?

    enum CodingKeys: String, CodingKey {
        case grantType = "grant_type"
        case username, password, scope, token
        case refreshToken = "refresh_token"
        case clientID = "client_id"
        case tokenTypeHint = "token_type_hint"
    }

    /// Reads and parses the body of `request`.
    /// - Parameter limit: the largest body accepted, bytes.
    /// - Throws: ``OAuthErrorResponse``: 413 for a body over `limit`, 400 `invalid_request` for
    ///   a missing or unsupported content type, a body that does not parse, a duplicated
    ///   parameter or a parameter of the wrong type.
    static func read(_ request: Request, limit: Int) async throws(OAuthErrorResponse) -> TokenRequestBody {
        let kind = try contentKind(request.headers[.contentType])
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw OAuthErrorResponse(error: "invalid_request", description: "request body larger than \(limit) bytes",
                                     status: .contentTooLarge)
        }
        let bytes = buffer.readableBytesView
        switch kind {
        case .form:
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw .invalidRequest("form body is not valid UTF-8")
            }
            do {
                return try URLEncodedFormDecoder().decode(TokenRequestBody.self, from: text)
            } catch let error as URLEncodedFormError where error.code == .duplicateKeys {
                throw .invalidRequest("a parameter appears more than once")
            } catch {
                throw .invalidRequest("form body does not parse, or a parameter is not a single value")
            }
        case .json:
            guard let data = Optional(Data(bytes)), !data.isEmpty else { throw .invalidRequest("empty JSON body") }
            do {
                return try JSONDecoder().decode(TokenRequestBody.self, from: data)
            } catch is DecodingError {
                throw .invalidRequest("JSON body is not an object of string parameters")
            } catch {
                throw .invalidRequest("JSON body does not parse")
            }
        }
    }

    enum ContentKind { case form, json }

    /// `application/x-www-form-urlencoded` or `application/json`, with any parameters
    /// (`; charset=UTF-8`), case-insensitively (RFC 9110 §8.3.1).
    static func contentKind(_ header: String?) throws(OAuthErrorResponse) -> ContentKind {
        guard let header else { throw .invalidRequest("missing Content-Type: use application/x-www-form-urlencoded or application/json") }
        // The media type before any parameter, without surrounding blanks (no Foundation
        // CharacterSet here: this runs on every token request).
        let type = header.prefix { $0 != ";" }
        let start = type.firstIndex { $0 != " " && $0 != "\t" } ?? type.endIndex
        let end = type.lastIndex { $0 != " " && $0 != "\t" }.map { type.index(after: $0) } ?? start
        let media = type[start..<end].lowercased()
        switch media {
        case "application/x-www-form-urlencoded": return .form
        case "application/json": return .json
        default: throw .invalidRequest("unsupported Content-Type: use application/x-www-form-urlencoded or application/json")
        }
    }

    /// A parameter that must be present and non-empty.
    static func required(_ value: String?, _ name: String) throws(OAuthErrorResponse) -> String {
        guard let value, !value.isEmpty else { throw .invalidRequest("missing parameter '\(name)'") }
        return value
    }
}
