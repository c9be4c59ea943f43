import Hummingbird
import NIOCore
import NIOPosix
import Testing
@testable import TokenLoad
@testable import TokenResults
@testable import TokenHTTPClient
@testable import TokenProbe

/// The driver's HTTP/1.1 connection, one level below ``HTTPTarget``.
@Suite("HTTP client: one connection's life")
struct HTTP1ConnectionTests {
    @Test("a closed connection's answer handler lets go of its context (no handler–context cycle; LeakSanitizer found one per closed connection)")
    func closedConnectionReleasesContext() async throws {
        let router = Router(context: BasicRequestContext.self)
        router.get("/fast") { _, _ in Response(status: .ok) }
        try await withRouter(router) { port in
            let (connection, _) = try await HTTP1Connection.connect(
                host: "127.0.0.1", port: port, group: MultiThreadedEventLoopGroup.singleton, tls: nil)
            let (answer, keepAlive) = try await connection.send(HTTPRequestSpec(method: .GET, path: "/fast"), host: "127.0.0.1", timeout: .seconds(2))
            #expect(answer.status == 200 && keepAlive)
            let loop = connection.channel.eventLoop
            #expect(try await loop.submit { connection.handler.value.context != nil }.get(), "the handler has its context while open")
            connection.close()
            try await connection.channel.closeFuture.get()
            // Handlers are removed on the loop after the close completes: give it a few turns.
            var released = false
            for _ in 0..<50 {
                released = try await loop.submit { connection.handler.value.context == nil }.get()
                if released { break }
                try await Task.sleep(nanoseconds: 10_000_000)
            }
            #expect(released, "handlerRemoved cleared the context")
            // A closed connection refuses a request with a typed error, never a crash.
            await #expect(throws: HTTP1ClientError.self) {
                _ = try await connection.send(HTTPRequestSpec(method: .GET, path: "/fast"), host: "127.0.0.1", timeout: .seconds(2))
            }
        }
    }
}
