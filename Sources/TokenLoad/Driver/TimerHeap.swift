import TokenResults
/// A binary min-heap of (due time, user index): each worker's scheduler. Idle virtual users
/// cost 16 bytes here and no thread; the worker sleeps until the earliest is due.
package struct TimerHeap {
    private var due: [UInt64] = []
    private var users: [Int32] = []

    package init(capacity: Int) {
        due.reserveCapacity(capacity)
        users.reserveCapacity(capacity)
    }

    package var isEmpty: Bool { due.isEmpty }
    package var count: Int { due.count }
    /// The earliest due time, if any.
    package var nextDue: UInt64? { due.first }

    package mutating func push(_ time: UInt64, _ user: Int32) {
        due.append(time)
        users.append(user)
        var i = due.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard due[parent] > due[i] else { break }
            due.swapAt(parent, i)
            users.swapAt(parent, i)
            i = parent
        }
    }

    /// Removes and returns the earliest entry.
    package mutating func pop() -> (due: UInt64, user: Int32)? {
        guard let top = due.first else { return nil }
        let user = users[0]
        let last = due.count - 1
        due.swapAt(0, last)
        users.swapAt(0, last)
        due.removeLast()
        users.removeLast()
        var i = 0
        let n = due.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < n && due[l] < due[smallest] { smallest = l }
            if r < n && due[r] < due[smallest] { smallest = r }
            if smallest == i { break }
            due.swapAt(i, smallest)
            users.swapAt(i, smallest)
            i = smallest
        }
        return (top, user)
    }
}
