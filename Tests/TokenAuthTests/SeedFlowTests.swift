import Testing
import TokenAuth
import TokenAuthTesting

/// The six steps of the seed's flow (docs/design.md, "The flow").
@Suite("Seed flow")
struct SeedFlowTests {
    @Test("1 log in: valid credentials give an access token and a refresh token")
    func login() async throws {
        let (service, _) = try await makeService()
        let pair = try await service.login(username: "user7", password: "pw-7")
        #expect(pair.subject == "user7")
        #expect(pair.tokenType == "Bearer")
        #expect(pair.expiresIn == 60)
        #expect(pair.accessToken.split(separator: ".").count == 3, "the access token is a JWS")
        #expect(pair.refreshToken.utf8.count == RefreshTokenCodec.encodedLength, "the refresh token is opaque")
        let wrong = await authError { () async throws(AuthError) in try await service.login(username: "user7", password: "pw-8") }
        #expect(wrong == AuthError(.invalidGrant, .badCredentials))
        let unknown = await authError { () async throws(AuthError) in try await service.login(username: "mallory", password: "pw-7") }
        #expect(unknown == AuthError(.invalidGrant, .badCredentials))
    }

    @Test("2 use a resource: a valid access token is allowed")
    func useResource() async throws {
        let (service, _) = try await makeService()
        let pair = try await service.login(username: "user1", password: "pw-1")
        let claims = try await service.authenticate(accessToken: pair.accessToken)
        #expect(claims.sub == "user1")
        #expect(claims.sid == pair.sessionID.string)
        #expect(claims.iss == "tokenbench")
        #expect(claims.aud == ["tokenbench-api"])
        #expect(claims.exp - claims.iat == 60)
    }

    @Test("3 access token expires: the client must refresh")
    func accessTokenExpires() async throws {
        let (service, clock) = try await makeService { $0.leeway = 0 }
        let pair = try await service.login(username: "user1", password: "pw-1")
        clock.advance(by: 61)
        let error = await authError { () async throws(AuthError) in try await service.authenticate(accessToken: pair.accessToken) }
        #expect(error == AuthError(.invalidToken, .tokenExpired))
    }

    @Test("4 refresh: the refresh token is verified")
    func refreshVerifies() async throws {
        let (service, clock) = try await makeService()
        let pair = try await service.login(username: "user1", password: "pw-1")
        clock.advance(by: 61)
        let next = try await service.refresh(refreshToken: pair.refreshToken)
        #expect(next.sessionID == pair.sessionID)
        let forged = await authError { () async throws(AuthError) in
            try await service.refresh(refreshToken: String(pair.refreshToken.reversed()))
        }
        #expect(forged == AuthError(.invalidGrant, .malformedToken))
    }

    @Test("5 refresh valid: a new access token and a rotated refresh token")
    func refreshValid() async throws {
        let (service, clock) = try await makeService()
        let pair = try await service.login(username: "user1", password: "pw-1")
        clock.advance(by: 61)
        let next = try await service.refresh(refreshToken: pair.refreshToken)
        #expect(next.refreshToken != pair.refreshToken, "rotated")
        #expect(next.accessToken != pair.accessToken)
        #expect(try await service.authenticate(accessToken: next.accessToken).sub == "user1")
        #expect(next.expiresIn == 60)
    }

    @Test("6 refresh invalid: rejected; the client must log in again")
    func refreshInvalid() async throws {
        let (service, _) = try await makeService()
        let pair = try await service.login(username: "user1", password: "pw-1")
        try await service.revoke(token: pair.refreshToken)
        let error = await authError { () async throws(AuthError) in try await service.refresh(refreshToken: pair.refreshToken) }
        #expect(error?.code == .invalidGrant)
        let again = try await service.login(username: "user1", password: "pw-1")
        #expect(again.sessionID != pair.sessionID, "a new login opens a new session")
    }

    @Test("refresh tokens never open a resource; access tokens never refresh")
    func noConfusion() async throws {
        let (service, _) = try await makeService()
        let pair = try await service.login(username: "user1", password: "pw-1")
        #expect(await authError { () async throws(AuthError) in try await service.authenticate(accessToken: pair.refreshToken) }?.code == .invalidToken)
        #expect(await authError { () async throws(AuthError) in try await service.refresh(refreshToken: pair.accessToken) }?.code == .invalidGrant)
    }
}
