import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import ServiceLifecycle
import Synchronization
import TokenAuth
import TokenAuthServer

/// Runs a ``TokenServer`` on an ephemeral loopback port for the length of `body`, then shuts it
/// down gracefully.
func withServer<Store: RefreshTokenStore, Users: UserDirectory>(
    _ service: AuthService<Store, Users>, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    maxBodyBytes: Int = 16 * 1024, adminSecret: AdminSecret? = nil,
    _ body: @Sendable (_ base: String) async throws -> Void
) async throws {
    var configuration = ServerConfiguration()
    configuration.port = 0
    configuration.maxBodyBytes = maxBodyBytes
    configuration.adminSecret = adminSecret
    let server = TokenServer(service: service, configuration: configuration, registry: registry,
                             metrics: PrometheusMetricsFactory(registry: registry), logger: quietLogger)
    try await withRunning({ onPort in try server.application(onServerRunning: onPort) }) { port in
        try await body("http://127.0.0.1:\(port)")
    }
}

/// Runs a Hummingbird application with `router` on an ephemeral loopback port for the length
/// of `body` (servers of other shapes than ours, for the driver's tests).
func withRouter(_ router: Router<BasicRequestContext>, server: HTTPServerBuilder = .http1(),
                _ body: (_ port: Int) async throws -> Void) async throws {
    try await withRunning({ onPort in
        Application(router: router, server: server, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                    onServerRunning: { await onPort($0.localAddress?.port ?? 0) }, logger: quietLogger)
    }, body)
}

/// Starts the service `make` builds, waits for the port it reports, runs `body`, then shuts the
/// service down gracefully, also when `body` throws.
func withRunning<S: Service>(_ make: (_ onPort: @escaping @Sendable (Int) async -> Void) throws -> S,
                             _ body: (_ port: Int) async throws -> Void) async throws {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let service = try make { continuation.yield($0) }
    let group = ServiceGroup(configuration: .init(services: [service], logger: quietLogger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        do {
            try await body(port)
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// One HTTP answer, read whole.
struct Reply: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: String
    /// The JSON object of the body, if it is one.
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
    var error: String? { json?["error"] as? String }
}

/// A small HTTP client for tests (async-http-client, one shared pool).
enum HTTP {
    static let client = HTTPClient(eventLoopGroupProvider: .singleton)

    static func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil,
                     bytes: ByteBuffer? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        if let bytes { request.body = .bytes(bytes) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let buffer = try await response.body.collect(upTo: 4 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: buffer))
    }

    static func form(_ url: String, _ body: String, headers: [(String, String)] = []) async throws -> Reply {
        try await send(.POST, url, headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers, body: body)
    }
}

/// A deliberate fault, not a mock of a backend: a real memory store behind a switch that makes
/// every call fail with `StoreError.unavailable` while it is off, as a store whose server has
/// stopped would. Used for case X2's HTTP face (503, recovery).
final class SwitchableOutageStore: RefreshTokenStore {
    let base = MemoryRefreshTokenStore()
    private let down = Atomic<Bool>(false)

    func setDown(_ value: Bool) { down.store(value, ordering: .sequentiallyConsistent) }

    private func check() throws(StoreError) {
        if down.load(ordering: .sequentiallyConsistent) { throw StoreError(.unavailable, "store stopped (test fault)") }
    }

    func create(_ family: RefreshFamily) async throws(StoreError) { try check(); try await base.create(family) }
    func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily? { try check(); return try await base.family(id) }
    func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome { try check(); return try await base.rotate(request) }
    func revoke(_ id: FamilyID, at now: Date, reason: RefreshFamily.RevocationReason) async throws(StoreError) -> Bool {
        try check(); return try await base.revoke(id, at: now, reason: reason)
    }
    func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int { try check(); return try await base.revokeAll(subject: subject, at: now) }
    func purgeExpired(asOf now: Date) async throws(StoreError) -> Int { try check(); return try await base.purgeExpired(asOf: now) }
}
