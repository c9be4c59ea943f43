import TokenAuth
import NIOCore
import Synchronization
import TokenResults
import TokenPool
import TokenHTTPClient

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
///
/// The shadow model judges only what the server's settings as known make certain: with the
/// grace window unknown, only tokens two rotations old are replayed and a refused two-tab
/// duplicate is not judged; with the leeway unknown, no expired access token is sent; with the
/// refresh-token lifetime unknown, a refused current token is an error, not a violation.
package final class Worker<Target: LoadTarget>: @unchecked Sendable {
    // @unchecked: all mutable state is touched only by the task running `run()` (and its lanes,
    // which share one serial executor); the driver reads `recorder` after that task has
    // finished (its `live` part is locked).
    package let index: Int
    package let target: Target
    package let configuration: LoadConfiguration
    package let credentials: Credentials
    package let recorder: WorkerRecorder
    private var users: [VirtualUser]
    private var heap: TimerHeap
    private let start: UInt64
    private let end: UInt64
    private let think: UInt64
    private let grace: Double?
    private let leeway: Double?
    private let open: Bool
    /// The load level over the run (users or arrivals per second).
    private let schedule: LoadSchedule
    /// Open model with per-operation rates: the refresh arrivals (``LoadConfiguration/refreshRate``).
    private let refreshSchedule: LoadSchedule?
    /// Closed model with stages: users come and go with the level.
    private let rampingUsers: Bool
    private let totalUsers: Double
    private let abort: RunAbort
    /// Each user's first due time (lane mode starts from these).
    private let firstDue: [UInt64]

    package init(index: Int, target: Target, configuration c: LoadConfiguration, credentials: Credentials, userNumbers: [Int32],
         start: UInt64, measureStart: UInt64, end: UInt64, abort: RunAbort) {
        self.index = index
        self.credentials = credentials
        self.recorder = WorkerRecorder(measureStart: measureStart, measureEnd: end, countsStatuses: target.countsStatuses)
        self.target = target
        self.configuration = c
        self.start = start
        self.end = end
        self.open = c.model == .open
        self.think = ns(c.effectiveThinkTime)
        self.grace = c.grace
        self.leeway = c.leeway
        self.schedule = c.schedule
        self.refreshSchedule = c.model == .open ? c.refreshSchedule : nil
        self.rampingUsers = c.model == .closed && c.stages != nil
        self.totalUsers = Double(c.users)
        self.abort = abort
        self.users = userNumbers.map { VirtualUser(number: $0, seed: c.seed) }
        self.heap = TimerHeap(capacity: userNumbers.count)
        // First actions: the open model's arrival schedule; ramping users when the level first
        // exceeds their number; otherwise spread evenly over one think time, at most one second.
        let spread = min(think, 1_000_000_000)
        var firstDue: [UInt64] = []
        firstDue.reserveCapacity(userNumbers.count)
        for (i, n) in userNumbers.enumerated() {
            let due: UInt64
            if open {
                // With a refresh rate, the user logs in at its first slot of either stream.
                let refresh = refreshSchedule?.arrival(Double(n)).map { start &+ ns($0) } ?? .max
                due = min(schedule.arrival(Double(n)).map { start &+ ns($0) } ?? .max, refresh)
            } else if rampingUsers {
                due = schedule.activation(of: Int(n), after: 0).map { start &+ ns($0) } ?? .max
            } else {
                due = start &+ (spread == 0 ? 0 : UInt64(Double(spread) * Double(n) / Double(max(1, c.users))))
            }
            firstDue.append(due)
            heap.push(due, Int32(i))
        }
        self.firstDue = firstDue
    }

    package func run() async {
        if target.operationsWaitOnIO {
            // One serial executor per worker: its lanes share the users and the recorder.
            let executor = target.laneExecutor(worker: index) ?? SerialTaskExecutor(label: "tokenbench.worker.\(index)")
            await withTaskGroup(of: Void.self) { group in
                let loop = (executor as? EventLoopTaskExecutor)?.eventLoop
                for slot in users.indices {
                    group.addTask(executorPreference: executor) { await self.lane(slot, loop: loop) }
                }
                group.addTask(executorPreference: executor) { await self.heartbeat(loop: loop) }
            }
        } else {
            await runInline()
        }
    }

    /// Sleeps `nanoseconds`: on `loop`'s timers when the lane runs on an event loop, else
    /// `Task.sleep`; returns early when cancelled.
    private func sleep(_ nanoseconds: UInt64, on loop: (any EventLoop)?) async {
        if let loop {
            let scheduled = loop.scheduleTask(in: .nanoseconds(Int64(nanoseconds))) {}
            try? await withTaskCancellationHandler {
                try await scheduled.futureResult.get()
            } onCancel: {
                scheduled.cancel()
            }
        } else {
            try? await Task.sleep(nanoseconds: nanoseconds)
        }
    }

    /// Lane mode: a timer every 10 ms on the worker's executor, its lateness recorded as
    /// scheduling lag. Lanes that are behind (their previous answer came late) never sleep, so
    /// their timers cannot show that the executor itself is saturated; this one always does.
    private func heartbeat(loop: (any EventLoop)?) async {
        let period: UInt64 = 10_000_000
        var due = monotonicNanoseconds() &+ period
        while !abort.isSet {
            let now = monotonicNanoseconds()
            if now >= end { return }
            if due > now {
                await sleep(min(due - now, end - now), on: loop)
                if Task.isCancelled { return }
                continue
            }
            recorder.recordLag(due: due, now: now)
            due = now &+ period
        }
    }

    /// Lane mode: one user, its operations one after another, sleeping until it is due.
    /// Runs on the worker's serial executor.
    ///
    /// The scheduling lag is recorded only when the lane woke from a sleep: how late its timer
    /// fired is the driver's own saturation (and the worker's ``heartbeat(loop:)`` measures it
    /// when no lane sleeps). A lane that is due at once because its previous
    /// request took long (the open model against a stalled server) is waiting on the target;
    /// that shows as latency, measured from the intended start.
    /// - Parameter loop: the event loop the lane runs on, if any: sleeps are then timers of
    ///   that loop (measured: `Task.sleep` went through Dispatch's timer thread and woke the
    ///   loop from outside, a fifth of the driver's time in a refresh-heavy run).
    private func lane(_ slot: Int, loop: (any EventLoop)?) async {
        var due = firstDue[slot]
        var slept = false
        while !abort.isSet {
            let now = monotonicNanoseconds()
            if now >= end || due == .max { return }
            if due > now {
                await sleep(min(due - now, end - now), on: loop)
                if Task.isCancelled { return }
                slept = true
                continue
            }
            if slept { recorder.recordLag(due: due, now: now) }
            slept = false
            var user = users[slot]
            due = await step(&user, due: due, started: now)
            users[slot] = user
        }
    }

    /// Inline mode: the timer heap, operations run one at a time on the worker's task. Here the
    /// lag is every operation's lateness: the worker's own thread was busy with other users.
    private func runInline() async {
        var sinceYield = 0
        while let next = heap.nextDue, !abort.isSet {
            let now = monotonicNanoseconds()
            if now >= end { break }
            if next > now {
                try? await Task.sleep(nanoseconds: min(next - now, end - now))
                if Task.isCancelled { break }
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

    /// When the user's next arrival of the open model is due (monotonic ns), or `.max`.
    private func arrivalDue(_ u: VirtualUser) -> UInt64 {
        schedule.arrival(Double(u.number) + Double(u.arrivals) * totalUsers).map { start &+ ns($0) } ?? .max
    }

    /// When the user's next refresh arrival is due (monotonic ns), or `.max` without a refresh
    /// rate: user `n` of `N` takes refresh arrivals `n + 1.5N, n + 2.5N, …` (slot `n` is its
    /// login). The half period keeps a user's refreshes off the instants of its resource calls
    /// when both rates are equal: one user's operations run one after another, and a call due
    /// at the same instant would wait for the refresh.
    private func refreshArrivalDue(_ u: VirtualUser) -> UInt64 {
        guard let refreshSchedule else { return .max }
        return refreshSchedule.arrival(Double(u.number) + (Double(u.refreshArrivals) + 1.5) * totalUsers).map { start &+ ns($0) } ?? .max
    }

    /// One action of one user in the open model with per-operation rates: a refresh when its
    /// refresh arrival is due, a resource call when its access arrival is, each measured from
    /// its arrival's intended time; a login when it has no session, and at once after a session
    /// ends, so that sessions keep flowing (a login never serves an arrival: one that falls due
    /// meanwhile waits, and its latency includes the wait). Arrivals that fall due while a login
    /// fails are missed: the achieved rate shows them, and a down target is not hammered.
    private func perOperationStep(_ u: inout VirtualUser, due: UInt64, started: UInt64) async -> UInt64 {
        let accessArrival = arrivalDue(u)
        switch u.phase {
        case .loggedOut:
            await login(&u, base: due)
            if u.phase == .active {
                u.refreshDueAt = refreshArrivalDue(u)
            } else {
                let now = monotonicNanoseconds()
                while arrivalDue(u) <= now { u.arrivals &+= 1 }
                while refreshArrivalDue(u) <= now { u.refreshArrivals &+= 1 }
            }
        case .active where started >= u.sessionEndsAt:
            await endSession(&u, base: due)
            return monotonicNanoseconds()
        case .active where started >= u.refreshDueAt:
            await refresh(&u, base: u.refreshDueAt)
            u.refreshArrivals &+= 1
            recorder.arrivalServed(done: monotonicNanoseconds())
            if u.phase == .active { u.refreshDueAt = refreshArrivalDue(u) }
        case .active where started >= accessArrival:
            await access(&u, base: accessArrival)
            u.arrivals &+= 1
            recorder.arrivalServed(done: monotonicNanoseconds())
        case .active:
            break
        }
        var next = min(arrivalDue(u), refreshArrivalDue(u))
        if u.phase == .active { next = min(next, u.refreshDueAt, u.sessionEndsAt) }
        return next
    }

    /// One action of one user; returns when the user is next due (`.max`: never again).
    private func step(_ u: inout VirtualUser, due: UInt64, started: UInt64) async -> UInt64 {
        if refreshSchedule != nil { return await perOperationStep(&u, due: due, started: started) }
        let base = open ? due : started
        if rampingUsers {
            let t = Double(started &- start) / 1e9
            if Double(u.number) >= schedule.level(at: t) {
                // Ramped down: the session ends as at its end; the user waits for the level to rise.
                if u.phase == .active { await endSession(&u, base: base) }
                return schedule.activation(of: Int(u.number), after: t).map { start &+ ns($0) } ?? .max
            }
        }
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
            // The arrival this operation served (refreshes and session ends due between two
            // arrivals are extra operations, sent when due).
            let arrival = arrivalDue(u)
            if due >= arrival {
                u.arrivals &+= 1
                recorder.arrivalServed(done: done)
            }
            next = arrivalDue(u)
        } else {
            let jittered = think == 0 ? 0 : UInt64(Double(think) * (0.5 + u.rng.unit()))
            next = add(done, jittered)
        }
        if u.phase == .active { next = min(next, u.refreshDueAt, u.sessionEndsAt) }
        return open ? next : max(next, done)
    }

    /// Stops the run when the target says the profile names an endpoint it does not serve.
    @inline(__always)
    private func note<Value>(_ outcome: TargetOutcome<Value>) {
        if case .failed(.wrongEndpoint, let detail) = outcome {
            abort.stop(because: detail)
        }
    }

    /// Counts what a refresh answer of the current token `current`, sent at `sent`, verifies:
    /// the current token was accepted (while the family is surely alive) and its successor is
    /// new (not one the family spent). A server that does not rotate (answers the same refresh
    /// token, RFC 6749 §6) is not judged on the successor. Adopts the answer.
    private func acceptCurrent(_ tokens: IssuedTokens, current: String, _ u: inout VirtualUser, sent: UInt64, done: UInt64) {
        if u.familySurelyAlive(at: sent) { recorder.check(true, .currentTokenRejected) }
        if tokens.refreshToken == current {
            recorder.refreshesKept += 1
            recorder.invariantsUnjudged += 1
            u.renew(with: tokens, sent: sent, at: done, configuration: configuration)
        } else {
            recorder.refreshesRotated += 1
            recorder.check(!u.hasSpent(tokens.refreshToken), .successorNotNew)
            u.rotate(to: tokens, spending: current, sent: sent, at: done, configuration: configuration)
        }
    }

    private func login(_ u: inout VirtualUser, base: UInt64) async {
        let account = credentials.credentials(Int(u.number))
        let outcome = await target.login(username: account.username, password: account.password)
        let done = monotonicNanoseconds()
        note(outcome)
        recorder.record(.login, from: base, to: done, outcome)
        if case .ok(let tokens) = outcome {
            u.begin(tokens, sent: base, at: done, configuration: configuration)
        }
    }

    private func access(_ u: inout VirtualUser, base: UInt64) async {
        let c = configuration
        if c.expiredAccessRatio > 0, u.rng.chance(c.expiredAccessRatio),
           let expired = u.expiredAccess(now: monotonicNanoseconds(), leeway: leeway) {
            await hostileAccess(expired, .expiredAccessAccepted, .expiredAccess)
            return
        }
        if c.forgedAccessRatio > 0, u.rng.chance(c.forgedAccessRatio) {
            await hostileAccess(forge(u.accessToken), .forgedAccessAccepted, .forgedAccess)
            return
        }
        let sent = monotonicNanoseconds()
        let outcome = await target.access(accessToken: u.accessToken)
        let done = monotonicNanoseconds()
        note(outcome)
        switch outcome {
        case .ok:
            // RFC 9068: an unexpired access token of a live session opens the resource.
            recorder.check(true, .validAccessRejected)
            u.accessAccepted = true
            recorder.record(.access, from: base, to: done, outcome)
        case .rejected(.invalidToken, _) where u.accessAccepted && sent < u.accessSurelyValidUntil:
            recorder.check(false, .validAccessRejected)
            recorder.record(.access, from: base, to: done, outcome)
        default:
            recorder.record(.access, from: base, to: done, outcome)
        }
    }

    private func hostileAccess(_ token: String, _ kind: InvariantKind, _ hostile: HostileKind) async {
        let outcome = await target.access(accessToken: token)
        note(outcome)
        let answer = HostileAnswer(outcome)
        recorder.hostile(hostile, answer)
        switch answer {
        case .accepted: recorder.check(false, kind)
        case .refused: recorder.check(true, kind)
        case .unjudged: break // no verdict: the target did not judge the token
        }
    }

    private func refresh(_ u: inout VirtualUser, base: UInt64) async {
        let c = configuration
        let current = u.refreshToken
        if c.replayRatio > 0, u.rng.chance(c.replayRatio),
           let stale = u.unambiguouslySpent(now: monotonicNanoseconds(), grace: grace) {
            await replay(stale, then: current, &u)
            return
        }
        if c.concurrentRefreshRatio > 0, u.rng.chance(c.concurrentRefreshRatio) {
            await twoTabs(current, &u, base: base)
            return
        }
        let sent = monotonicNanoseconds()
        let outcome = await target.refresh(refreshToken: current)
        let done = monotonicNanoseconds()
        note(outcome)
        recorder.record(.refresh, from: base, to: done, outcome)
        switch outcome {
        case .ok(let tokens):
            acceptCurrent(tokens, current: current, &u, sent: sent, done: done)
        case .rejected(.rateLimited, _):
            u.endSession() // a 429 says nothing about the token; log in again later
        case .rejected:
            // The current token of a live family must rotate.
            judgeRefusedCurrent(u, sentAt: sent)
            u.endSession() // rejected: log in again
        case .failed:
            // The request may or may not have reached the server and rotated the token: the
            // session's state is unknown, so the user logs in again rather than retry a token
            // that could now count as reused.
            u.endSession()
        }
    }

    /// A refusal of the current token sent at `sentAt`: a violation while the family is surely
    /// alive; not judged when the server's refresh-token lifetime is unknown.
    private func judgeRefusedCurrent(_ u: VirtualUser, sentAt: UInt64) {
        if u.familySurelyAlive(at: sentAt) {
            recorder.check(false, .currentTokenRejected)
        } else if configuration.refreshTTL == nil {
            recorder.invariantsUnjudged += 1
        }
    }

    /// A thief replays a spent token: it must be refused, and the family revoked, so that the
    /// newest token no longer refreshes (RFC 9700 §4.14.2).
    private func replay(_ stale: String, then current: String, _ u: inout VirtualUser) async {
        let outcome = await target.refresh(refreshToken: stale)
        note(outcome)
        switch outcome {
        case .ok:
            // One failure, counted once: the replay itself was accepted.
            recorder.hostile(.replay, .accepted)
            recorder.check(false, .spentTokenAccepted)
            u.endSession()
            return
        case .rejected(.rateLimited, _):
            recorder.hostile(.replay, HostileAnswer(outcome))
            return // no verdict (a 429 says nothing about the token); the user tries again later
        case .failed:
            // No verdict, and the family's state is unknown: the server may have detected the
            // reuse and revoked the family, then lost its answer (a store error after the
            // commit). Its current token can no longer be judged: log in again.
            recorder.hostile(.replay, HostileAnswer(outcome))
            u.endSession()
            return
        case .rejected:
            recorder.hostile(.replay, HostileAnswer(outcome))
            recorder.check(true, .spentTokenAccepted)
        }
        let start = monotonicNanoseconds()
        let legit = await target.refresh(refreshToken: current)
        let done = monotonicNanoseconds()
        note(legit)
        switch legit {
        case .ok: recorder.check(false, .familyNotRevokedAfterReplay)
        case .rejected(.rateLimited, _): break // no verdict
        case .rejected: recorder.check(true, .familyNotRevokedAfterReplay)
        case .failed: recorder.record(.refresh, from: start, to: done, legit)
        }
        u.endSession() // the session is gone: log in again
    }

    /// Two tabs refresh the same token at once. Whatever the grace window, one login must stay
    /// one session: two different successors that both keep refreshing are a fork. With a grace
    /// window (> 0) both must succeed with the same successor; without one (0) the duplicate
    /// is reuse and may be refused; unknown, a refusal is not judged.
    private func twoTabs(_ current: String, _ u: inout VirtualUser, base: UInt64) async {
        let sent = monotonicNanoseconds()
        // Two servers of a several-server target take one tab each (any two in turn).
        let node = Int(truncatingIfNeeded: sent >> 10 & 0xffff)
        async let first = TargetNode.$preferred.withValue(node) { await target.refresh(refreshToken: current) }
        async let second = TargetNode.$preferred.withValue(node + 1) { await target.refresh(refreshToken: current) }
        let (a, b) = await (first, second)
        let done = monotonicNanoseconds()
        note(a)
        note(b)
        // The pair is accepted when both tabs succeed, refused when one was refused, and
        // unjudged when neither was refused and one got no verdict (429, 5xx, no answer).
        let answers = [HostileAnswer(a), HostileAnswer(b)]
        let pair = answers.first(where: \.isRefused) ?? answers.first(where: \.isUnjudged) ?? .accepted
        recorder.hostile(.concurrentRefresh, pair)
        switch (a, b) {
        case (.ok(let ta), .ok(let tb)) where ta.refreshToken == tb.refreshToken:
            recorder.check(true, .concurrentRefreshForked)
            recorder.record(.refresh, from: base, to: done, error: nil)
            acceptCurrent(ta, current: current, &u, sent: sent, done: done)
        case (.ok(let ta), .ok(let tb)):
            // Two successors: does each keep working?
            recorder.record(.refresh, from: base, to: done, error: nil)
            async let followA = target.refresh(refreshToken: ta.refreshToken)
            async let followB = target.refresh(refreshToken: tb.refreshToken)
            let (fa, fb) = await (followA, followB)
            note(fa)
            note(fb)
            if fa.succeeded && fb.succeeded {
                recorder.check(false, .concurrentRefreshForked)
            } else if fa.succeeded || fb.succeeded || fa.isRefusal || fb.isRefusal {
                recorder.check(true, .concurrentRefreshForked)
            }
            u.endSession() // the family's state after the siblings' refreshes is the server's choice
        case (.ok(let t), .rejected(.rateLimited, _)), (.rejected(.rateLimited, _), .ok(let t)):
            recorder.record(.refresh, from: base, to: done, error: nil)
            acceptCurrent(t, current: current, &u, sent: sent, done: done)
        case (.ok, .rejected(let kind, let d)), (.rejected(let kind, let d), .ok):
            if let grace, grace > 0 {
                if u.familySurelyAlive(at: sent) { recorder.check(false, .benignConcurrentRefreshRevoked) }
                recorder.record(.refresh, from: base, to: done, error: d.code ?? kind.rawValue, status: d.status)
            } else {
                // No grace window: the duplicate is reuse, refused by design. Unknown: not judged.
                if grace == nil { recorder.invariantsUnjudged += 1 }
                recorder.record(.refresh, from: base, to: done, error: nil)
            }
            u.endSession() // reuse may have revoked the family
        case (.rejected(.rateLimited, let d), .rejected), (.rejected, .rejected(.rateLimited, let d)):
            recorder.record(.refresh, from: base, to: done, error: d.code ?? RejectionKind.rateLimited.rawValue, status: d.status)
            u.endSession()
        case (.rejected(let kind, let d), .rejected):
            // Neither request rotated the current token of the family.
            if let grace, grace > 0, u.familySurelyAlive(at: sent) {
                recorder.check(false, .benignConcurrentRefreshRevoked)
            } else {
                judgeRefusedCurrent(u, sentAt: sent)
            }
            recorder.record(.refresh, from: base, to: done, error: d.code ?? kind.rawValue, status: d.status)
            u.endSession()
        case (.failed(let kind, let d), _), (_, .failed(let kind, let d)):
            recorder.record(.refresh, from: base, to: done, error: d.code ?? kind.rawValue, status: d.status)
            u.endSession() // whether the failed one rotated or counted as reuse is unknown
        }
    }

    private func endSession(_ u: inout VirtualUser, base: UInt64) async {
        let c = configuration
        // A target that cannot revoke never logs out: its sessions are abandoned, and nothing
        // is expected of them.
        guard target.canRevoke, u.rng.chance(c.logoutRatio) else {
            u.endSession() // abandoned: the tokens are simply forgotten
            return
        }
        let token = u.refreshToken
        let outcome = await target.logout(refreshToken: token, accessToken: u.accessToken)
        let done = monotonicNanoseconds()
        note(outcome)
        recorder.record(.logout, from: base, to: done, outcome)
        if case .ok = outcome {
            // After the logout was acknowledged, the refresh token must be dead.
            let after = await target.refresh(refreshToken: token)
            note(after)
            let answer = HostileAnswer(after)
            recorder.hostile(.postLogoutRefresh, answer)
            switch answer {
            case .accepted: recorder.check(false, .mintedAfterRevocation)
            case .refused: recorder.check(true, .mintedAfterRevocation)
            case .unjudged: break // no verdict
            }
        }
        u.endSession()
    }

    /// The audit after a fault run (``FamilyAudit``): each user whose family is surely alive
    /// refreshes once and uses the new access token once. Counted as invariant checks
    /// (`family_lost`, `family_corrupted`). Run after ``run()`` has returned.
    package func audit() async -> FamilyAudit {
        var a = FamilyAudit()
        for slot in users.indices where users[slot].phase == .active {
            var u = users[slot]
            let sent = monotonicNanoseconds()
            guard u.familySurelyAlive(at: sent) else { a.notJudged += 1; continue }
            let current = u.refreshToken
            switch await target.refresh(refreshToken: current) {
            case .ok(let tokens):
                let spentAgain = tokens.refreshToken != current && u.hasSpent(tokens.refreshToken)
                let access = await target.access(accessToken: tokens.accessToken)
                let refused: Bool
                switch access {
                case .ok: refused = false
                case .rejected(.rateLimited, _), .failed: a.notJudged += 1; continue
                case .rejected: refused = true
                }
                a.checked += 1
                recorder.check(true, .familyLost)
                recorder.check(!(spentAgain || refused), .familyCorrupted)
                if spentAgain || refused { a.corrupted += 1 } else { a.intact += 1 }
                u.renew(with: tokens, sent: sent, at: monotonicNanoseconds(), configuration: configuration)
                users[slot] = u
            case .rejected(.rateLimited, _), .failed:
                a.notJudged += 1
            case .rejected:
                a.checked += 1
                a.lost += 1
                recorder.check(false, .familyLost)
            }
        }
        return a
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
    /// `nil` on success, else the error label recorded for it: the server's error code when it
    /// sent one, else the driver's classification.
    package var errorLabel: String? {
        switch self {
        case .ok: nil
        case .rejected(let kind, let detail): detail.code ?? kind.rawValue
        case .failed(let kind, let detail): detail.code ?? kind.rawValue
        }
    }
}

/// Stops a run at once: the first reason wins (a wrong endpoint, which is the tool's
/// configuration, not the server's fault).
package final class RunAbort: Sendable {
    private let flag = Atomic<Bool>(false)
    private let first = Locked<FailureDetail?>(nil)

    package func stop(because detail: FailureDetail) {
        first.withLock { if $0 == nil { $0 = detail } }
        flag.store(true, ordering: .releasing)
    }

    package var isSet: Bool { flag.load(ordering: .acquiring) }
    package var reason: FailureDetail? { first.withLock { $0 } }
}
