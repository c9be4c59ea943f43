import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Any HTTP token endpoint, spoken to through an ``HTTPProfile`` over a keep-alive connection
/// pool (``HTTP1Client``: SwiftNIO's HTTP/1.1 codecs; plain `http://` only).
///
/// Answers are classified per RFC 6749 §5.2 / RFC 6750 §3: 200 → ok; 400 with
/// `invalid_grant` → rejected (invalid grant); 400 otherwise → rejected (invalid request);
/// 401 → rejected (invalid token at the resource, invalid grant at the token endpoint);
/// 429 → rejected (rate limited); 503 → failed (store unavailable); other 5xx → failed
/// (server error); a connection failure or timeout → failed (transport); a 200 without the
/// tokens the profile names → failed (bad response).
public struct HTTPTarget: LoadTarget {
    public let baseURL: String
    public let profile: HTTPProfile
    /// One client per event loop; a worker's lanes run on its loop and use its client.
    let clients: [HTTP1Client]
    /// A path prefix from the URL (empty for `http://host:port`).
    let basePath: String
    /// The resource's request target, made once (it is on every access).
    let resourceURI: String
    let accessPointer: JSONPointer
    let refreshPointer: JSONPointer
    let expiresPointer: JSONPointer
    /// Assumed access-token lifetime when an answer has no `expires_in`, seconds.
    let defaultExpiresIn: Double
    let basicAuthorization: String?

    public var name: String { baseURL }
    public var operationsWaitOnIO: Bool { true }

    /// Worker `index` runs its lanes on event loop `index mod loops`, where its connections live.
    public func laneExecutor(worker index: Int) -> (any TaskExecutor)? {
        EventLoopTaskExecutor(clients[index % clients.count].group.next())
    }

    /// The client of the event loop we are on (a worker's lane), else the first.
    private var client: HTTP1Client {
        for c in clients where c.group.next().inEventLoop { return c }
        return clients[0]
    }

    /// - Parameters:
    ///   - url: `http://HOST:PORT` (a path, if any, prefixes the profile's paths).
    ///   - profile: how to speak to the server.
    ///   - connections: the most keep-alive connections opened to the server.
    ///   - timeout: per request, seconds.
    ///   - defaultExpiresIn: assumed access-token lifetime when answers lack `expires_in`, seconds.
    /// - Throws: ``HTTPTargetError`` for a URL that is not `http://HOST[:PORT][/PATH]` or a pointer that is not RFC 6901.
    public init(url: String, profile: HTTPProfile, connections: Int, timeout: Double = 10, defaultExpiresIn: Double = 300) throws(HTTPTargetError) {
        guard let parsed = URL(string: url), parsed.scheme == "http", let host = parsed.host, !host.isEmpty,
              parsed.query == nil, parsed.user == nil else {
            throw HTTPTargetError("--target", "a plain-HTTP URL such as http://127.0.0.1:8080 (https is not supported: put a TLS-terminating proxy in front)")
        }
        guard let access = JSONPointer(profile.accessTokenPointer) else { throw HTTPTargetError("--access-token-pointer", "an RFC 6901 JSON pointer such as /access_token") }
        guard let refresh = JSONPointer(profile.refreshTokenPointer) else { throw HTTPTargetError("--refresh-token-pointer", "an RFC 6901 JSON pointer such as /refresh_token") }
        guard let expires = JSONPointer(profile.expiresInPointer) else { throw HTTPTargetError("--expires-in-pointer", "an RFC 6901 JSON pointer such as /expires_in") }
        baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        basePath = parsed.path == "/" ? "" : (parsed.path.hasSuffix("/") ? String(parsed.path.dropLast()) : parsed.path)
        self.profile = profile
        resourceURI = basePath + profile.resourcePath
        accessPointer = access
        refreshPointer = refresh
        expiresPointer = expires
        self.defaultExpiresIn = defaultExpiresIn
        if let id = profile.clientID, let secret = profile.clientSecret {
            basicAuthorization = "Basic " + Data("\(Self.formEscape(id)):\(Self.formEscape(secret))".utf8).base64EncodedString()
        } else {
            basicAuthorization = nil
        }
        let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        let perLoop = max(1, (connections + loops.count - 1) / loops.count)
        clients = loops.map {
            HTTP1Client(host: host, port: parsed.port ?? 80, connections: perLoop, timeout: .nanoseconds(Int64(timeout * 1e9)), group: $0)
        }
    }

    /// Closes the connection pool. Call once the run is over.
    public func shutdown() async {
        for c in clients { c.shutdown() }
    }

    // MARK: LoadTarget

    public func login(username: String, password: String) async -> TargetOutcome<IssuedTokens> {
        var fields: [(String, String)] = []
        if let grant = profile.loginGrantType { fields.append(("grant_type", grant)) }
        fields.append((profile.usernameField, username))
        fields.append((profile.passwordField, password))
        return await tokenRequest(path: profile.loginPath, fields: fields, headers: [:], previousRefresh: nil)
    }

    public func refresh(refreshToken: String) async -> TargetOutcome<IssuedTokens> {
        var fields: [(String, String)] = []
        if let grant = profile.refreshGrantType { fields.append(("grant_type", grant)) }
        var headers: HTTPHeaders = [:]
        switch profile.refreshTokenIn {
        case .body: fields.append((profile.refreshTokenField, refreshToken))
        case .bearer: headers.add(name: "Authorization", value: "Bearer \(refreshToken)")
        case .cookie(let name): headers.add(name: "Cookie", value: "\(name)=\(refreshToken)")
        }
        return await tokenRequest(path: profile.refreshPath, fields: fields, headers: headers, previousRefresh: refreshToken)
    }

    public func access(accessToken: String) async -> TargetOutcome<Void> {
        var request = HTTPRequestSpec(method: .GET, path: resourceURI)
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken)")
        guard let answer = await send(request, readJSON: false) else { return .failed(.transport) }
        switch answer.status {
        case 200..<300: return .ok(())
        case 401, 403: return .rejected(.invalidToken)
        default: return .failed(Self.failure(answer.status, answer.error))
        }
    }

    public func logout(refreshToken: String) async -> TargetOutcome<Void> {
        guard let path = profile.revokePath else { return .ok(()) }
        var request = HTTPRequestSpec(method: .POST, path: basePath + path)
        var fields = [(profile.revokeTokenField, refreshToken), ("token_type_hint", "refresh_token")]
        addClient(&fields, &request.headers)
        setBody(&request, fields)
        guard let answer = await send(request) else { return .failed(.transport) }
        switch answer.status {
        case 200..<300: return .ok(())
        case 400..<500: return .rejected(Self.rejection(answer.status, answer.error))
        default: return .failed(Self.failure(answer.status, answer.error))
        }
    }

    // MARK: Requests

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var json: Any?
        /// The RFC 6749 §5.2 `error` field, if any.
        var error: String? { (json as? [String: Any])?["error"] as? String }
    }

    private func tokenRequest(path: String, fields: [(String, String)], headers: HTTPHeaders,
                              previousRefresh: String?) async -> TargetOutcome<IssuedTokens> {
        var request = HTTPRequestSpec(method: .POST, path: basePath + path, headers: headers)
        var fields = fields
        addClient(&fields, &request.headers)
        setBody(&request, fields)
        guard let answer = await send(request) else { return .failed(.transport) }
        switch answer.status {
        case 200:
            guard let tokens = tokens(from: answer) else { return .failed(.badResponse) }
            return .ok(tokens)
        case 400..<500: return .rejected(Self.rejection(answer.status, answer.error, tokenEndpoint: true))
        default: return .failed(Self.failure(answer.status, answer.error))
        }
    }

    private func tokens(from answer: Answer) -> IssuedTokens? {
        guard let json = answer.json, let access = accessPointer.resolve(in: json) as? String, !access.isEmpty else { return nil }
        let refresh: String?
        switch profile.refreshTokenIn {
        case .body, .bearer: refresh = refreshPointer.resolve(in: json) as? String
        case .cookie(let name): refresh = Self.cookie(name, in: answer.headers)
        }
        guard let refresh, !refresh.isEmpty else { return nil }
        let expires = (expiresPointer.resolve(in: json) as? NSNumber)?.doubleValue ?? defaultExpiresIn
        return IssuedTokens(accessToken: access, refreshToken: refresh, expiresIn: expires)
    }

    func addClient(_ fields: inout [(String, String)], _ headers: inout HTTPHeaders) {
        if let basicAuthorization {
            headers.add(name: "Authorization", value: basicAuthorization)
        } else if let id = profile.clientID {
            fields.append(("client_id", id))
        }
    }

    func setBody(_ request: inout HTTPRequestSpec, _ fields: [(String, String)]) {
        switch profile.encoding {
        case .form:
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            let body = fields.map { "\(Self.formEscape($0.0))=\(Self.formEscape($0.1))" }.joined(separator: "&")
            request.body = ByteBuffer(string: body)
        case .json:
            request.headers.add(name: "Content-Type", value: "application/json")
            let object = Dictionary(fields, uniquingKeysWith: { _, last in last })
            let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
            request.body = ByteBuffer(bytes: data)
        }
    }

    /// The answer, or `nil` when the connection failed or timed out.
    /// - Parameter readJSON: parse a JSON body (token answers and errors; not needed for a
    ///   successful resource call).
    func send(_ request: HTTPRequestSpec, readJSON: Bool = true) async -> Answer? {
        guard let answer = try? await client.execute(request) else { return nil }
        var json: Any? = nil
        let body = answer.body.readableBytesView
        if readJSON || answer.status >= 300, let first = body.first, first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            json = try? JSONSerialization.jsonObject(with: Data(body))
        }
        return Answer(status: answer.status, headers: answer.headers, json: json)
    }

    // MARK: Classification

    static func rejection(_ status: Int, _ error: String?, tokenEndpoint: Bool = false) -> RejectionKind {
        if status == 429 || error == "slow_down" { return .rateLimited }
        switch error {
        case "invalid_grant": return .invalidGrant
        case "invalid_token": return .invalidToken
        default: break
        }
        if status == 401 { return tokenEndpoint ? .invalidGrant : .invalidToken }
        return .invalidRequest
    }

    static func failure(_ status: Int, _ error: String?) -> ErrorKind {
        if status == 503 || error == "temporarily_unavailable" { return .storeUnavailable }
        if status >= 500 { return .serverError }
        return .badResponse
    }

    /// The value of cookie `name` in the answer's `Set-Cookie` headers.
    static func cookie(_ name: String, in headers: HTTPHeaders) -> String? {
        for header in headers["Set-Cookie"] {
            guard let pair = header.split(separator: ";", maxSplits: 1).first else { continue }
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                return String(parts[1])
            }
        }
        return nil
    }

    /// `application/x-www-form-urlencoded` escaping (WHATWG URL §5.2): unreserved characters
    /// as they are, space as `+`, the rest percent-encoded.
    static func formEscape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " "):
                out.append("+")
            default:
                out.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(b & 0x0F)]))
            }
        }
        return out
    }
}

/// A bad HTTP-target setting: the flag and what it accepts.
public struct HTTPTargetError: Error, Sendable, Hashable {
    public var flag: String
    public var accepted: String
    init(_ flag: String, _ accepted: String) {
        self.flag = flag
        self.accepted = accepted
    }
}
