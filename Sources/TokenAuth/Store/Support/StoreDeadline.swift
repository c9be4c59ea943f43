/// Runs a store operation with a deadline, so that a server that stopped answering gives
/// ``StoreError/Code/unavailable`` after `seconds` instead of a request that hangs (DESIGN.md:
/// fail closed; case X2). The operation is cancelled when the deadline passes.
/// - Parameters:
///   - seconds: the deadline, s.
///   - what: names the operation in the error.
///   - body: the operation; its errors are passed through.
/// - Throws: the body's error, or ``StoreError`` `.unavailable` at the deadline.
public func withStoreDeadline<R: Sendable>(
    _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> R
) async throws -> R {
    try await withThrowingTaskGroup(of: R?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw StoreError(.unavailable, "\(what): no answer within \(seconds) s")
        }
        return value
    }
}
