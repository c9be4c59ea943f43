import Foundation
import Hummingbird

// The reference for `serve`'s own overhead (Benchmarks/http-reference.sh): a bare Hummingbird 2
// application on the same HTTP/1.1 server with the one route `serve` answers without the core,
// `GET /healthz`, and the same answer. No middleware, no metrics, no logging beyond
// Hummingbird's default. Usage: bare-hummingbird [PORT] (default 8081; 0 picks one). Prints
// `listening on http://127.0.0.1:PORT` once it accepts connections.
let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8081
let router = Router()
router.get("/healthz") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "bare"),
    onServerRunning: { channel in
        FileHandle.standardOutput.write(Data("listening on http://127.0.0.1:\(channel.localAddress?.port ?? 0)\n".utf8))
    })
try await app.runService()
