import Testing
import Foundation
@testable import TokenAuth

@Suite("Refresh-token codec")
struct RefreshTokenCodecTests {
    let codec = try! RefreshTokenCodec(secret: Array(repeating: UInt8(42), count: 32))

    @Test(arguments: [UInt64(0), 1, 2, 1_000_000, UInt64.max])
    func roundTrip(generation: UInt64) throws {
        let family = FamilyID.random(using: SystemRandomSource())
        let minted = codec.mint(family: family, generation: generation)
        #expect(minted.token.utf8.count == 76)
        #expect(minted.token.utf8.allSatisfy { $0 == 0x2D || $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) })
        let parsed = try #require(codec.parse(minted.token))
        #expect(parsed.family == family)
        #expect(parsed.generation == generation)
        #expect(parsed.digest == minted.digest)
    }

    @Test("the same (family, generation) always gives the same token: successors are derivable")
    func deterministic() {
        let family = FamilyID(rawValue: 12345)
        #expect(codec.mint(family: family, generation: 3).token == codec.mint(family: family, generation: 3).token)
        #expect(codec.mint(family: family, generation: 3).token != codec.mint(family: family, generation: 4).token)
    }

    @Test("a token MACed with another secret is not ours")
    func otherSecret() throws {
        let other = try RefreshTokenCodec(secret: Array(repeating: UInt8(43), count: 32))
        let token = other.mint(family: FamilyID(rawValue: 1), generation: 0).token
        #expect(codec.parse(token) == nil)
        #expect(other.parse(token)?.generation == 0)
    }

    @Test("every single-character change is detected")
    func everyCharacter() {
        let token = codec.mint(family: FamilyID(rawValue: 99), generation: 7).token
        var chars = Array(token)
        for i in chars.indices {
            let original = chars[i]
            chars[i] = original == "Q" ? "R" : "Q"
            #expect(codec.parse(String(chars)) == nil, "position \(i)")
            chars[i] = original
        }
        #expect(codec.parse(String(chars)) != nil)
    }

    @Test("characters outside the base64url alphabet are refused, even where they would decode alike")
    func alphabet() {
        let token = codec.mint(family: FamilyID(rawValue: 5), generation: 1).token
        for (from, to) in [("-", "+"), ("_", "/")] where token.contains(from) {
            #expect(codec.parse(token.replacingOccurrences(of: from, with: to)) == nil)
        }
        #expect(codec.parse(String(token.dropLast()) + "=") == nil)
        #expect(codec.parse(String(token.dropLast()) + "\u{e9}") == nil)
        var standard = Array(token)
        standard[3] = "+"
        #expect(codec.parse(String(standard)) == nil)
        standard[3] = "/"
        #expect(codec.parse(String(standard)) == nil)
    }

    @Test("a short secret is refused")
    func shortSecret() {
        #expect(throws: ConfigurationError(setting: "refreshTokenSecret", accepted: "at least 32 bytes")) {
            try RefreshTokenCodec(secret: Array(repeating: UInt8(1), count: 31))
        }
    }

    @Test func familyIDString() throws {
        let id = FamilyID.random(using: SeededRandomSource(seed: 1))
        #expect(id.string.utf8.count == 22)
        #expect(FamilyID(string: id.string) == id)
        #expect(FamilyID(string: id.string + "A") == nil)
        #expect(FamilyID(string: "!!!!!!!!!!!!!!!!!!!!!!") == nil)
    }
}

@Suite("Access-token JSON writer")
struct AccessTokenJSONTests {
    @Test(arguments: [Int64(0), 7, -7, 1_767_225_600, Int64.max, Int64.min])
    func integers(_ value: Int64) {
        var out: [UInt8] = []
        AccessTokenJSON.appendInteger(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == String(value))
    }

    @Test("claims written directly decode to the same claims with Foundation's JSONDecoder")
    func roundTrip() throws {
        var rng = SplitMixForTests(seed: 9)
        for _ in 0..<200 {
            let scalars = (0..<Int(rng.next() % 12)).map { _ in
                Character(UnicodeScalar(UInt8(rng.next() % 128)))
            }
            let text = String(scalars) + "✓"
            let claims = AccessTokenClaims(iss: text, sub: text, aud: [text, "b"], exp: Int64(bitPattern: rng.next()),
                                           iat: 12, nbf: rng.next() % 2 == 0 ? nil : -5, jti: text, sid: "s", clientID: text)
            let decoded = try JSONDecoder().decode(AccessTokenClaims.self, from: Data(AccessTokenJSON.claims(claims)))
            #expect(decoded == claims)
        }
    }
}

struct SplitMixForTests {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
