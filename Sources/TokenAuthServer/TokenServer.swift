import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import Metrics
import Prometheus
import TokenAuth

/// Settings of the HTTP layer (the token semantics are the ``AuthService``'s).
public struct ServerConfiguration: Sendable {
    /// Address to listen on; default loopback only.
    public var host: String = "127.0.0.1"
    /// TCP port; 0 picks a free one (tests).
    public var port: Int = 8080
    /// Largest request body read, bytes (default 16 KiB); larger bodies get 413.
    public var maxBodyBytes: Int = 16 * 1024
    /// A connection that sends nothing for this long is closed, seconds (default 60 s): bounds
    /// idle keep-alive connections and clients that stall (Hummingbird's `idleTimeout`).
    public var idleTimeout: Double = 60
    /// Turns on the administration routes (`/admin/users/disable`, `/admin/users/enable`)
    /// behind this secret; `nil` (default): they do not exist.
    public var adminSecret: AdminSecret?

    public init() {}
}

/// The native HTTP API of docs/serve.md over an ``AuthService``, on Hummingbird 2:
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
/// | `POST /admin/users/disable`, `/admin/users/enable` | only with ``ServerConfiguration/adminSecret``: disable a user (every session revoked) or enable it again |
///
/// Errors are JSON per RFC 6749 §5.2 / RFC 6750 §3 (``OAuthErrorResponse``); a store outage is
/// a 503, never a 500; bad input is a 4xx and writes nothing.
public struct TokenServer<Store: RefreshTokenStore, Users: UserDirectory>: Sendable {
    public let service: AuthService<Store, Users>
    public let configuration: ServerConfiguration
    let registry: PrometheusCollectorRegistry
    let metrics: ServerMetrics
    let logger: Logger
    /// HTTPS: the server's certificate chain and key (Hummingbird's TLS support, swift-nio-ssl).
    let tls: TLSConfiguration?
    /// Called before each `/metrics` answer is rendered: brings sampled values (the process
    /// metrics `tokenbench serve` reads from `/proc`) up to date in ``registry``.
    let collect: @Sendable () -> Void

    /// - Parameters:
    ///   - service: the core.
    ///   - configuration: listening address and limits.
    ///   - registry: what `/metrics` renders; bootstrap `MetricsSystem` with a
    ///     `PrometheusMetricsFactory` over the same registry to see the request latencies there.
    ///   - metrics: where the server's own counters go (defaults to the bootstrapped system).
    ///   - logger: the server's logger (never given a token or a password).
    ///   - tls: serve HTTPS with this configuration (``tlsConfiguration(certificateFile:keyFile:)``).
    ///   - collect: called before each `/metrics` answer is rendered, to update sampled values
    ///     in `registry` (e.g. process metrics).
    public init(service: AuthService<Store, Users>, configuration: ServerConfiguration = ServerConfiguration(),
                registry: PrometheusCollectorRegistry, metrics: any MetricsFactory = MetricsSystem.factory,
                logger: Logger = Logger(label: "tokenbench.server"), tls: TLSConfiguration? = nil,
                collect: @escaping @Sendable () -> Void = {}) {
        self.service = service
        self.configuration = configuration
        self.registry = registry
        self.metrics = ServerMetrics(factory: metrics)
        self.logger = logger
        self.tls = tls
        self.collect = collect
    }

    /// A TLS server configuration from PEM files: the certificate chain (leaf first) and its
    /// private key, TLS 1.2 or later.
    /// - Throws: ``TLSFileError`` naming the file that cannot be read, or a key that does not
    ///   match the certificate.
    public static func tlsConfiguration(certificateFile: String, keyFile: String) throws(TLSFileError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificateFile) } catch {
            throw TLSFileError(flag: "--tls-cert", reason: "a readable PEM certificate chain ('\(certificateFile)' cannot be read as one)")
        }
        guard !chain.isEmpty else { throw TLSFileError(flag: "--tls-cert", reason: "a PEM file with a certificate ('\(certificateFile)' has none)") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: keyFile, format: .pem) } catch {
            throw TLSFileError(flag: "--tls-key", reason: "a readable PEM private key ('\(keyFile)' cannot be read as one)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do { _ = try NIOSSLContext(configuration: configuration) } catch {
            throw TLSFileError(flag: "--tls-key", reason: "the private key of the certificate in --tls-cert (they do not match)")
        }
        return configuration
    }

    /// The Hummingbird application; run it with `runService()` (which ends gracefully on
    /// SIGTERM and SIGINT, finishing in-flight requests) or inside a `ServiceGroup`.
    /// - Parameter onServerRunning: called with the bound port once the server listens.
    /// - Throws: when the TLS configuration cannot make a context (see ``tlsConfiguration(certificateFile:keyFile:)``).
    public func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws
        -> some ApplicationProtocol
    {
        let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .nanoseconds(Int64(configuration.idleTimeout * 1e9))))
        return Application(
            router: router(),
            server: try tls.map { try .tls(http1, tlsConfiguration: $0) } ?? http1,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tokenbench"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// The routes (exposed for tests that drive the router without a socket).
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        // Liveness first: Hummingbird builds a route's responder from the middleware added
        // before it, so `/healthz` runs without the two below. A probe's answer then costs what
        // a bare application's does (Benchmarks/http-reference.sh: the metrics middleware was a
        // quarter of it), and orchestrators' probes stay out of the request metrics.
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        router.add(middleware: JSONErrorMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.post("/oauth/token") { request, _ in await self.token(request) }
        router.post("/oauth/revoke") { request, _ in await self.revoke(request) }
        router.post("/auth/logout-all") { request, _ in await self.logoutAll(request) }
        router.get("/me") { request, _ in await self.me(request) }
        router.get("/.well-known/jwks.json") { _, _ in self.jwks() }
        if let secret = configuration.adminSecret { registerAdminRoutes(router, secret: secret) }
        router.get("/metrics") { _, _ in
            self.collect()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: self.registry.emitToBuffer())))
        }
        return router
    }
}

/// A TLS certificate or key file `serve` cannot use.
public struct TLSFileError: Error, Sendable, Hashable {
    /// `--tls-cert` or `--tls-key`.
    public var flag: String
    /// What is expected, naming the file.
    public var reason: String
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
