// MemoryOptions.swift — `--max-memory` and `--memory-plan`, shared by stylize and bench.
import ArgumentParser
import GPUStyle

struct MemoryOptions: ParsableArguments {
    @Option(help: "Device memory to plan for, e.g. 16G (GiB), 16GB (10⁹ bytes), 512M (default: 90% of the device's; for the CPU backend, of available RAM).")
    var maxMemory: String?
    @Option(help: "How activations are stored: auto (the fastest that fits), keep-all, compact, or banded[:ROWS] (the full-resolution layers recomputed in bands).")
    var memoryPlan = "auto"

    func maxMemoryBytes() throws -> Int? { try maxMemory.map { try parseByteCount($0) } }
    func layout() throws -> LayoutChoice { try LayoutChoice(parsing: memoryPlan) }
}
