import Foundation
import Hummingbird
import TokenAuth

/// The secret that guards `serve`'s administration routes (`/admin/…`). Without one the
/// routes do not exist (404): administration is off by default.
///
/// The secret is text of at least 32 characters from the RFC 6750 `b64token` alphabet (for
/// example `openssl rand -hex 32`), sent as `Authorization: Bearer SECRET`. Only its SHA-256
/// digest is kept, and presented secrets are compared digest to digest in constant time.
public struct AdminSecret: Sendable, CustomStringConvertible {
    let digest: [UInt8]

    /// - Throws: ``ConfigurationError`` for a secret shorter than 32 characters or with a
    ///   character outside `b64token`.
    public init(text: String) throws(ConfigurationError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.utf8.count >= 32 else {
            throw ConfigurationError(setting: "--admin-secret-file", accepted: "a secret of at least 32 characters (it has \(trimmed.utf8.count))")
        }
        guard BearerToken.isB64Token(Substring(trimmed).utf8) else {
            throw ConfigurationError(setting: "--admin-secret-file", accepted: "a secret of letters, digits and -._~+/ (e.g. `openssl rand -hex 32`)")
        }
        self.digest = TokenDigest(of: Array(trimmed.utf8)).bytes
    }

    /// Reads the secret from a file (trailing whitespace and newline ignored).
    /// - Throws: ``ConfigurationError`` when the file cannot be read or holds no valid secret.
    public init(file: String) throws(ConfigurationError) {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(setting: "--admin-secret-file", accepted: "a readable UTF-8 file (cannot read '\(file)')")
        }
        try self.init(text: text)
    }

    /// Whether `presented` is the secret: SHA-256 digests compared without an early exit.
    func matches(_ presented: String) -> Bool {
        let other = TokenDigest(of: Array(presented.utf8)).bytes
        var difference: UInt8 = 0
        for i in 0..<32 { difference |= digest[i] ^ other[i] }
        return difference == 0
    }

    public var description: String { "AdminSecret(redacted)" }
}

/// What `POST /admin/users/disable` answers.
struct DisabledBody: Encodable {
    var sessionsRevoked: Int
    enum CodingKeys: String, CodingKey { case sessionsRevoked = "sessions_revoked" }
}

extension TokenServer {
    /// `POST /admin/users/disable` (`username=`): disables the user and revokes every session;
    /// 200 `{"sessions_revoked":N}`. `POST /admin/users/enable`: enables again; 204. Both need
    /// `Authorization: Bearer` with the admin secret (401 otherwise); 404 for an unknown user;
    /// 503 when the directory or the store is down.
    func registerAdminRoutes(_ router: Router<BasicRequestContext>, secret: AdminSecret) {
        router.post("/admin/users/disable") { request, _ in await self.admin(request, secret: secret, disable: true) }
        router.post("/admin/users/enable") { request, _ in await self.admin(request, secret: secret, disable: false) }
    }

    private func admin(_ request: Request, secret: AdminSecret, disable: Bool) async -> Response {
        do throws(OAuthErrorResponse) {
            let presented: String
            do throws(OAuthErrorResponse) { presented = try BearerToken.read(request.headers) } catch {
                throw Self.adminRefused
            }
            guard secret.matches(presented) else { throw Self.adminRefused }
            let body = try await TokenRequestBody.read(request, limit: configuration.maxBodyBytes)
            let username = try TokenRequestBody.required(body.username, "username")
            let user: UserRecord?
            do { user = try await service.users.user(named: username) } catch { throw OAuthErrorResponse(AuthError.storeUnavailableError) }
            guard let user else { throw OAuthErrorResponse(error: "invalid_request", description: "no such user", status: .notFound) }
            do throws(AuthError) {
                if disable {
                    let revoked = try await service.disableUser(subject: user.subject)
                    return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                                    body: .init(byteBuffer: JSONResponse.encode(DisabledBody(sessionsRevoked: revoked))))
                }
                try await service.enableUser(subject: user.subject)
                return Response(status: .noContent, headers: [.cacheControl: "no-store"])
            } catch where error.reason == .unknownUser {
                throw OAuthErrorResponse(error: "invalid_request", description: "no such user", status: .notFound)
            } catch {
                throw OAuthErrorResponse(error)
            }
        } catch {
            return error.response()
        }
    }

    static var adminRefused: OAuthErrorResponse {
        OAuthErrorResponse(error: "invalid_token", description: "the admin secret is missing or wrong", status: .unauthorized,
                           challenge: #"Bearer realm="tokenbench-admin""#)
    }
}

extension AuthError {
    static var storeUnavailableError: AuthError { AuthError(.temporarilyUnavailable, .storeUnavailable) }
}
