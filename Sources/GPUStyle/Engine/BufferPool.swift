// BufferPool.swift — scratch buffers for a repeating sequence of requests, planned once so that few device buffers serve them all.

/// Serves the activation and gradient buffers of one forward/backward cycle. The cycle's requests (sizes and
/// lifetimes) are first recorded on a `PlanningBackend`; `plan(_:)` then packs them into as few physical
/// buffers as it can (largest requests first, each into the smallest buffer that is idle for its whole
/// lifetime), and a planned pool allocates exactly those buffers up front and hands them out in the same order.
/// A buffer may be longer than its request: the ops that use pooled buffers take explicit sizes.
final class BufferPool {
    /// One request of a cycle: its size and the event times it was acquired and released (nil: held to the end).
    struct Request: Equatable { let count: Int; let acquired: Int; var released: Int? }

    private let backend: Backend
    private let assignment: [Int]?            // request index → slot (planned pools)
    private var slots: [DeviceBuffer] = []
    private var cursor = 0, clock = 0
    private var live: [ObjectIdentifier: Int] = [:]
    /// The requests of the current cycle so far (recording pools).
    private(set) var trace: [Request] = []
    /// Requests a planned pool could not serve from its plan (a sequence that differs from the recorded one).
    private(set) var unplannedRequests = 0

    /// A recording pool: every request allocates; releases drop the buffer.
    init(recordingOn backend: Backend) {
        self.backend = backend
        assignment = nil
    }

    /// A planned pool for `trace`: allocates the planned buffers now.
    init(backend: Backend, trace: [Request]) throws {
        self.backend = backend
        let (capacities, assignment) = BufferPool.plan(trace)
        self.assignment = assignment
        self.trace = trace
        slots = try capacities.map { try backend.makeBuffer(count: $0) }
    }

    /// Device bytes the pool holds.
    var heldBytes: Int { slots.reduce(0) { $0 + 4 * $1.count } }

    /// Starts a cycle: request numbering restarts and every buffer is free again.
    func beginCycle() {
        cursor = 0
        clock = 0
        live.removeAll()
        if assignment == nil { trace.removeAll() }
    }

    /// A buffer of at least `count` floats, contents undefined.
    func acquire(_ count: Int) throws -> DeviceBuffer {
        defer { cursor += 1; clock += 1 }
        guard let assignment else {
            let buffer = try backend.makeBuffer(count: count)
            live[ObjectIdentifier(buffer)] = trace.count
            trace.append(Request(count: count, acquired: clock, released: nil))
            return buffer
        }
        if cursor < trace.count, trace[cursor].count == count {
            return slots[assignment[cursor]]
        }
        unplannedRequests += 1
        let buffer = try backend.makeBuffer(count: count)
        slots.append(buffer)
        return buffer
    }

    /// Gives `buffer` back (recording pools note the time; planned pools know it already).
    func release(_ buffer: DeviceBuffer) {
        defer { clock += 1 }
        guard assignment == nil, let index = live.removeValue(forKey: ObjectIdentifier(buffer)) else { return }
        trace[index].released = clock
    }

    /// Packs `requests` into slots: returns each slot's capacity and each request's slot. Two requests share a
    /// slot only when their lifetimes [acquired, released) do not overlap.
    static func plan(_ requests: [Request]) -> (capacities: [Int], assignment: [Int]) {
        let order = requests.indices.sorted { (requests[$0].count, -requests[$0].acquired) > (requests[$1].count, -requests[$1].acquired) }
        var capacities: [Int] = [], busy: [[(Int, Int)]] = []
        var assignment = [Int](repeating: 0, count: requests.count)
        for index in order {
            let r = requests[index]
            let span = (r.acquired, r.released ?? Int.max)
            let fitting = capacities.indices.filter { slot in
                capacities[slot] >= r.count && !busy[slot].contains { $0.0 < span.1 && span.0 < $0.1 }
            }
            if let slot = fitting.min(by: { capacities[$0] < capacities[$1] }) {
                assignment[index] = slot
                busy[slot].append(span)
            } else {
                assignment[index] = capacities.count
                capacities.append(r.count)
                busy.append([span])
            }
        }
        return (capacities, assignment)
    }
}
