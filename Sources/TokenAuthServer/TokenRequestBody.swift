import Foundation
import Hummingbird

/// The parameters of a token or revocation request (RFC 6749 §4.3.2, §6; RFC 7009 §2.1),
/// read from an `application/x-www-form-urlencoded` or `application/json` body.
///
/// Unknown parameters are ignored (RFC 6749 §3.1); a parameter given twice is refused
/// (RFC 6749 §3.1: "MUST NOT be included more than once"); a parameter that is not a string
/// is refused.
struct TokenRequestBody: Decodable, Sendable {
    init() {}

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
            return try buffer.withUnsafeReadableBytes { raw throws(OAuthErrorResponse) in try form(raw) }
        case .json:
            return try json(Data(bytes))
        }
    }

    /// Parses an `application/json` body: an object whose members of known names are strings.
    /// - Throws: ``OAuthErrorResponse`` 400 `invalid_request` for an empty body, a body that is
    ///   not JSON, or a known parameter that is not a string.
    static func json(_ data: Data) throws(OAuthErrorResponse) -> TokenRequestBody {
        guard !data.isEmpty else { throw .invalidRequest("empty JSON body") }
        do {
            return try JSONDecoder().decode(TokenRequestBody.self, from: data)
        } catch is DecodingError {
            throw .invalidRequest("JSON body is not an object of string parameters")
        } catch {
            throw .invalidRequest("JSON body does not parse")
        }
    }

    enum ContentKind { case form, json }

    /// Parses an `application/x-www-form-urlencoded` body (WHATWG URL §5.1: `&`-separated
    /// `name=value` pairs, `+` for a space, `%XX` escapes; a pair without `=` is a name with an
    /// empty value, where Hummingbird's decoder drops it; separators are bytes, where that decoder
    /// splits Characters and misses an `&` followed by a combining mark), read in place: the values of a
    /// token request (base64url tokens, grant names) have no escapes and become strings with
    /// one copy. (Hummingbird's `URLEncodedFormDecoder` builds a tree and decodes it through
    /// `Decodable`: it was a twelfth of a refresh over HTTP.)
    /// - Throws: ``OAuthErrorResponse`` 400 `invalid_request` for a body that is not UTF-8, a
    ///   `%` not followed by two hexadecimal digits, or a name given twice (RFC 6749 §3.1).
    static func form(_ bytes: UnsafeRawBufferPointer) throws(OAuthErrorResponse) -> TokenRequestBody {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw .invalidRequest("form body is not valid UTF-8") }
        var body = TokenRequestBody()
        var seen = Set<String>()
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "&") { end += 1 }
            defer { start = end + 1 }
            guard end > start else { continue } // empty pair (`a=1&&b=2`, a trailing `&`)
            var equals = start
            while equals < end, bytes[equals] != UInt8(ascii: "=") { equals += 1 }
            let name = try decodeComponent(UnsafeRawBufferPointer(rebasing: bytes[start..<equals]))
            let value = equals < end ? try decodeComponent(UnsafeRawBufferPointer(rebasing: bytes[(equals + 1)..<end])) : ""
            guard seen.insert(name).inserted else { throw .invalidRequest("a parameter appears more than once") }
            switch name {
            case "grant_type": body.grantType = value
            case "username": body.username = value
            case "password": body.password = value
            case "refresh_token": body.refreshToken = value
            case "client_id": body.clientID = value
            case "scope": body.scope = value
            case "token": body.token = value
            case "token_type_hint": body.tokenTypeHint = value
            default: break // unknown parameters are ignored (RFC 6749 §3.1)
            }
        }
        return body
    }

    /// One name or value: as it is when it holds no `+` or `%`; else `+` → space and `%XX`
    /// → that byte, the result read as UTF-8 with invalid sequences replaced by U+FFFD (as
    /// Hummingbird's decoder does).
    /// - Throws: ``OAuthErrorResponse`` for a `%` not followed by two hexadecimal digits.
    static func decodeComponent(_ raw: UnsafeRawBufferPointer) throws(OAuthErrorResponse) -> String {
        let plain = !raw.contains(UInt8(ascii: "+")) && !raw.contains(UInt8(ascii: "%"))
        if plain {
            return String(unsafeUninitializedCapacity: raw.count) { buffer in
                guard raw.count > 0 else { return 0 }
                UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: raw.count)
                return raw.count
            }
        }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            switch raw[i] {
            case UInt8(ascii: "+"):
                bytes.append(0x20)
                i += 1
            case UInt8(ascii: "%"):
                guard i + 2 < raw.count, let high = hex(raw[i + 1]), let low = hex(raw[i + 2])
                else { throw .invalidRequest("form body does not parse: a % not followed by two hexadecimal digits") }
                bytes.append(high << 4 | low)
                i += 3
            default:
                bytes.append(raw[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

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
