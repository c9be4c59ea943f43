import NIOCore
/// One worker: owns a share of the virtual users, a timer heap that wakes them, and a
/// recorder. For targets that answer without waiting (in-process, no-op) it runs as one task;
/// operations of its users run inline, one at a time, so an idle user costs only memory and
/// the worker never holds a thread while nothing is due.
///
/// For targets whose operations wait on I/O (``LoadTarget/operationsWaitOnIO``, HTTP) each
/// user runs in its own lane (a child task), so every user can have a request in flight, as
/// the closed model requires; all lanes of a worker run on one serial executor (the target's
/// ``LoadTarget/laneExecutor(worker:)``, for HTTP an event loop, or a ``SerialTaskExecutor``),
/// so they share the users and the recorder without locks.
final class Worker<Target: LoadTarget>: @unchecked Sendable {
    // @unchecked: all mutable state is touched only by the task running `run()`; the driver
    // reads `recorder` after that task has finished (its `live` part is locked).
    let index: Int
    let target: Target
    let configuration: LoadConfiguration
    let credentials: Credentials
    let recorder: WorkerRecorder
    private var users: [VirtualUser]
    private var heap: TimerHeap
    private let measureStart: UInt64
    private let end: UInt64
    private let think: UInt64
    private let grace: Double
    private let open: Bool
    /// Each user's first due time (lane mode starts from these).
    private let firstDue: [UInt64]

    init(index: Int, target: Target, configuration c: LoadConfiguration, credentials: Credentials, userNumbers: [Int32],
         start: UInt64, measureStart: UInt64, end: UInt64) {
        self.index = index
        self.credentials = credentials
        self.recorder = WorkerRecorder(measureStart: measureStart)
        self.target = target
        self.configuration = c
        self.measureStart = measureStart
        self.end = end
        self.open = c.model == .open
        self.think = ns(c.effectiveThinkTime)
        self.grace = c.grace
        self.users = userNumbers.map { VirtualUser(number: $0, seed: c.seed) }
        self.heap = TimerHeap(capacity: userNumbers.count)
        // First logins: spread evenly over one think time (open model), or over up to one second.
        let spread = open ? think : min(think, 1_000_000_000)
        var firstDue: [UInt64] = []
        firstDue.reserveCapacity(userNumbers.count)
        for (i, n) in userNumbers.enumerated() {
            let offset = spread == 0 ? 0 : UInt64(Double(spread) * Double(n) / Double(max(1, c.users)))
            firstDue.append(start &+ offset)
            heap.push(start &+ offset, Int32(i))
        }
        self.firstDue = firstDue
    }

    func run() async {
        if target.operationsWaitOnIO {
            // One serial executor per worker: its lanes share the users and the recorder.
            let executor = target.laneExecutor(worker: index) ?? SerialTaskExecutor(label: "tokenbench.worker.\(index)")
            await withTaskGroup(of: Void.self) { group in
                let loop = (executor as? EventLoopTaskExecutor)?.eventLoop
                for slot in users.indices {
                    group.addTask(executorPreference: executor) { await self.lane(slot, loop: loop) }
                }
            }
        } else {
            await runInline()
        }
    }

    /// Lane mode: one user, its operations one after another, sleeping until it is due.
    /// Runs on the worker's serial executor.
    /// - Parameter loop: the event loop the lane runs on, if any: sleeps are then timers of
    ///   that loop (measured: `Task.sleep` went through Dispatch's timer thread and woke the
    ///   loop from outside, a fifth of the driver's time in a refresh-heavy run).
    private func lane(_ slot: Int, loop: (any EventLoop)?) async {
        var due = firstDue[slot]
        while true {
            let now = monotonicNanoseconds()
            if now >= end { return }
            if due > now {
                let pause = min(due - now, end - now)
                if let loop {
                    try? await loop.scheduleTask(in: .nanoseconds(Int64(pause))) {}.futureResult.get()
                } else {
                    try? await Task.sleep(nanoseconds: pause)
                }
                continue
            }
            recorder.recordLag(due: due, now: now)
            var user = users[slot]
            due = await step(&user, due: due, started: now)
            users[slot] = user
        }
    }

    /// Inline mode: the timer heap, operations run one at a time on the worker's task.
    private func runInline() async {
        var sinceYield = 0
        while let next = heap.nextDue {
            let now = monotonicNanoseconds()
            if now >= end { break }
            if next > now {
                try? await Task.sleep(nanoseconds: min(next - now, end - now))
                continue
            }
            // In-process and no-op operations may never suspend: yield now and then so the other
            // workers and the once-a-second tick get their share of the cooperative pool.
            sinceYield += 1
            if sinceYield == 32 {
                sinceYield = 0
                await Task.yield()
            }
            let (due, slot) = heap.pop()!
            recorder.recordLag(due: due, now: now)
            var user = users[Int(slot)]
            let nextDue = await step(&user, due: due, started: now)
            users[Int(slot)] = user
            heap.push(nextDue, slot)
        }
    }

    /// One action of one user; returns when the user is next due.
    private func step(_ u: inout VirtualUser, due: UInt64, started: UInt64) async -> UInt64 {
        let base = open ? due : started
        switch u.phase {
        case .loggedOut:
            await login(&u, base: base)
        // Decide on the state at the moment the operation really starts: a late start may find
        // the access token already due for refresh.
        case .active where started >= u.sessionEndsAt:
            await endSession(&u, base: base)
        case .active where started >= u.refreshDueAt:
            await refresh(&u, base: base)
        case .active:
            await access(&u, base: base)
        }
        let done = monotonicNanoseconds()
        var next: UInt64
        if open {
            next = saturatingAdd(due, think)
        } else {
            let jittered = think == 0 ? 0 : UInt64(Double(think) * (0.5 + u.rng.unit()))
            next = saturatingAdd(done, jittered)
        }
        if u.phase == .active { next = min(next, u.refreshDueAt, u.sessionEndsAt) }
        return open ? next : max(next, done)
    }

    private func login(_ u: inout VirtualUser, base: UInt64) async {
        let account = credentials.credentials(Int(u.number))
        let outcome = await target.login(username: account.username, password: account.password)
        let done = monotonicNanoseconds()
        switch outcome {
        case .ok(let tokens):
            recorder.record(.login, from: base, to: done, error: nil)
            u.begin(tokens, at: done, configuration: configuration)
        case .rejected(let kind):
            recorder.record(.login, from: base, to: done, error: kind.rawValue)
        case .failed(let kind):
            recorder.record(.login, from: base, to: done, error: kind.rawValue)
        }
    }

    private func access(_ u: inout VirtualUser, base: UInt64) async {
        let c = configuration
        if c.expiredAccessRatio > 0, u.rng.chance(c.expiredAccessRatio),
           let expired = u.expiredAccess(now: base, leeway: c.leeway) {
            await hostileAccess(expired, .expiredAccessAccepted)
            return
        }
        if c.forgedAccessRatio > 0, u.rng.chance(c.forgedAccessRatio) {
            await hostileAccess(forge(u.accessToken), .forgedAccessAccepted)
            return
        }
        let outcome = await target.access(accessToken: u.accessToken)
        let done = monotonicNanoseconds()
        recorder.record(.access, from: base, to: done, error: outcome.errorLabel)
    }

    private func hostileAccess(_ token: String, _ kind: InvariantKind) async {
        recorder.hostileAttempts += 1
        switch await target.access(accessToken: token) {
        case .ok: recorder.check(false, kind)
        case .rejected(.rateLimited), .failed: break // no verdict: the target did not judge the token
        case .rejected: recorder.check(true, kind); recorder.hostileRejected += 1
        }
    }

    private func refresh(_ u: inout VirtualUser, base: UInt64) async {
        let c = configuration
        let current = u.refreshToken
        if c.replayRatio > 0, u.rng.chance(c.replayRatio), let stale = u.unambiguouslySpent(now: base, grace: grace) {
            // A thief replays a spent token: it must be refused, and the family revoked.
            recorder.hostileAttempts += 1
            switch await target.refresh(refreshToken: stale) {
            case .ok:
                // One failure, counted once: the replay itself was accepted.
                recorder.check(false, .spentTokenAccepted)
                u.endSession()
                return
            case .rejected(.rateLimited), .failed:
                return // no verdict (a 429 says nothing about the token); the user tries again later
            case .rejected:
                recorder.check(true, .spentTokenAccepted)
                recorder.hostileRejected += 1
            }
            let start = monotonicNanoseconds()
            let legit = await target.refresh(refreshToken: current)
            let done = monotonicNanoseconds()
            switch legit {
            case .ok: recorder.check(false, .familyNotRevokedAfterReplay)
            case .rejected(.rateLimited): break // no verdict
            case .rejected: recorder.check(true, .familyNotRevokedAfterReplay)
            case .failed(let kind): recorder.record(.refresh, from: start, to: done, error: kind.rawValue)
            }
            u.endSession() // the session is gone: log in again
            return
        }
        if c.concurrentRefreshRatio > 0, u.rng.chance(c.concurrentRefreshRatio) {
            // Two tabs refresh the same token at once: both must succeed with the same successor.
            async let first = target.refresh(refreshToken: current)
            async let second = target.refresh(refreshToken: current)
            let (a, b) = await (first, second)
            let done = monotonicNanoseconds()
            switch (a, b) {
            case (.ok(let ta), .ok(let tb)):
                recorder.check(ta.refreshToken == tb.refreshToken, .benignConcurrentRefreshRevoked)
                recorder.record(.refresh, from: base, to: done, error: nil)
                u.rotate(to: ta, spending: current, at: done, configuration: c)
            case (.rejected, _), (_, .rejected):
                // A verdict only while the family is surely alive (not near its absolute end).
                if u.familySurelyAlive(at: base) { recorder.check(false, .benignConcurrentRefreshRevoked) }
                recorder.record(.refresh, from: base, to: done, error: RejectionKind.invalidGrant.rawValue)
                u.endSession()
            case (.failed(let kind), _), (_, .failed(let kind)):
                recorder.record(.refresh, from: base, to: done, error: kind.rawValue)
            }
            return
        }
        let outcome = await target.refresh(refreshToken: current)
        let done = monotonicNanoseconds()
        switch outcome {
        case .ok(let tokens):
            recorder.record(.refresh, from: base, to: done, error: nil)
            u.rotate(to: tokens, spending: current, at: done, configuration: c)
        case .rejected(let kind):
            // The current token of a live family must rotate.
            if u.familySurelyAlive(at: base) { recorder.check(false, .currentTokenRejected) }
            recorder.record(.refresh, from: base, to: done, error: kind.rawValue)
            u.endSession() // rejected: log in again
        case .failed(let kind):
            recorder.record(.refresh, from: base, to: done, error: kind.rawValue)
        }
    }

    private func endSession(_ u: inout VirtualUser, base: UInt64) async {
        let c = configuration
        guard u.rng.chance(c.logoutRatio) else {
            u.endSession() // abandoned: the tokens are simply forgotten
            return
        }
        let token = u.refreshToken
        let outcome = await target.logout(refreshToken: token)
        let done = monotonicNanoseconds()
        recorder.record(.logout, from: base, to: done, error: outcome.errorLabel)
        if case .ok = outcome {
            // After the logout was acknowledged, the refresh token must be dead.
            recorder.hostileAttempts += 1
            switch await target.refresh(refreshToken: token) {
            case .ok: recorder.check(false, .mintedAfterRevocation)
            case .rejected(.rateLimited), .failed: break // no verdict
            case .rejected: recorder.check(true, .mintedAfterRevocation); recorder.hostileRejected += 1
            }
        }
        u.endSession()
    }

    @inline(__always)
    private func saturatingAdd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    /// The token with the first character of its signature changed.
    private func forge(_ token: String) -> String {
        var bytes = Array(token.utf8)
        guard let dot = bytes.lastIndex(of: UInt8(ascii: ".")), dot + 1 < bytes.count else { return token + "x" }
        bytes[dot + 1] = bytes[dot + 1] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension TargetOutcome {
    /// `nil` on success, else the error label recorded for it.
    var errorLabel: String? {
        switch self {
        case .ok: nil
        case .rejected(let kind): kind.rawValue
        case .failed(let kind): kind.rawValue
        }
    }
}
