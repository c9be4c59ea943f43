import Foundation
import Hummingbird
import TokenAuth

/// The RFC 6749 §5.1 token response.
struct TokenResponseBody: Encodable {
    var accessToken: String
    var tokenType = "Bearer"
    var expiresIn: Int
    var refreshToken: String

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
        case refreshToken = "refresh_token"
    }
}

extension TokenResponseBody: DirectJSONBody {
    /// `{"access_token":…,"token_type":"Bearer","expires_in":…,"refresh_token":…}` (RFC 6749 §5.1).
    func writeJSON(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"access_token":"#.utf8)
        JSONText.appendString(accessToken, to: &out)
        out.append(contentsOf: #","token_type":"#.utf8)
        JSONText.appendString(tokenType, to: &out)
        out.append(contentsOf: #","expires_in":"#.utf8)
        JSONText.appendInteger(Int64(expiresIn), to: &out)
        out.append(contentsOf: #","refresh_token":"#.utf8)
        JSONText.appendString(refreshToken, to: &out)
        out.append(UInt8(ascii: "}"))
    }
}

extension MeBody: DirectJSONBody {
    func writeJSON(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"sub":"#.utf8)
        JSONText.appendString(sub, to: &out)
        out.append(contentsOf: #","sid":"#.utf8)
        JSONText.appendString(sid, to: &out)
        if let clientID {
            out.append(contentsOf: #","client_id":"#.utf8)
            JSONText.appendString(clientID, to: &out)
        }
        out.append(contentsOf: #","exp":"#.utf8)
        JSONText.appendInteger(exp, to: &out)
        out.append(contentsOf: #","iat":"#.utf8)
        JSONText.appendInteger(iat, to: &out)
        out.append(contentsOf: #","jti":"#.utf8)
        JSONText.appendString(jti, to: &out)
        out.append(UInt8(ascii: "}"))
    }
}

/// What `GET /me` answers: the verified claims that identify the caller.
struct MeBody: Encodable {
    var sub: String
    var sid: String
    var clientID: String?
    var exp: Int64
    var iat: Int64
    var jti: String

    enum CodingKeys: String, CodingKey {
        case sub, sid, exp, iat, jti
        case clientID = "client_id"
    }
}

extension TokenServer {
    /// `POST /oauth/token`: `grant_type=password` (username, password, optional client_id) or
    /// `grant_type=refresh_token` (refresh_token) (RFC 6749 §4.3.2, §6).
    func token(_ request: Request) async -> Response {
        do throws(OAuthErrorResponse) {
            let body = try await TokenRequestBody.read(request, limit: configuration.maxBodyBytes)
            let grant = try TokenRequestBody.required(body.grantType, "grant_type")
            let pair: TokenPair
            switch grant {
            case "password":
                let username = try TokenRequestBody.required(body.username, "username")
                let password = try TokenRequestBody.required(body.password, "password")
                if let client = body.clientID, client.utf8.count > 256 { throw .invalidRequest("client_id longer than 256 bytes") }
                do throws(AuthError) {
                    pair = try await service.login(username: username, password: password, clientID: body.clientID)
                } catch {
                    metrics.failed(error, endpoint: "token")
                    throw OAuthErrorResponse(error)
                }
            case "refresh_token":
                let token = try TokenRequestBody.required(body.refreshToken, "refresh_token")
                do throws(AuthError) {
                    pair = try await service.refresh(refreshToken: token)
                    metrics.refreshSucceeded()
                } catch {
                    metrics.refreshRefused(error)
                    metrics.failed(error, endpoint: "token")
                    throw OAuthErrorResponse(error)
                }
            default:
                throw OAuthErrorResponse(error: "unsupported_grant_type",
                                         description: "grant_type must be password or refresh_token", status: .badRequest)
            }
            let answer = TokenResponseBody(accessToken: pair.accessToken, expiresIn: pair.expiresIn, refreshToken: pair.refreshToken)
            return Response(status: .ok,
                            headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: JSONResponse.direct(answer)))
        } catch {
            return error.response()
        }
    }

    /// `POST /oauth/revoke` (RFC 7009 §2): `token=` a refresh token or an access token; revokes
    /// its session. 200 for unknown, malformed and already revoked tokens too (§2.2); 503 when
    /// the store is unreachable (§2.2.1 lets the client retry).
    func revoke(_ request: Request) async -> Response {
        do throws(OAuthErrorResponse) {
            let body = try await TokenRequestBody.read(request, limit: configuration.maxBodyBytes)
            let token = try TokenRequestBody.required(body.token, "token")
            do throws(AuthError) {
                _ = try await service.revoke(token: token)
            } catch {
                metrics.failed(error, endpoint: "revoke")
                throw OAuthErrorResponse(error)
            }
            return Response(status: .ok, headers: [.cacheControl: "no-store"])
        } catch {
            return error.response()
        }
    }

    /// `POST /auth/logout-all`: revokes every session of the access token's user; 204.
    func logoutAll(_ request: Request) async -> Response {
        do throws(OAuthErrorResponse) {
            let claims = try await authenticate(request, endpoint: "logout_all")
            do throws(AuthError) {
                _ = try await service.revokeAll(subject: claims.sub)
            } catch {
                metrics.failed(error, endpoint: "logout_all")
                throw OAuthErrorResponse(error)
            }
            return Response(status: .noContent, headers: [.cacheControl: "no-store"])
        } catch {
            return error.response()
        }
    }

    /// `GET /me`: the protected resource.
    func me(_ request: Request) async -> Response {
        do throws(OAuthErrorResponse) {
            let c = try await authenticate(request, endpoint: "me")
            let body = MeBody(sub: c.sub, sid: c.sid, clientID: c.clientID, exp: c.exp, iat: c.iat, jti: c.jti)
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: JSONResponse.direct(body)))
        } catch {
            return error.response()
        }
    }

    /// `GET /.well-known/jwks.json`: public keys that verify now (RFC 7517 §5).
    func jwks() -> Response {
        guard let json = try? service.keys.jwksJSON(at: service.clock.now) else {
            return OAuthErrorResponse(error: "server_error", description: "key set unavailable", status: .serviceUnavailable).response()
        }
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "max-age=60"],
                        body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }

    private func authenticate(_ request: Request, endpoint: String) async throws(OAuthErrorResponse) -> AccessTokenClaims {
        let token = try BearerToken.read(request.headers)
        do throws(AuthError) {
            return try await service.authenticate(accessToken: token)
        } catch {
            metrics.failed(error, endpoint: endpoint)
            throw OAuthErrorResponse(error)
        }
    }
}
