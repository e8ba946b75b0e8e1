// ConvTuningTests.swift — the tiling search (candidates, correctness gate, choice) and the per-device store.
import Foundation
import XCTest
@testable import GPUStyle

final class ConvTuningTests: XCTestCase {
    private func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gpustyle-tuning-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func stored(for device: OpenCLDeviceInfo, _ tuning: ConvTuning) -> StoredConvTuning {
        StoredConvTuning(device: device.name, platform: device.platformName, driver: device.driverVersion, tuning: tuning,
                         imageSize: 64, milliseconds: 1, defaultMilliseconds: 2, candidatesTried: 2, measuredAt: "now")
    }

    func testCandidatesStartWithTheDefaultAndFitTheDevice() throws {
        for quick in [false, true] {
            let list = ConvTuner.shapeCandidates(maxWorkGroupSize: 256, localMemoryBytes: 48 * 1024, quick: quick)
            XCTAssertEqual(list.first, ConvTuning())
            XCTAssertEqual(Set(list.map { $0.buildOptions + $0.gemm.buildOptions + $0.algorithm.rawValue }).count, list.count, "no tiling twice")
            for t in list {
                XCTAssertNoThrow(try t.validate(maxWorkGroupSize: 256, localMemoryBytes: 48 * 1024), t.buildOptions)
                XCTAssertLessThanOrEqual(t.pixelsPerItem * t.channelsPerItem, 64)
                XCTAssertLessThanOrEqual(t.gemm.channelsPerItem * t.gemm.tilesPerItem, 64)
            }
            XCTAssertGreaterThan(list.filter { $0.algorithm == .winograd }.count, quick ? 3 : 20)
            XCTAssertGreaterThan(list.filter { $0.algorithm == .direct }.count, quick ? 5 : 40)
        }
        // A small device gets only what fits it.
        let small = ConvTuner.shapeCandidates(maxWorkGroupSize: 128, localMemoryBytes: 16 * 1024)
        XCTAssertTrue(small.allSatisfy { $0.threads <= 128 && $0.localBytes <= 16 * 1024 })
        XCTAssertTrue(small.filter { $0.algorithm == .winograd }.allSatisfy { $0.gemm.threads <= 128 && $0.gemm.localBytes <= 16 * 1024 })
    }

    /// Refinement varies the depth of the fastest GEMMs and the chunk of the fastest direct tilings; the combination
    /// joins the fastest GEMM with the fastest direct tiling.
    func testRefinementAndCombination() {
        let gemm = GemmTiling(outChannels: 128, tiles: 64, depth: 8, channelsPerItem: 8, tilesPerItem: 4)
        let direct = ConvTuning(tileWidth: 32, tileHeight: 8, tileOutChannels: 64, chunkInChannels: 8, pixelsPerItem: 8, channelsPerItem: 8, algorithm: .direct)
        let trials = [ConvTuningTrial(tuning: ConvTuning(), milliseconds: 20, rejection: nil),
                      ConvTuningTrial(tuning: ConvTuning(gemm: gemm), milliseconds: 10, rejection: nil),
                      ConvTuningTrial(tuning: direct, milliseconds: 30, rejection: nil),
                      ConvTuningTrial(tuning: ConvTuning(algorithm: .direct), milliseconds: nil, rejection: "wrong")]
        let refined = ConvTuner.refinements(of: trials, refine: 1)
        XCTAssertEqual(refined.map(\.algorithm), [.direct, .direct, .winograd, .winograd, .winograd])
        XCTAssertEqual(refined.map(\.chunkInChannels), [4, 16, 8, 8, 8])
        XCTAssertEqual(refined.map(\.gemm.depth), [8, 8, 4, 16, 8])
        XCTAssertEqual(refined.map(\.gemm.prefetch), [false, false, false, false, true])
        XCTAssertEqual(refined.last?.gemm.outChannels, 128)
        XCTAssertEqual(refined.first?.tileWidth, 32)
        let combined = ConvTuner.combination(of: trials)
        XCTAssertEqual(combined?.algorithm, .winograd)
        XCTAssertEqual(combined?.gemm, gemm)
        XCTAssertEqual(combined?.tileWidth, 32)
        XCTAssertNil(ConvTuner.combination(of: Array(trials.prefix(2))))
    }

    /// The last stage tries the fastest timed Winograd tiling with each chunk size below the scratch; none without one.
    /// A file stored before chunk sizes existed reads as "no chunk size". GPUSTYLE_WINOGRAD_CHUNK takes sizes and max.
    func testChunkVariantsOfTheFastestWinogradTiling() throws {
        let gemm = GemmTiling(outChannels: 128, tiles: 64, depth: 8, channelsPerItem: 8, tilesPerItem: 4)
        let trials = [ConvTuningTrial(tuning: ConvTuning(), milliseconds: 20, rejection: nil),
                      ConvTuningTrial(tuning: ConvTuning(gemm: gemm), milliseconds: 10, rejection: nil),
                      ConvTuningTrial(tuning: ConvTuning(algorithm: .direct), milliseconds: 5, rejection: nil),
                      ConvTuningTrial(tuning: ConvTuning(gemm: GemmTiling(outChannels: 32)), milliseconds: nil, rejection: "wrong")]
        let variants = ConvTuner.chunkVariants(of: trials, scratchBytes: 512 << 20)
        XCTAssertEqual(variants.map(\.winogradChunkBytes), ConvTuner.chunkSizes.map { $0 })
        XCTAssertTrue(variants.allSatisfy { $0.gemm == gemm && $0.algorithm == .winograd })
        XCTAssertEqual(variants.last?.summary.contains("tile chunks ≤ 16 MiB"), true)
        XCTAssertEqual(ConvTuner.chunkVariants(of: trials, scratchBytes: 32 << 20).map(\.winogradChunkBytes), [16 << 20])
        XCTAssertTrue(ConvTuner.chunkVariants(of: [trials[2], trials[3]], scratchBytes: 512 << 20).isEmpty)

        // A ConvTuning as stored before chunk sizes existed (2026-11-27, 77d2a3e).
        let old = #"{"algorithm":"winograd","tileWidth":16,"tileHeight":8,"tileOutChannels":32,"chunkInChannels":8,"pixelsPerItem":8,"channelsPerItem":8,"gemm":{"outChannels":128,"tiles":64,"depth":8,"channelsPerItem":8,"tilesPerItem":4,"prefetch":false,"precision":"fp32"}}"#
        XCTAssertEqual(try JSONDecoder().decode(ConvTuning.self, from: Data(old.utf8)), ConvTuning(gemm: gemm))
        var chunked = ConvTuning()
        chunked.winogradChunkBytes = 32 << 20
        XCTAssertEqual(try JSONDecoder().decode(ConvTuning.self, from: JSONEncoder().encode(chunked)), chunked)

        XCTAssertEqual(try ConvTuning.chunkBytesFromEnvironment([:]), .none, "unset: the default")
        XCTAssertEqual(try ConvTuning.chunkBytesFromEnvironment(["GPUSTYLE_WINOGRAD_CHUNK": "32M"]), .some(32 << 20))
        XCTAssertEqual(try ConvTuning.chunkBytesFromEnvironment(["GPUSTYLE_WINOGRAD_CHUNK": "MAX"]), .some(nil))
        for bad in ["0.5", "lots", "-3M"] {
            XCTAssertThrowsError(try ConvTuning.chunkBytesFromEnvironment(["GPUSTYLE_WINOGRAD_CHUNK": bad])) {
                XCTAssertEqual(($0 as? GPUStyleError)?.kind, .usage, "\(bad): \($0)")
                XCTAssertTrue("\($0)".contains("GPUSTYLE_WINOGRAD_CHUNK"), "\($0)")
            }
        }
    }

    func testStoreRoundTripsPerDeviceAndCanBeTurnedOff() throws {
        let device = try OpenCLTestDevice.backend().device
        let folder = try temporaryFolder()
        let store = ConvTuningStore(directory: folder)
        XCTAssertNil(store.load(for: device))
        let tuning = ConvTuning(tileWidth: 16, tileHeight: 16, tileOutChannels: 64, chunkInChannels: 4, pixelsPerItem: 8, channelsPerItem: 8)
        let path = try store.save(stored(for: device, tuning), for: device)
        XCTAssertTrue(path.hasPrefix(folder.path))
        XCTAssertEqual(store.load(for: device)?.tuning, tuning)
        // A file naming another driver (e.g. copied between machines) is ignored.
        var other = stored(for: device, tuning)
        other.driver = "other"
        try JSONEncoder().encode(other).write(to: URL(fileURLWithPath: path))
        XCTAssertNil(store.load(for: device))
        // Damaged files count as absent.
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertNil(store.load(for: device))

        XCTAssertNil(ConvTuningStore.fromEnvironment(["GPUSTYLE_NO_TUNING": "1", "HOME": "/tmp"]).directory)
        XCTAssertEqual(ConvTuningStore.fromEnvironment(["XDG_CACHE_HOME": "/x"]).directory?.path, "/x/gpustyle/tuning")
        XCTAssertThrowsError(try ConvTuningStore(directory: nil).save(stored(for: device, tuning), for: device))
    }

    func testBackendUsesTheStoredTilingAndStillMatchesTheCPU() throws {
        let device = try OpenCLTestDevice.backend().device
        let store = ConvTuningStore(directory: try temporaryFolder())
        let tuning = ConvTuning(tileWidth: 8, tileHeight: 8, tileOutChannels: 16, chunkInChannels: 4, pixelsPerItem: 4, channelsPerItem: 4,
                                gemm: GemmTiling(outChannels: 32, tiles: 64, depth: 4, channelsPerItem: 4, tilesPerItem: 4))
        try store.save(stored(for: device, tuning), for: device)
        let backend = try OpenCLBackend(deviceIndex: device.index, convTuning: nil, tuningStore: store)
        XCTAssertEqual(backend.convTuning, tuning)
        XCTAssertTrue(backend.convTuningSource.hasPrefix("tuned"), backend.convTuningSource)
        XCTAssertTrue(backend.convTilingDescription.contains("tuned ("), backend.convTilingDescription)
        // --opencl-convolution direct keeps the stored tile sizes and says so.
        let direct = try OpenCLBackend(deviceIndex: device.index, convTuning: nil, algorithm: .direct, tuningStore: store)
        XCTAssertEqual(direct.convTuning.algorithm, .direct)
        XCTAssertEqual(direct.convTuning.gemm, tuning.gemm)
        XCTAssertTrue(direct.convTuningSource.hasSuffix(", direct asked for"), direct.convTuningSource)
        let untuned = try OpenCLBackend(deviceIndex: device.index, convTuning: nil, tuningStore: ConvTuningStore(directory: nil))
        XCTAssertEqual(untuned.convTuning, ConvTuning())
        XCTAssertEqual(untuned.convTuningSource, "default")
        // A stored tiling the device cannot run (too many work-items) falls back to the default.
        let huge = ConvTuning(tileWidth: 64, tileHeight: 64, tileOutChannels: 64, chunkInChannels: 8, pixelsPerItem: 1, channelsPerItem: 1)
        try store.save(stored(for: device, huge), for: device)
        XCTAssertEqual(try OpenCLBackend(deviceIndex: device.index, convTuning: nil, tuningStore: store).convTuning, ConvTuning())
    }

    func testTunerTimesCandidatesRejectsWhatCannotRunAndPicksATimedOne() throws {
        let device = try OpenCLTestDevice.backend().device
        let small = ConvTuning(tileWidth: 8, tileHeight: 4, tileOutChannels: 16, chunkInChannels: 4, pixelsPerItem: 2, channelsPerItem: 8)
        let impossible = ConvTuning(tileWidth: 64, tileHeight: 64, tileOutChannels: 64, chunkInChannels: 8, pixelsPerItem: 1, channelsPerItem: 1)
        var seen = 0
        let outcome = try ConvTuner.tune(deviceIndex: device.index, imageSize: 16, repeats: 1,
                                         candidates: [ConvTuning(), small, impossible]) { _, number, planned in
            seen = number
            XCTAssertEqual(planned, 3)
        }
        XCTAssertEqual(seen, 3)
        XCTAssertEqual(outcome.trials.count, 3)
        XCTAssertNotNil(outcome.trials[0].milliseconds)
        XCTAssertNotNil(outcome.trials[1].milliseconds)
        XCTAssertNil(outcome.trials[2].milliseconds)
        XCTAssertNotNil(outcome.trials[2].rejection)
        XCTAssertTrue([ConvTuning(), small].contains(outcome.best.tuning))
        XCTAssertEqual(outcome.best.defaultMilliseconds, outcome.trials[0].milliseconds)
        XCTAssertEqual(outcome.best.device, device.name)
        XCTAssertThrowsError(try ConvTuner.tune(deviceIndex: device.index, imageSize: 16, candidates: [impossible]))
        // Without the default among the timed tilings there is no default time, and the result still saves.
        let withoutDefault = try ConvTuner.tune(deviceIndex: device.index, imageSize: 16, repeats: 1, candidates: [small])
        XCTAssertNil(withoutDefault.best.defaultMilliseconds)
        XCTAssertNoThrow(try ConvTuningStore(directory: try temporaryFolder()).save(withoutDefault.best, for: device))
    }

    /// `tune --precision` searches tensor-core GEMM tilings: the default first, each one the kernel takes (narrow
    /// variant too) and the device fits, no warp tile above 64 channels × 32 tiles.
    func testTensorCoreCandidates() {
        for precision in [GemmPrecision.tf32x3, .tf32] {
            for quick in [false, true] {
                let list = GemmTiling.tensorCandidates(precision, maxWorkGroupSize: 1024, localMemoryBytes: 48 * 1024, quick: quick)
                XCTAssertEqual(list.first, GemmTiling.tensorCores(precision))
                XCTAssertEqual(Set(list.map(\.buildOptions)).count, list.count, "no tiling twice")
                XCTAssertGreaterThan(list.count, quick ? 8 : 30)
                for g in list {
                    XCTAssertEqual(g.precision, precision)
                    XCTAssertTrue(g.isValid && g.narrow.isValid, g.buildOptions)
                    XCTAssertTrue((64...256).contains(g.threads), g.buildOptions)
                    XCTAssertLessThanOrEqual(g.localBytes, 48 * 1024)
                    XCTAssertNoThrow(try ConvTuning(gemm: g).validate(maxWorkGroupSize: 1024, localMemoryBytes: 48 * 1024), g.buildOptions)
                }
            }
        }
        let small = GemmTiling.tensorCandidates(.tf32x3, maxWorkGroupSize: 128, localMemoryBytes: 8 * 1024)
        XCTAssertTrue(small.dropFirst().allSatisfy { $0.threads <= 128 && $0.localBytes <= 8 * 1024 })
    }

    /// Tensor-core tunings are stored beside the FP32 one, per precision; a --precision run takes the stored GEMM
    /// and keeps the FP32 tuning's direct tiles.
    func testTensorCoreTuningIsStoredPerPrecisionAndUsed() throws {
        let device = try OpenCLTestDevice.backend().device
        let store = ConvTuningStore(directory: try temporaryFolder())
        let fp32 = ConvTuning(tileWidth: 8, tileHeight: 8, tileOutChannels: 16, chunkInChannels: 4, pixelsPerItem: 4, channelsPerItem: 4)
        let gemm = GemmTiling.tensorCores(.tf32x3, outChannels: 64, tiles: 64, depth: 8, warps: 2)
        let fp32Path = try store.save(stored(for: device, fp32), for: device)
        let tensorPath = try store.save(stored(for: device, ConvTuning(gemm: gemm)), for: device)
        XCTAssertNotEqual(fp32Path, tensorPath)
        XCTAssertEqual(store.load(for: device)?.tuning, fp32)
        XCTAssertEqual(store.load(for: device, precision: .tf32x3)?.tuning.gemm, gemm)
        XCTAssertNil(store.load(for: device, precision: .tf32))

        let backend = try OpenCLBackend(deviceIndex: device.index, convTuning: nil, precision: .tf32x3, emulateTensorCores: true,
                                        tuningStore: store)
        XCTAssertEqual(backend.convTuning.gemm, gemm)
        XCTAssertEqual(backend.convTuning.tileWidth, 8, "the FP32 tuning's direct tiles stay")
        XCTAssertEqual(backend.convTuning.algorithm, .winograd)
        XCTAssertTrue(backend.convTuningSource.contains("tensor cores tf32x3 (emulated) tuned (\(tensorPath))"), backend.convTuningSource)
        // TF32 has no stored GEMM: the default one.
        let tf32 = try OpenCLBackend(deviceIndex: device.index, convTuning: nil, precision: .tf32, emulateTensorCores: true, tuningStore: store)
        XCTAssertEqual(tf32.convTuning.gemm, .tensorCores(.tf32))
    }

    /// The tuner times tensor-core GEMMs (emulated here) and checks them against the CPU: TF32's rounding passes its
    /// looser check, a 3×TF32 tiling the kernel gets wrong would not.
    func testTunerTimesTensorCoreTilings() throws {
        let device = try OpenCLTestDevice.backend().device
        for precision in [GemmPrecision.tf32x3, .tf32] {
            let other = ConvTuning(gemm: .tensorCores(precision, outChannels: 32, tiles: 32, depth: 8, warps: 2))
            let candidates = [ConvTuning(gemm: .tensorCores(precision))] + (precision == .tf32x3 ? [other] : [])
            let outcome = try ConvTuner.tune(deviceIndex: device.index, imageSize: 16, repeats: 1, precision: precision,
                                             emulateTensorCores: true, candidates: candidates)
            XCTAssertEqual(outcome.trials.compactMap(\.milliseconds).count, candidates.count, "\(outcome.trials.map { $0.rejection ?? "ok" })")
            XCTAssertEqual(outcome.best.tuning.gemm.precision, precision)
            XCTAssertNotNil(outcome.best.defaultMilliseconds)
        }
        XCTAssertThrowsError(try ConvTuner.tune(deviceIndex: device.index, imageSize: 16, precision: .tf32x3, emulateTensorCores: false)) {
            XCTAssertTrue("\($0)".contains("compute capability"), "\($0)")
        }
    }
}
