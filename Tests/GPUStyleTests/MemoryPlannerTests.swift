// MemoryPlannerTests.swift — the planner's prediction is what the backend counts; tight budgets shorten the history or fail clearly.
import XCTest
@testable import GPUStyle

final class MemoryPlannerTests: XCTestCase {
    // The CPU backend with im2col convolutions (the plain reference): these tests are about storage, and im2col is
    // much faster than Winograd in debug builds on tiny images.
    static let model = Model.random(.vgg16, seed: 5, upTo: "conv3_1")
    static let weights = LossWeights(content: 5, style: 100, tv: 1e-3, contentLayers: ["relu2_2"], styleLayers: ["relu1_1", "relu2_1", "relu3_1"])

    func image(_ width: Int, _ height: Int, seed: UInt64) -> RGBImage {
        RGBImage(width: width, height: height, pixels: randomValues(3 * width * height, seed: seed, in: 0...1))
    }

    func transfer(_ backend: Backend, layout: LayoutChoice, maxMemory: Int? = nil, history: Int = 20) throws -> StyleTransfer {
        let network = try PreparedNetwork(backend: backend, model: Self.model, deepestLayer: "relu3_1")
        var settings = RenderSettings(weights: Self.weights, iterations: 2)
        settings.layout = layout
        settings.maxMemoryBytes = maxMemory
        settings.lbfgsHistory = history
        return StyleTransfer(network: network, settings: settings)
    }

    /// On the CPU backend the measured peak is the simulated one plus, at most, the backend's own scratch (which the
    /// simulation leaves to the planner's reserve), for every layout.
    func testPlannedPeakIsTheMeasuredPeak() throws {
        for layout in [ActivationLayout.keepAll, .compact, .banded(rows: 16)] {
            let backend = CPUBackend(convolution: .im2col)
            let t = try transfer(backend, layout: .fixed(layout))
            let weights = backend.memory.currentBytes
            backend.resetPeakMemory()
            let result = try t.render(content: image(24, 70, seed: 1), width: 24, height: 70, styles: [image(20, 50, seed: 2)], blendWeights: [1])
            let scratch = backend.memory.currentBytes - weights  // what the backend kept after the rendering freed its buffers
            XCTAssertEqual(result.memoryPlan.layout, layout)
            XCTAssertLessThanOrEqual(result.memoryPlan.plannedPeakBytes, backend.memory.peakBytes, "\(layout): planned ≤ measured")
            XCTAssertLessThanOrEqual(backend.memory.peakBytes, result.memoryPlan.plannedPeakBytes + scratch,
                                     "\(layout): measured ≤ planned + backend scratch (\(scratch) bytes)")
        }
    }

    /// A budget between the leanest and the roomiest plan: bands and a shorter history, said in the summary.
    func testTightBudgetShortensTheHistory() throws {
        let backend = CPUBackend(convolution: .im2col)
        let network = try PreparedNetwork(backend: backend, model: Self.model, deepestLayer: "relu3_1")
        func plan(maxMemory: Int) throws -> MemoryPlan {
            var settings = RenderSettings(weights: Self.weights, iterations: 2)
            (settings.maxMemoryBytes, settings.lbfgsHistory) = (maxMemory, 20)
            return try StyleTransfer(network: network, settings: settings).memoryPlan(width: 64, height: 256, hasContent: true, styleSizes: [(64, 256)])
        }
        let roomy = try plan(maxMemory: 1 << 30)
        XCTAssertEqual(roomy.layout, .compact)
        XCTAssertEqual(roomy.lbfgsHistory, 20)
        // Room for the leanest layout with 10 pairs fewer than asked (each pair is two image-sized rows).
        let planner = MemoryPlanner(network: network, settings: RenderSettings(weights: Self.weights, iterations: 2), width: 64, height: 256,
                                    hasContent: true, styleSizes: [(64, 256)])
        let leanest = try [32, 43].map { try planner.simulatedPeak(layout: .banded(rows: $0), history: 20) }.min()!
        let room = leanest - 10 * 2 * (4 * 3 * 64 * 256) + backend.memory.currentBytes
        var (low, budget) = (room, 4 * room + (256 << 20))  // the least budget that leaves `room` beside the reserve
        while budget - low > 1 {
            let middle = (low + budget) / 2
            if middle - MemoryPlanner.reserve(budget: middle) >= room { budget = middle } else { low = middle }
        }
        budget += 64
        let tight = try plan(maxMemory: budget)
        guard case .banded = tight.layout else { return XCTFail("expected bands, got \(tight.layout)") }
        XCTAssertLessThan(tight.lbfgsHistory!, 20)
        XCTAssertGreaterThan(tight.lbfgsHistory!, 1)
        XCTAssertLessThanOrEqual(tight.plannedPeakBytes, budget)
        XCTAssertTrue(tight.summary.contains("(of 20 asked: memory)"), tight.summary)
    }

    /// A plan that cannot be simulated at all (a style image too small for the layers) says why, not "memory".
    func testUnplannableJobReportsTheRealReason() throws {
        XCTAssertThrowsError(try transfer(CPUBackend(convolution: .im2col), layout: .auto, maxMemory: 1 << 30)
            .memoryPlan(width: 64, height: 256, hasContent: true, styleSizes: [(3, 3)])) { error in
            XCTAssertTrue("\(error)".contains("too small"), "\(error)")
            XCTAssertFalse("\(error)".contains("memory"), "\(error)")
        }
    }

    func testImpossibleBudgetIsAUsageErrorWithNumbers() throws {
        XCTAssertThrowsError(try transfer(CPUBackend(convolution: .im2col), layout: .auto, maxMemory: 1 << 20)
            .memoryPlan(width: 64, height: 256, hasContent: true, styleSizes: [(64, 256)])) { error in
            XCTAssertEqual((error as? GPUStyleError)?.kind, .usage)
            XCTAssertTrue("\(error)".contains("--max-memory") && "\(error)".contains("MiB"), "\(error)")
        }
    }

    /// An image whose buffers exceed the device's largest single allocation says so, not "needs X but the budget is Y".
    func testBufferOverTheLargestAllocationIsNamed() throws {
        let device = try OpenCLTestDevice.backend().device
        let backend = try OpenCLBackend(deviceIndex: device.index, convTuning: ConvTuning(), maxAllocationBytes: 16 << 20)
        let network = try PreparedNetwork(backend: backend, model: Self.model, deepestLayer: "relu3_1")
        let transfer = StyleTransfer(network: network, settings: RenderSettings(weights: Self.weights, iterations: 2))
        XCTAssertThrowsError(try transfer.memoryPlan(width: 2048, height: 2048, hasContent: true, styleSizes: [(64, 64)])) { error in
            XCTAssertEqual((error as? GPUStyleError)?.kind, .usage)
            XCTAssertTrue("\(error)".contains("2048×2048 needs a single buffer of"), "\(error)")
            XCTAssertTrue("\(error)".contains("largest allocation (16.0 MiB)"), "\(error)")
            XCTAssertFalse("\(error)".contains("budget"), "\(error)")
        }
    }

    func testOptionParsing() throws {
        XCTAssertEqual(try parseByteCount("16G"), 16 << 30)
        XCTAssertEqual(try parseByteCount("16GB"), 16_000_000_000)
        XCTAssertEqual(try parseByteCount("1.5 GiB"), 3 << 29)
        XCTAssertEqual(try parseByteCount("512m"), 512 << 20)
        XCTAssertEqual(try parseByteCount("4096"), 4096)
        for bad in ["", "G", "-1G", "16X", "1e30T"] { XCTAssertThrowsError(try parseByteCount(bad), bad) }
        XCTAssertEqual(try LayoutChoice(parsing: "auto"), .auto)
        XCTAssertEqual(try LayoutChoice(parsing: "banded:96"), .fixed(.banded(rows: 96)))
        XCTAssertEqual(try LayoutChoice(parsing: "keep-all"), .fixed(.keepAll))
        for bad in ["banded:0", "bands", "compact:3"] { XCTAssertThrowsError(try LayoutChoice(parsing: bad), bad) }
    }

    func testScaleSchedules() throws {
        var options = StylizeOptions()
        options.imageSize = 2048
        XCTAssertEqual(try options.scaleSchedule(iterations: 400), [ScaleStep(longestSide: 2048, iterations: 400)])
        options.scales = try ScaleSpec(parsing: "4")
        XCTAssertEqual(try options.scaleSchedule(iterations: 400).map(\.longestSide), [256, 512, 1024, 2048])
        XCTAssertEqual(try options.scaleSchedule(iterations: 400).map(\.iterations), [400, 200, 100, 50])
        options.scales = try ScaleSpec(parsing: "300,1000,2048")
        options.scaleIterations = [50]
        XCTAssertEqual(try options.scaleSchedule(iterations: 400).map(\.iterations), [50, 50, 50])
        options.scaleIterations = [1, 2]
        XCTAssertThrowsError(try options.scaleSchedule(iterations: 400), "two values for three scales")
        options.scaleIterations = nil
        for bad in ["300,1000,1024", "1000,300,2048", "8,2048"] {
            options.scales = try ScaleSpec(parsing: bad)
            XCTAssertThrowsError(try options.scaleSchedule(iterations: 400), bad)
        }
        XCTAssertThrowsError(try ScaleSpec(parsing: "256,x"))
        XCTAssertThrowsError(try ScaleSpec(parsing: "50")) { XCTAssertTrue("\($0)".contains("one value is a number of scales, 1…16"), "\($0)") }
        options.outputSize = (600, 300)
        options.scales = .count(2)
        XCTAssertEqual(try options.scaleSchedule(iterations: 10).map(\.longestSide), [300, 600], "texture synthesis scales --output-size")
    }
}
