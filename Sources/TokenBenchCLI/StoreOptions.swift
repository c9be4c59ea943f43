import ArgumentParser
import TokenResults
import Foundation
import TokenAuth
import TokenAuthPostgres
import TokenAuthRedis
import TokenAuthSQLite

/// Which refresh-token store a command uses.
enum StoreSpec: Equatable {
    case memory
    case sqlite(SQLiteRefreshTokenStore.Location)
    case postgres(String)
    case redis(String)
    /// `redis+cluster://HOST:PORT[,HOST:PORT…]`: seed nodes of a Redis Cluster.
    case redisCluster(String)

    /// The backend's name in results (`memory`, `sqlite`, `postgres`, `redis`, `redis-cluster`).
    var backend: String {
        switch self {
        case .memory: "memory"
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        case .redis: "redis"
        case .redisCluster: "redis-cluster"
        }
    }

    static let accepted = "memory, sqlite:PATH (or sqlite::memory:), postgres://USER@HOST:PORT/DB, redis://HOST:PORT/N "
        + "or redis+cluster://HOST:PORT[,HOST:PORT…]"

    /// Parses `--store`; does not connect.
    /// - Throws: `ValidationError` naming the accepted forms.
    init(parsing text: String) throws {
        func fail(_ why: String = "") -> ValidationError {
            ValidationError("--store: expected \(Self.accepted) (got '\(Redaction.url(text))')\(why.isEmpty ? "" : ": \(why)")")
        }
        if text == "memory" {
            self = .memory
        } else if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw fail("no path") }
            self = .sqlite(path == ":memory:" ? .memory : .file(path))
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            do throws(StoreError) { _ = try PostgresRefreshTokenStore.Endpoint(url: text) } catch { throw fail(error.detail) }
            self = .postgres(text)
        } else if text.hasPrefix("redis://") {
            do throws(StoreError) { _ = try RedisRefreshTokenStore.Endpoint(url: text) } catch { throw fail(error.detail) }
            self = .redis(text)
        } else if text.hasPrefix("redis+cluster://") {
            do throws(StoreError) { _ = try RedisClusterRefreshTokenStore.Seeds(url: text) } catch { throw fail(error.detail) }
            self = .redisCluster(text)
        } else {
            throw fail()
        }
    }
}

/// A store opened for a command: erased so one service type serves every backend.
struct OpenedStore {
    let store: AnyRefreshTokenStore
    let statistics: StoreStatistics?
    let backend: String
    let close: @Sendable () async -> Void

    /// Connects (and creates or migrates the schema).
    /// - Throws: ``StoreError`` `.unavailable` when the store cannot be opened or reached.
    static func open(_ spec: StoreSpec, connections: Int?) async throws(StoreError) -> OpenedStore {
        switch spec {
        case .memory:
            return OpenedStore(store: AnyRefreshTokenStore(MemoryRefreshTokenStore()), statistics: nil, backend: "memory", close: {})
        case .sqlite(let location):
            let s = try await SQLiteRefreshTokenStore.open(location, connections: connections ?? 4)
            return OpenedStore(store: AnyRefreshTokenStore(s), statistics: s.statistics, backend: "sqlite", close: { await s.close() })
        case .postgres:
            // PostgreSQL runs as the store's service for the length of a body (withOpened).
            throw StoreError(.unavailable, "postgres: open it with StoreOptions.withOpened")
        case .redis(let url):
            let s = try await RedisRefreshTokenStore.connect(url, connections: connections ?? 8)
            return OpenedStore(store: AnyRefreshTokenStore(s), statistics: s.statistics, backend: "redis", close: { await s.close() })
        case .redisCluster(let url):
            let s = try await RedisClusterRefreshTokenStore.connect(url, connectionsPerNode: connections ?? 4)
            return OpenedStore(store: AnyRefreshTokenStore(s), statistics: s.statistics, backend: "redis-cluster", close: { await s.close() })
        }
    }
}

/// `--store` and its pool size, shared by `run` and `serve`.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("store"), help: ArgumentHelp("Refresh-token store: \(StoreSpec.accepted) (default memory). capacity takes it more than once, to compare stores.", valueName: "store"))
    var stores: [String] = []
    /// The one store of a command that takes one (`memory` when none is given).
    var store: String { stores.last ?? "memory" }
    @Option(name: .customLong("store-connections"), help: "Pooled store connections (default: sqlite 4, postgres 16, redis 8, redis-cluster 4 per node).")
    var storeConnections: Int?

    /// The store, checked; one at most.
    /// - Throws: `ValidationError` for a malformed `--store`, a pool size out of range, or
    ///   several stores (only `capacity` compares them, store by store).
    func spec() throws -> StoreSpec {
        if let n = storeConnections, !(1...1024).contains(n) {
            throw ValidationError("--store-connections: expected 1 ... 1024 (got \(n))")
        }
        if stores.count > 1 { throw ValidationError("--store: expected one store (capacity --store A --store B compares stores)") }
        return try StoreSpec(parsing: store)
    }

    /// These options with only the `index`-th store.
    func only(_ index: Int) -> StoreOptions {
        var one = self
        one.stores = [stores[index]]
        return one
    }

    /// Whether the store outlives the process and can be shared (PostgreSQL, Redis, Redis Cluster).
    var isDurable: Bool {
        switch try? spec() {
        case .postgres?, .redis?, .redisCluster?: true
        default: false
        }
    }

    /// Runs `body` with the store open, then closes it; or exits 69 (EX_UNAVAILABLE) with one
    /// line saying why the store cannot be opened. PostgreSQL's client runs as the store's
    /// `Service` in a child task for as long as `body` does.
    /// - Throws: `ExitCode(69)`, or what `body` throws.
    func withOpened<R: Sendable>(_ body: (OpenedStore) async throws -> R) async throws -> R {
        let spec = try spec()
        func unavailable(_ error: StoreError) -> ExitCode {
            FileHandle.standardError.write(Data("tokenbench: cannot open the \(spec.backend) store: \(error.detail)\n".utf8))
            return ExitCode(Verdict.unreachable.exitCode)
        }
        if case .postgres(let url) = spec {
            do {
                return try await PostgresRefreshTokenStore.withStore(url: url, maxConnections: storeConnections ?? 16) { s in
                    do {
                        return try await body(OpenedStore(store: AnyRefreshTokenStore(s), statistics: s.statistics, backend: "postgres", close: {}))
                    } catch {
                        throw StoreBodyError(error: error)
                    }
                }
            } catch let wrapped as StoreBodyError {
                throw wrapped.error
            } catch let error as StoreError {
                throw unavailable(error)
            }
        }
        let opened: OpenedStore
        do throws(StoreError) {
            opened = try await OpenedStore.open(spec, connections: storeConnections)
        } catch {
            throw unavailable(error)
        }
        do {
            let out = try await body(opened)
            await opened.close()
            return out
        } catch {
            await opened.close()
            throw error
        }
    }
}

/// An error of a `withOpened` body, told apart from the store's own on the way out.
private struct StoreBodyError: Error {
    var error: any Error
}
