import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import TokenAuth

/// Settings of the HTTP layer (the token semantics are the ``AuthService``'s).
public struct ServerConfiguration: Sendable, Hashable {
    /// Address to listen on; default loopback only.
    public var host: String = "127.0.0.1"
    /// TCP port; 0 picks a free one (tests).
    public var port: Int = 8080
    /// Largest request body read, bytes (default 16 KiB); larger bodies get 413.
    public var maxBodyBytes: Int = 16 * 1024
    /// A connection that sends nothing for this long is closed, seconds (default 60 s): bounds
    /// idle keep-alive connections and clients that stall (Hummingbird's `idleTimeout`).
    public var idleTimeout: Double = 60

    public init() {}
}

/// The native HTTP API of DESIGN.md over an ``AuthService``, on Hummingbird 2:
///
/// | route | answer |
/// |---|---|
/// | `POST /oauth/token` | password and refresh_token grants, form or JSON (RFC 6749 §4.3, §6) |
/// | `POST /oauth/revoke` | RFC 7009 revocation (logout), 200 for every token |
/// | `POST /auth/logout-all` | Bearer access token → 204, every session of the user revoked |
/// | `GET /me` | Bearer access token → `{sub, sid, client_id, exp, iat, jti}` |
/// | `GET /.well-known/jwks.json` | the public keys (RFC 7517) |
/// | `GET /healthz` | liveness |
/// | `GET /metrics` | Prometheus text format |
///
/// Errors are JSON per RFC 6749 §5.2 / RFC 6750 §3 (``OAuthErrorResponse``); a store outage is
/// a 503, never a 500; bad input is a 4xx and writes nothing.
public struct TokenServer<Store: RefreshTokenStore, Users: UserDirectory>: Sendable {
    public let service: AuthService<Store, Users>
    public let configuration: ServerConfiguration
    let registry: PrometheusCollectorRegistry
    let metrics: ServerMetrics
    let logger: Logger

    /// - Parameters:
    ///   - service: the core.
    ///   - configuration: listening address and limits.
    ///   - registry: what `/metrics` renders; bootstrap `MetricsSystem` with a
    ///     `PrometheusMetricsFactory` over the same registry to see the request latencies there.
    ///   - metrics: where the server's own counters go (defaults to the bootstrapped system).
    ///   - logger: the server's logger (never given a token or a password).
    public init(service: AuthService<Store, Users>, configuration: ServerConfiguration = ServerConfiguration(),
                registry: PrometheusCollectorRegistry, metrics: any MetricsFactory = MetricsSystem.factory,
                logger: Logger = Logger(label: "tokenbench.server")) {
        self.service = service
        self.configuration = configuration
        self.registry = registry
        self.metrics = ServerMetrics(factory: metrics)
        self.logger = logger
    }

    /// The Hummingbird application; run it with `runService()` (which ends gracefully on
    /// SIGTERM and SIGINT, finishing in-flight requests) or inside a `ServiceGroup`.
    /// - Parameter onServerRunning: called with the bound port once the server listens.
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        Application(
            router: router(),
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(configuration.idleTimeout * 1e9)))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tokenbench"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// The routes (exposed for tests that drive the router without a socket).
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: JSONErrorMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.post("/oauth/token") { request, _ in await self.token(request) }
        router.post("/oauth/revoke") { request, _ in await self.revoke(request) }
        router.post("/auth/logout-all") { request, _ in await self.logoutAll(request) }
        router.get("/me") { request, _ in await self.me(request) }
        router.get("/.well-known/jwks.json") { _, _ in self.jwks() }
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: self.registry.emitToBuffer())))
        }
        return router
    }
}

/// Turns every error that escapes a route (unknown path, wrong method, anything unexpected)
/// into a JSON answer of the same shape as the endpoints' own errors.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as OAuthErrorResponse {
            return error.response()
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : error.status.code < 500 ? "invalid_request" : "server_error"
            return OAuthErrorResponse(error: code, description: error.status.reasonPhrase, status: error.status).response()
        } catch {
            context.logger.error("unexpected error in a route: \(type(of: error))")
            return OAuthErrorResponse(error: "server_error", description: "internal error", status: .internalServerError).response()
        }
    }
}
