import ExtrasBase64
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import TokenResults
import TokenPool
import TokenHTTPClient

/// The turn of the next server among several.
package final class RoundRobin: Sendable {
    package let next = Atomic<Int>(0)
}
