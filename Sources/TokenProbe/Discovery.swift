import Foundation
import NIOHTTP1
import TokenLoad
import TokenResults
import TokenHTTPClient

/// Authorization-server metadata (`--issuer URL`): OpenID Connect Discovery 1.0 §4
/// (`ISSUER/.well-known/openid-configuration`), else RFC 8414 §3
/// (`ORIGIN/.well-known/oauth-authorization-server/ISSUER-PATH`). The document names the token,
/// revocation (RFC 7009), userinfo, introspection (RFC 7662) and JWKS endpoints and the client
/// authentication methods the token endpoint takes; the profile's paths are read from it
/// instead of being guessed, and flags and profile keys given beside `--issuer` still win.
public enum Discovery {
    /// What a metadata document says, as paths under the target URL.
    public struct Metadata: Sendable, Hashable {
        /// The URL the document was read from.
        public var documentURL: String
        /// The `issuer` it names (identical to `--issuer`: OIDC Discovery §4.3, RFC 8414 §3.3).
        public var issuer: String
        /// `token_endpoint`, as a path under the target URL.
        public var tokenPath: String
        /// `revocation_endpoint` (RFC 7009), or `nil`: the server names none.
        public var revocationPath: String?
        /// `userinfo_endpoint` (OIDC Core §5.3): a resource every OIDC provider has.
        public var userinfoPath: String?
        /// `introspection_endpoint` (RFC 7662), recorded.
        public var introspectionPath: String?
        /// `jwks_uri` (RFC 7517), where T4 reads the server's keys.
        public var jwksPath: String?
        /// `token_endpoint_auth_methods_supported` (RFC 8414 §2; absent means
        /// `client_secret_basic`).
        public var authMethods: [String]
    }

    /// Whether `text` can be an issuer: an `http(s)://HOST[:PORT][/PATH]` URL without query,
    /// fragment or user (RFC 8414 §2).
    public static func isIssuerURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else { return false }
        return url.query == nil && url.fragment == nil && url.user == nil
    }

    /// The longest endpoint URL a document may name, bytes: past it the document is refused,
    /// never kept (docs/design.md, "No answer can hurt the tool").
    static let maxURLBytes = 2048

    /// Reads the metadata of `issuer` for a target at `targetURL`.
    /// - Parameters:
    ///   - issuer: `http(s)://HOST[:PORT][/PATH]`, without query or fragment.
    ///   - targetURL: the run's or the probe's server URL; every endpoint must lie under it.
    ///   - tls: how to trust an HTTPS server.
    ///   - timeout: per request, seconds.
    /// - Returns: the metadata, or a failure: ``Verdict/badInput`` (64) for an issuer that is not
    ///   a URL or endpoints on another server; ``Verdict/unreachable`` (69) for a document that
    ///   is missing, not JSON, names another issuer or has no token endpoint.
    public static func fetch(issuer: String, targetURL: String, tls: TLSSettings = TLSSettings(),
                             timeout: Double = 10) async -> Result<Metadata, Preflight.Failure> {
        func bad(_ message: String) -> Result<Metadata, Preflight.Failure> {
            .failure(Preflight.Failure(message: "--issuer: " + message, verdict: .badInput))
        }
        func refused(_ message: String) -> Result<Metadata, Preflight.Failure> {
            .failure(Preflight.Failure(message: "discovery: " + message, verdict: .unreachable))
        }
        let issuerText = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        guard isIssuerURL(issuerText), let url = URL(string: issuerText), let scheme = url.scheme?.lowercased(), let host = url.host else {
            return bad("expected the issuer's http:// or https:// URL, without query or fragment, e.g. https://auth.example.com or http://127.0.0.1:8000/o (got '\(issuer)')")
        }
        let origin = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host)" + (url.port.map { ":\($0)" } ?? "")
        let issuerPath = url.path == "/" ? "" : url.path
        let reader: HTTPTarget
        do throws(HTTPTargetError) {
            reader = try HTTPTarget(url: origin, profile: .oauth2, connections: 1, timeout: timeout, tls: tls)
        } catch {
            return bad("expected \(error.accepted)")
        }
        defer { Task { await reader.shutdown() } }
        var tried: [String] = []
        var documents: [(url: String, object: [String: Any])] = []
        for path in [issuerPath + "/.well-known/openid-configuration", "/.well-known/oauth-authorization-server" + issuerPath] {
            let answer = await reader.send(HTTPRequestSpec(method: .GET, path: path, headers: ["Accept": "application/json"]))
            guard let answer else {
                tried.append("\(origin + path): no answer")
                continue
            }
            guard answer.status == 200, let object = answer.json as? [String: Any] else {
                tried.append("\(origin + path): \(answer.status)\(answer.status == 200 ? " (not a JSON object)" : "")")
                continue
            }
            documents.append((origin + path, object))
        }
        guard !documents.isEmpty else {
            return refused("no metadata document for the issuer \(issuerText) (" + tried.joined(separator: "; ") + ")")
        }
        return metadata(from: documents, issuer: issuerText, targetURL: targetURL)
    }

    /// The metadata of `documents` (read in order: OpenID Connect's, then RFC 8414's), checked:
    /// the first must name `issuer` exactly, a later one of the same issuer fills what the first
    /// lacks, and every endpoint must lie under `targetURL`. Pure: the fuzz target `answer`
    /// feeds it documents of any shape.
    /// - Returns: the metadata, or the failure (exit 64 for endpoints elsewhere, 69 otherwise).
    package static func metadata(from documents: [(url: String, object: [String: Any])], issuer issuerText: String,
                                 targetURL: String) -> Result<Metadata, Preflight.Failure> {
        func bad(_ message: String) -> Result<Metadata, Preflight.Failure> {
            .failure(Preflight.Failure(message: "--issuer: " + message, verdict: .badInput))
        }
        func refused(_ message: String) -> Result<Metadata, Preflight.Failure> {
            .failure(Preflight.Failure(message: "discovery: " + message, verdict: .unreachable))
        }
        guard let first = documents.first else { return refused("no metadata document for the issuer \(issuerText)") }
        let documentURL = first.url
        func names(_ object: [String: Any]) -> String? {
            guard let named = object["issuer"] as? String, named == issuerText || named == issuerText + "/" else { return nil }
            return named
        }
        guard let named = names(first.object) else {
            let named = (first.object["issuer"] as? String).map { "'\(HTTPTarget.Answer.oneLine($0))'" } ?? "none"
            return refused("\(documentURL) names the issuer \(named), not \(issuerText) (OpenID Connect Discovery §4.3, RFC 8414 §3.3: they must be identical)")
        }
        // An OpenID Connect document often leaves out RFC 8414's revocation and introspection
        // endpoints; the RFC 8414 document of the same issuer fills what the first lacks.
        var document = first.object
        for other in documents.dropFirst() where names(other.object) != nil {
            document.merge(other.object) { mine, _ in mine }
        }
        let base = targetURL.hasSuffix("/") ? String(targetURL.dropLast()) : targetURL
        var offServer: [String] = []
        /// An endpoint as a path under the target URL; `nil` when absent; recorded in
        /// `offServer` when it is not a URL under the target.
        func path(_ key: String) -> String? {
            guard let value = document[key] else { return nil }
            guard let text = value as? String, text.utf8.count <= maxURLBytes,
                  !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }),
                  let endpoint = URL(string: text),
                  ["http", "https"].contains(endpoint.scheme?.lowercased() ?? ""), endpoint.fragment == nil else {
                offServer.append("\(key) is not an http(s) URL")
                return nil
            }
            guard text.lowercased().hasPrefix(base.lowercased() + "/") else {
                offServer.append("\(key) \(HTTPTarget.Answer.oneLine(text)) is not under \(base)")
                return nil
            }
            return String(text.dropFirst(base.count))
        }
        let token = path("token_endpoint")
        let metadata = Metadata(
            documentURL: documentURL, issuer: named, tokenPath: token ?? "",
            revocationPath: path("revocation_endpoint"), userinfoPath: path("userinfo_endpoint"),
            introspectionPath: path("introspection_endpoint"), jwksPath: path("jwks_uri"),
            authMethods: (document["token_endpoint_auth_methods_supported"] as? [Any])?.compactMap { $0 as? String }.filter { $0.count <= 64 }.prefix(16).map { $0 } ?? ["client_secret_basic"])
        if !offServer.isEmpty {
            return bad("the endpoints of \(documentURL) must lie under the target URL \(base): " + offServer.joined(separator: "; "))
        }
        guard token != nil else { return refused("\(documentURL) names no token_endpoint (RFC 8414 §2 requires it)") }
        return .success(metadata)
    }
}
