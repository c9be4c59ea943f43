import Testing
import TokenAuth
import TokenAuthTesting

/// The shared conformance suite (`docs/cases.md`) against the memory store.
/// The cases assert their own expectations; afterwards every family left in every store the
/// case used must be well-formed.
@Suite("Memory store conformance")
struct MemoryStoreConformanceTests {
    @Test(arguments: RefreshTokenCase.allCases)
    func conformance(_ c: RefreshTokenCase) async throws {
        let made = Locked<[MemoryRefreshTokenStore]>([])
        try await RefreshTokenStoreConformance {
            let store = MemoryRefreshTokenStore(shards: 8)
            made.withLock { $0.append(store) }
            return store
        }.run(c)
        let families = made.withLock { $0 }.flatMap { $0.snapshot() }
        #expect(!families.isEmpty, "the case stored sessions")
        for f in families {
            #expect((f.revokedAt == nil) == (f.revocationReason == nil), "revocation time and reason go together")
            #expect((f.generation == 0) == (f.previousDigest == nil), "a predecessor digest exists exactly after a rotation")
            #expect(f.issuedAt >= f.createdAt && f.expiresAt > f.createdAt)
        }
    }
}
