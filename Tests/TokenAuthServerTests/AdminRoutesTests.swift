import Foundation
import Testing
import TokenAuth
import TokenAuthServer

@Suite("Disabling a user over HTTP: serve's admin routes, behind their own secret")
struct AdminRoutesTests {
    static let secret = String(repeating: "ab12", count: 16) // 64 hex-like characters

    @Test("a disabled user's refresh is refused with invalid_grant and the family revoked; wrong or missing secret is 401; enable again")
    func disableOverHTTP() async throws {
        let service = try await ServerTests.service()
        try await withServer(service, adminSecret: try AdminSecret(text: Self.secret + "\n")) { base in
            let login = try await HTTP.form(base + "/oauth/token", "grant_type=password&username=user2&password=pw-2")
            let refresh = try #require(login.json?["refresh_token"] as? String)
            let other = try await HTTP.form(base + "/oauth/token", "grant_type=password&username=user3&password=pw-3")

            // Refused without the secret, with a wrong one, with a refresh token as the secret: nothing changes.
            for headers in [[], [("Authorization", "Bearer " + String(repeating: "x", count: 64))], [("Authorization", "Bearer \(refresh)")],
                            [("Authorization", "Basic " + Self.secret)]] {
                let r = try await HTTP.form(base + "/admin/users/disable", "username=user2", headers: headers)
                #expect(r.status == 401, "\(headers.map(\.0)): \(r.body)")
                #expect(r.headers["WWW-Authenticate"].first?.contains("tokenbench-admin") == true)
            }
            let stillAlive = try await HTTP.form(base + "/oauth/token", "grant_type=refresh_token&refresh_token=\(refresh)")
            #expect(stillAlive.status == 200, "a refused admin call changes nothing")
            let current = try #require(stillAlive.json?["refresh_token"] as? String)

            let auth = [("Authorization", "Bearer \(Self.secret)")]
            let unknown = try await HTTP.form(base + "/admin/users/disable", "username=nobody", headers: auth)
            #expect(unknown.status == 404)
            let missing = try await HTTP.form(base + "/admin/users/disable", "user=user2", headers: auth)
            #expect(missing.status == 400 && missing.error == "invalid_request")

            let disabled = try await HTTP.form(base + "/admin/users/disable", "username=user2", headers: auth)
            #expect(disabled.status == 200, "\(disabled.body)")
            #expect(disabled.json?["sessions_revoked"] as? Int == 1)
            let refused = try await HTTP.form(base + "/oauth/token", "grant_type=refresh_token&refresh_token=\(current)")
            #expect(refused.status == 400)
            #expect(refused.error == "invalid_grant")
            let relogin = try await HTTP.form(base + "/oauth/token", "grant_type=password&username=user2&password=pw-2")
            #expect(relogin.status == 400 && relogin.error == "invalid_grant", "a disabled user cannot log in")
            let bystander = try await HTTP.form(base + "/oauth/token",
                                                "grant_type=refresh_token&refresh_token=\(try #require(other.json?["refresh_token"] as? String))")
            #expect(bystander.status == 200, "other users untouched")

            let enabled = try await HTTP.form(base + "/admin/users/enable", "username=user2", headers: auth)
            #expect(enabled.status == 204)
            let back = try await HTTP.form(base + "/oauth/token", "grant_type=password&username=user2&password=pw-2")
            #expect(back.status == 200)
            let old = try await HTTP.form(base + "/oauth/token", "grant_type=refresh_token&refresh_token=\(current)")
            #expect(old.status == 400, "sessions revoked while disabled stay revoked")
        }
    }

    @Test("a user disabled in the directory behind the server's back: the next refresh is refused and revokes the family")
    func disabledInDirectory() async throws {
        let service = try await ServerTests.service()
        try await withServer(service) { base in
            let login = try await HTTP.form(base + "/oauth/token", "grant_type=password&username=user4&password=pw-4")
            let refresh = try #require(login.json?["refresh_token"] as? String)
            #expect(try await service.users.setDisabled(true, subject: "user4"))
            let refused = try await HTTP.form(base + "/oauth/token", "grant_type=refresh_token&refresh_token=\(refresh)")
            #expect(refused.status == 400 && refused.error == "invalid_grant")
            let sid = try sessionID(login)
            let id = try #require(FamilyID(string: sid))
            #expect(try await service.store.family(id)?.revocationReason == .userDisabled)
        }
    }

    @Test("without a secret the admin routes do not exist (404); a short or malformed secret is refused")
    func offByDefault() async throws {
        try await withServer(try await ServerTests.service()) { base in
            let r = try await HTTP.form(base + "/admin/users/disable", "username=user1", headers: [("Authorization", "Bearer \(Self.secret)")])
            #expect(r.status == 404)
        }
        #expect(throws: ConfigurationError.self) { try AdminSecret(text: "short") }
        #expect(throws: ConfigurationError.self) { try AdminSecret(text: String(repeating: "é", count: 40)) }
        #expect(throws: ConfigurationError.self) { try AdminSecret(file: "/nonexistent/admin.secret") }
        #expect("\(try AdminSecret(text: Self.secret))" == "AdminSecret(redacted)")
    }

    /// The `sid` of a login answer's access token.
    func sessionID(_ login: Reply) throws -> String {
        let access = try #require(login.json?["access_token"] as? String)
        let payload = String(access.split(separator: ".")[1])
        var b64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        let data = try #require(Data(base64Encoded: b64))
        let claims = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(claims["sid"] as? String)
    }
}
