import Testing
import TokenAuth
import TokenAuthTesting

/// The shared conformance suite (shared/cases/refresh-token-cases.md) against the memory store.
@Suite("Memory store conformance")
struct MemoryStoreConformanceTests {
    @Test(arguments: RefreshTokenCase.allCases)
    func conformance(_ c: RefreshTokenCase) async throws {
        try await RefreshTokenStoreConformance { MemoryRefreshTokenStore(shards: 8) }.run(c)
    }
}
