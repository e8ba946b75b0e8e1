// BufferPool.swift — scratch buffers for a repeating sequence of requests, planned once into a few arenas.

/// Serves the activation and gradient buffers of one forward/backward cycle. The cycle's requests (sizes and
/// lifetimes) are first recorded on a `PlanningBackend`; `plan` then places each request at an offset in one of a
/// few large arenas (largest requests first, each at the lowest offset free for its whole lifetime, arenas no
/// larger than the device's largest buffer), so the arenas hold about the most memory that is live at once.
/// A planned pool allocates the arenas up front and hands out views of them in the recorded order.
final class BufferPool {
    /// One request of a cycle: its size and the event times it was acquired and released (nil: held to the end).
    struct Request: Equatable { let count: Int; let acquired: Int; var released: Int? }
    /// Where a request lives: an arena and an element offset in it.
    struct Placement: Equatable { let arena: Int; let offset: Int }

    private let backend: Backend
    private let views: [DeviceBuffer]?       // request index → its view (planned pools)
    private var arenas: [DeviceBuffer] = []
    private var cursor = 0, clock = 0
    private var live: [ObjectIdentifier: Int] = [:]
    /// The requests of the current cycle so far (recording pools), or the plan's (planned pools).
    private(set) var trace: [Request] = []
    /// Requests a planned pool could not serve from its plan (a sequence that differs from the recorded one).
    private(set) var unplannedRequests = 0

    /// A recording pool: every request allocates; releases drop the buffer.
    init(recordingOn backend: Backend) {
        self.backend = backend
        views = nil
    }

    /// A planned pool for `trace`: allocates the arenas and makes every request's view now.
    init(backend: Backend, trace: [Request]) throws {
        self.backend = backend
        self.trace = trace
        let limits = backend.memoryLimits
        let alignment = max(1, limits.viewAlignmentBytes / 4)
        let (capacities, placements) = BufferPool.plan(trace, arenaLimit: limits.maxBufferBytes / 4, alignment: alignment)
        let arenas = try capacities.map { try backend.makeBuffer(count: $0) }
        self.arenas = arenas
        views = try zip(trace, placements).map { request, place in
            try backend.makeView(of: arenas[place.arena], offset: place.offset, count: request.count)
        }
    }

    /// Device bytes the pool's arenas hold.
    var heldBytes: Int { arenas.reduce(0) { $0 + 4 * $1.count } }

    /// Starts a cycle: request numbering restarts and every buffer is free again.
    func beginCycle() {
        cursor = 0
        clock = 0
        live.removeAll()
        if views == nil { trace.removeAll() }
    }

    /// A buffer of `count` floats, contents undefined.
    func acquire(_ count: Int) throws -> DeviceBuffer {
        defer { cursor += 1; clock += 1 }
        guard let views else {
            let buffer = try backend.makeBuffer(count: count)
            live[ObjectIdentifier(buffer)] = trace.count
            trace.append(Request(count: count, acquired: clock, released: nil))
            return buffer
        }
        if cursor < trace.count, trace[cursor].count == count { return views[cursor] }
        unplannedRequests += 1
        let buffer = try backend.makeBuffer(count: count)
        arenas.append(buffer)
        return buffer
    }

    /// Gives `buffer` back (recording pools note the time; planned pools know it already).
    func release(_ buffer: DeviceBuffer) {
        defer { clock += 1 }
        guard views == nil, let index = live.removeValue(forKey: ObjectIdentifier(buffer)) else { return }
        trace[index].released = clock
    }

    /// Places `requests` in arenas of at most `arenaLimit` elements, at offsets that are multiples of `alignment`;
    /// two requests overlap in memory only when their lifetimes [acquired, released) do not. Returns each arena's
    /// size and each request's placement.
    static func plan(_ requests: [Request], arenaLimit: Int, alignment: Int) -> (capacities: [Int], placements: [Placement]) {
        let order = requests.indices.sorted { (requests[$0].count, -requests[$0].acquired) > (requests[$1].count, -requests[$1].acquired) }
        var capacities: [Int] = [], residents: [[(span: (Int, Int), lower: Int, upper: Int)]] = []
        var placements = [Placement](repeating: Placement(arena: 0, offset: 0), count: requests.count)
        func aligned(_ offset: Int) -> Int { (offset + alignment - 1) / alignment * alignment }
        for index in order {
            let r = requests[index]
            let span = (r.acquired, r.released ?? Int.max)
            var placed = false
            for arena in capacities.indices {
                let busy = residents[arena].filter { $0.span.0 < span.1 && span.0 < $0.span.1 }.sorted { $0.lower < $1.lower }
                var offset = 0
                for resident in busy {
                    if offset + r.count <= resident.lower { break }
                    offset = max(offset, aligned(resident.upper))
                }
                guard offset + r.count <= max(arenaLimit, r.count) else { continue }
                placements[index] = Placement(arena: arena, offset: offset)
                residents[arena].append((span, offset, offset + r.count))
                capacities[arena] = max(capacities[arena], offset + r.count)
                placed = true
                break
            }
            if !placed {
                placements[index] = Placement(arena: capacities.count, offset: 0)
                capacities.append(r.count)
                residents.append([(span, 0, r.count)])
            }
        }
        return (capacities, placements)
    }
}
