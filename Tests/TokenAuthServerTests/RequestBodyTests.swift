import Foundation
import Hummingbird
import Testing
import TokenAuth
@testable import TokenAuthServer

/// The token endpoint's own form reader and JSON writers, against the libraries they replaced
/// on the hot path: Hummingbird's `URLEncodedFormDecoder` and Foundation's `JSONEncoder`.
@Suite("Token request bodies and answers: the direct reader and writers decide as the libraries")
struct RequestBodyTests {
    /// Hummingbird's decoding of the same body (the reference), or nil when it refuses.
    func reference(_ text: String) -> TokenRequestBody? {
        try? URLEncodedFormDecoder().decode(TokenRequestBody.self, from: text)
    }

    func ours(_ text: String) -> TokenRequestBody? {
        try? Array(text.utf8).withUnsafeBytes { raw throws(OAuthErrorResponse) in try TokenRequestBody.form(raw) }
    }

    func same(_ a: TokenRequestBody?, _ b: TokenRequestBody?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case let (a?, b?):
            a.grantType == b.grantType && a.username == b.username && a.password == b.password && a.refreshToken == b.refreshToken
                && a.clientID == b.clientID && a.scope == b.scope && a.token == b.token && a.tokenTypeHint == b.tokenTypeHint
        default: false
        }
    }

    @Test("crafted forms: the same parameters as Hummingbird's decoder, or both refuse",
          arguments: [
            "grant_type=refresh_token&refresh_token=AbC-_09",
            "grant_type=password&username=user1&password=pw-1&client_id=web",
            "username=a+b&password=%41%2B%20%C3%A9&grant_type=password",
            "%67rant_type=password&username=x",
            "grant_type=refresh_token&refresh_token=a&refresh_token=b",
            "grant_type=password&grant_type=password",
            "token=t&token_type_hint=refresh_token",
            "grant_type=password&username=&password=x",
            "grant_type=password&unknown=1&other=%7E",
            "grant_type=password&password=%zz",
            "grant_type=password&password=%4",
            "grant_type=password&password=%FF",
            "",
            "scope=a%20b",
          ])
    func crafted(_ text: String) {
        #expect(same(ours(text), reference(text)), "\(text)")
    }

    @Test("a pair without '=' is a name with an empty value (WHATWG URL §5.1); Hummingbird's decoder drops it (found by the form-body fuzz target)")
    func pairWithoutEquals() {
        let text = "grant_type=password&username=user1&password=pw-1&client_id&&"
        #expect(ours(text)?.clientID == "")
        #expect(ours(text)?.password == "pw-1")
        #expect(reference(text)?.clientID == nil, "Hummingbird's decoder, for the record")
        #expect(ours("client_id&client_id=web") == nil, "still a name given twice")
    }

    @Test("a combining mark after '&' does not hide the separator: the reader splits bytes (WHATWG URL §5.1), Hummingbird's decoder Characters (found by the form-body fuzz target)")
    func combiningMarkAfterSeparator() {
        let text = "grant_type=password&username=user1&password=pw-1&\u{0322}x=1&client_id=web"
        #expect(ours(text)?.password == "pw-1")
        #expect(ours(text)?.clientID == "web")
        #expect(reference(text)?.password != "pw-1", "Hummingbird's decoder, for the record: '&\u{0322}' is one Character")
    }

    @Test("the reader refuses a body that is not UTF-8 and a name given twice, with invalid_request")
    func refusals() {
        for bytes: [UInt8] in [Array("grant_type=pass".utf8) + [0xFF], Array("a=1&a=2".utf8)] {
            do {
                _ = try bytes.withUnsafeBytes { raw throws(OAuthErrorResponse) in try TokenRequestBody.form(raw) }
                Issue.record("accepted \(bytes)")
            } catch {
                #expect((error as? OAuthErrorResponse)?.error == "invalid_request")
            }
        }
    }

    @Test("5,000 random forms of token-request parameters: the same values as Hummingbird's decoder")
    func random() {
        var rng = SystemRandomNumberGenerator()
        let names = ["grant_type", "username", "password", "refresh_token", "client_id", "scope", "token", "x", "y"]
        let alphabet = Array("abcXYZ019-_.~+%20%2B%C3%A9 ")
        for _ in 0..<5_000 {
            let pairs = (0..<Int.random(in: 1...5, using: &rng)).map { _ -> String in
                let name = names.randomElement(using: &rng)!
                let value = String((0..<Int.random(in: 0...8, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
                    .replacingOccurrences(of: " ", with: "+")
                return "\(name)=\(value)"
            }
            let text = pairs.joined(separator: "&")
            #expect(same(ours(text), reference(text)), "\(text)")
        }
    }

    @Test("the token answer and the resource answer: the same JSON values as JSONEncoder's, for strings that need escaping")
    func answers() throws {
        for s in ["eyJhbGciOi.x.y", "q\"uote\\back\nline\u{01}", "é€😀", ""] {
            let answer = TokenResponseBody(accessToken: s, expiresIn: 300, refreshToken: s + "r")
            let direct = Data(JSONResponse.direct(answer).readableBytesView)
            let reference = try JSONEncoder().encode(answer)
            #expect(try JSONSerialization.jsonObject(with: direct) as? NSDictionary == JSONSerialization.jsonObject(with: reference) as? NSDictionary, "\(s)")
            for clientID in [nil, s] {
                let me = MeBody(sub: s, sid: "sid", clientID: clientID, exp: -5, iat: Int64.max, jti: s)
                let a = try JSONSerialization.jsonObject(with: Data(JSONResponse.direct(me).readableBytesView)) as? NSDictionary
                let b = try JSONSerialization.jsonObject(with: JSONEncoder().encode(me)) as? NSDictionary
                #expect(a == b, "\(s)")
            }
        }
    }
}
