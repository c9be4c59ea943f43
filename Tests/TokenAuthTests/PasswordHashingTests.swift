import Testing
import TokenAuth
import TokenAuthTesting

@Suite("Password hashing")
struct PasswordHashingTests {
    @Test("argon2id: PHC string with the configured cost; verifies the password and nothing else")
    func argon2id() throws {
        let hashing = try PasswordHashing(.argon2id(memoryKiB: 64, iterations: 1, parallelism: 1))
        let phc = try hashing.hash("correct horse")
        #expect(phc.hasPrefix("$argon2id$v=19$m=64,t=1,p=1$"))
        #expect(phc.split(separator: "$").count == 5)
        #expect(hashing.verify("correct horse", against: phc))
        #expect(!hashing.verify("correct horsf", against: phc))
        #expect(try hashing.hash("correct horse") != phc, "fresh salt each time")
    }

    @Test("bcrypt: modular-crypt string with the configured cost")
    func bcrypt() throws {
        let hashing = try PasswordHashing(.bcrypt(cost: 4))
        let hash = try hashing.hash("hunter2")
        #expect(hash.hasPrefix("$2b$04$"))
        #expect(hashing.verify("hunter2", against: hash))
        #expect(!hashing.verify("hunter3", against: hash))
    }

    @Test("bcrypt never truncates: a 73-byte password is refused, and cannot match its 72-byte prefix")
    func bcryptLongPassword() throws {
        let hashing = try PasswordHashing(.bcrypt(cost: 4))
        let prefix = String(repeating: "p", count: 72)
        #expect(throws: PasswordHashingError(.tooLong)) { try hashing.hash(prefix + "x") }
        let hash = try hashing.hash(prefix)
        #expect(hashing.verify(prefix, against: hash))
        #expect(!hashing.verify(prefix + "x", against: hash), "bcrypt alone would accept this")
    }

    @Test("bcrypt refuses NUL bytes, which would end its C string early")
    func bcryptNul() throws {
        let hashing = try PasswordHashing(.bcrypt(cost: 4))
        #expect(throws: PasswordHashingError(.invalidCharacter)) { try hashing.hash("abc\u{0}def") }
        let hash = try hashing.hash("abc")
        #expect(!hashing.verify("abc\u{0}def", against: hash))
    }

    @Test("either hasher verifies hashes of the other algorithm (migration)")
    func crossAlgorithm() throws {
        let argon = try PasswordHashing(.argon2id(memoryKiB: 64, iterations: 1, parallelism: 1))
        let bcrypt = try PasswordHashing(.bcrypt(cost: 4))
        #expect(argon.verify("pw", against: try bcrypt.hash("pw")))
        #expect(bcrypt.verify("pw", against: try argon.hash("pw")))
        #expect(!argon.verify("pw", against: "$unknown$format"))
        #expect(!argon.verify("pw", against: "$argon2id$v=19$garbage"))
    }

    @Test(arguments: [
        PasswordHashing.Algorithm.bcrypt(cost: 3), .bcrypt(cost: 32),
        .argon2id(memoryKiB: 4, iterations: 1, parallelism: 1),
        .argon2id(memoryKiB: 64, iterations: 0, parallelism: 1),
        .argon2id(memoryKiB: 64, iterations: 1, parallelism: 0),
    ])
    func costOutOfRange(_ algorithm: PasswordHashing.Algorithm) {
        #expect(throws: ConfigurationError.self) { try PasswordHashing(algorithm) }
    }

    @Test("login refuses an over-long password before hashing, and a NUL byte")
    func loginLimits() async throws {
        let (service, _) = try await makeService { $0.maxPasswordBytes = 100 }
        let long = await authError { () async throws(AuthError) in
            try await service.login(username: "user1", password: String(repeating: "a", count: 101))
        }
        #expect(long == AuthError(.invalidRequest, .passwordTooLong))
        let nul = await authError { () async throws(AuthError) in try await service.login(username: "user1", password: "pw-1\u{0}") }
        #expect(nul == AuthError(.invalidRequest, .passwordInvalidCharacter))
        let empty = await authError { () async throws(AuthError) in try await service.login(username: "", password: "pw-1") }
        #expect(empty == AuthError(.invalidRequest, .missingParameter))
    }

    @Test("synthetic users: user0 … user{N-1} with password pw-{n}, nothing else")
    func syntheticUsers() async throws {
        let users = InMemoryUserDirectory(hashing: try PasswordHashing(.bcrypt(cost: 4)), syntheticUsers: 100)
        #expect(try await users.user(named: "user0")?.subject == "user0")
        #expect(try await users.user(named: "user99")?.username == "user99")
        #expect(try await users.user(named: "user100") == nil)
        #expect(try await users.user(named: "user01") == nil)
        #expect(try await users.user(named: "user-1") == nil)
        #expect(try await users.user(named: "user") == nil)
        let record = try #require(try await users.user(named: "user42"))
        #expect(try PasswordHashing(.bcrypt(cost: 4)).verify("pw-42", against: record.passwordHash))
        #expect(try await users.user(named: "user42") == record, "made once, then cached")
    }
}
