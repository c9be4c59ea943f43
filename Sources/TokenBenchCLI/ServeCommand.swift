import ArgumentParser
import Foundation
import Logging
import Metrics
import NIOSSL
import Prometheus
import TokenAuth
import TokenAuthServer
import TokenLoad
import TokenResults
import TokenReport
import TokenHTTPClient
import TokenProbe

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the native HTTP API (docs/serve.md) over the auth core, with seeded synthetic users.",
        discussion: """
            Users user0 … user{N-1} log in with password pw-{n}. SIGTERM or SIGINT stops the \
            server gracefully (in-flight requests finish).
            """)

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"
    @Option(help: "TCP port (0 picks a free one, printed at start).")
    var port: Int = 8080
    @Option(help: "Synthetic users user0 … user{N-1} (password pw-{n}).")
    var users: Int = 1000
    @Option(name: .customLong("max-body"), help: "Largest request body accepted, bytes (larger: 413).")
    var maxBody: Int = 16 * 1024
    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("Serve HTTPS: the certificate chain, PEM (leaf first). Needs --tls-key.", valueName: "file"))
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: ArgumentHelp("Serve HTTPS: the certificate's private key, PEM.", valueName: "file"))
    var tlsKey: String?
    @Option(help: ArgumentHelp("Signing keys shared by every server of the service: a directory of KID.pem (ES256, EdDSA, RS256 private keys) and KID.hs256 (secrets ≥ 32 bytes) files; the last KID of --alg's algorithm signs, all verify and ES256/EdDSA/RS256 ones are published in the JWKS. Default: $TOKENBENCH_KEYS, else a fresh key (tokens die with the process).", valueName: "dir"))
    var keys: String?
    @Option(name: .customLong("refresh-secret-file"), help: ArgumentHelp("The refresh-token MAC secret shared by every server of the service: a file of at least 32 bytes (never give a secret on the command line). Default: $TOKENBENCH_REFRESH_SECRET_FILE, else a fresh secret.", valueName: "file"))
    var refreshSecretFile: String?

    @Option(name: .customLong("admin-secret-file"), help: ArgumentHelp("Turns on POST /admin/users/disable and /admin/users/enable (username=…), which need `Authorization: Bearer SECRET`: a file holding SECRET, at least 32 characters of letters, digits and -._~+/ (e.g. `openssl rand -hex 32 > admin.secret`). Default: $TOKENBENCH_ADMIN_SECRET_FILE, else the routes do not exist.", valueName: "file"))
    var adminSecretFile: String?
    @Option(name: .customLong("purge-interval"), help: ArgumentHelp("How often families past their absolute lifetime (--refresh-ttl) are deleted from the store: expired and abandoned sessions would otherwise pile up in a durable store. 0s: never (another server of the service sweeps).", valueName: "duration"))
    var purgeInterval: String = "60s"
    @OptionGroup var core: CoreOptions
    @OptionGroup(title: "Store") var storeOptions: StoreOptions

    /// `--purge-interval`, seconds (0: no sweeping).
    /// - Throws: `ValidationError` outside 0 s … 1 day.
    func purgeSeconds() throws -> Double {
        let seconds = try Flags.seconds(purgeInterval, "--purge-interval")
        guard seconds == 0 || (0.1...86_400).contains(seconds) else {
            throw ValidationError("--purge-interval: expected 0s (never) or 100ms … 24h (got '\(purgeInterval)')")
        }
        return seconds
    }

    func settings() throws -> LoadConfiguration {
        var c = LoadConfiguration()
        c.users = users
        try core.apply(to: &c)
        // Client-side settings do not apply to a server; keep them from constraining its TTLs.
        c.refreshLead = 0
        c.refreshJitter = 0
        try Flags.validate(c)
        return c
    }

    func validate() throws {
        _ = try settings()
        _ = try storeOptions.spec()
        guard (0...65_535).contains(port) else { throw ValidationError("--port: expected 0 ... 65535 (got \(port))") }
        guard !host.isEmpty else { throw ValidationError("--host: expected an address such as 127.0.0.1") }
        guard (256...(16 * 1024 * 1024)).contains(maxBody) else {
            throw ValidationError("--max-body: expected 256 ... 16777216 bytes (got \(maxBody))")
        }
        _ = try tlsConfiguration()
        _ = try purgeSeconds()
    }

    /// The TLS configuration of `--tls-cert` and `--tls-key`, or `nil` for plain HTTP.
    /// - Throws: `ValidationError` for one without the other, or a file that cannot be used.
    func tlsConfiguration() throws -> TLSConfiguration? {
        switch (tlsCert, tlsKey) {
        case (nil, nil): return nil
        case (.some, nil): throw ValidationError("--tls-cert: needs --tls-key")
        case (nil, .some): throw ValidationError("--tls-key: needs --tls-cert")
        case let (cert?, key?):
            do throws(TLSFileError) {
                return try TokenServer<MemoryRefreshTokenStore, InMemoryUserDirectory>.tlsConfiguration(certificateFile: cert, keyFile: key)
            } catch {
                throw ValidationError("\(error.flag): expected \(error.reason)")
            }
        }
    }

    func run() async throws {
        let c = try settings()
        let crypto = core.cryptoBackend
        LoggingSystem.bootstrap { DeferredMetadataLogHandler(label: $0) }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        FileHandle.standardError.write(Data(
            "preparing \(c.users) synthetic users (\(c.passwordAlgorithm) hashes)\n".utf8))
        let environment = ProcessInfo.processInfo.environment
        let keyDirectory = keys ?? environment["TOKENBENCH_KEYS"]
        let secretFile = refreshSecretFile ?? environment["TOKENBENCH_REFRESH_SECRET_FILE"]
        var ring: SigningKeyRing?
        var codec: RefreshTokenCodec?
        var adminSecret: AdminSecret?
        do throws(ConfigurationError) {
            if let file = adminSecretFile ?? environment["TOKENBENCH_ADMIN_SECRET_FILE"] { adminSecret = try AdminSecret(file: file) }
            if let keyDirectory {
                ring = try await KeyDirectory.load(keyDirectory, signing: c.algorithm,
                                                   retirementPeriod: c.authConfiguration.accessTokenLifetime + c.authConfiguration.leeway,
                                                   crypto: crypto)
            }
            if let secretFile { codec = try RefreshTokenCodec(secret: KeyDirectory.refreshSecret(file: secretFile), crypto: crypto) }
        } catch {
            throw ValidationError("\(error.setting): expected \(error.accepted)")
        }
        if storeOptions.isDurable, ring == nil || codec == nil {
            FileHandle.standardError.write(Data(
                "tokenbench serve: warning: without --keys and --refresh-secret-file this server's tokens are its own: other servers on the same store refuse them\n".utf8))
        }
        try await storeOptions.withOpened { opened in
            let service = try await AuthService.synthetic(
                configuration: c.authConfiguration, store: opened.store, syntheticUsers: c.users,
                algorithm: c.algorithm, password: c.passwordAlgorithm, logger: Logger(label: "tokenauth.audit"),
                keys: ring, refreshTokens: codec, crypto: crypto)
            var server = ServerConfiguration()
            server.host = host
            server.port = port
            server.maxBodyBytes = maxBody
            server.adminSecret = adminSecret
            let host = server.host
            let tls = try tlsConfiguration()
            let scheme = tls == nil ? "http" : "https"
            let process = ProcessMetrics(registry: registry)
            let app = try TokenServer(service: service, configuration: server, registry: registry, tls: tls,
                                      collect: { process.collect() }).application { port in
                // One line on stdout, flushed, so scripts can wait for it and read the port.
                FileHandle.standardOutput.write(Data(
                    "tokenbench serve: listening on \(scheme)://\(host):\(port) (store: \(opened.backend), alg: \(c.algorithm.rawValue), crypto: \(crypto.name))\n".utf8))
            }
            let interval = try purgeSeconds()
            let purged = registry.makeCounter(descriptor: MetricNameDescriptor(
                namespace: "tokenauth", metricName: "purged_families", unitName: "total",
                helpText: "Refresh-token families deleted past their absolute lifetime."))
            try await withThrowingTaskGroup(of: Void.self) { group in
                if interval > 0 {
                    // The sweeper: expired families (logged out, revoked, abandoned) out of the store.
                    group.addTask {
                        let logger = Logger(label: "tokenbench.serve.purge")
                        while true {
                            do { try await Task.sleep(nanoseconds: UInt64(interval * 1e9)) } catch { return }
                            do throws(AuthError) {
                                purged.increment(by: Int64(try await service.purgeExpired()))
                            } catch {
                                logger.warning("purging expired families failed: the store is unavailable; next try in \(DurationValue.text(interval))")
                            }
                        }
                    }
                }
                try await app.runService()
                group.cancelAll()
            }
        }
    }
}
