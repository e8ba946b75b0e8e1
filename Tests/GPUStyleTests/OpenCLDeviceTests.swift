// OpenCLDeviceTests.swift — device discovery and selection, error messages, build logs, allocation limits and the kernel cache.
import COpenCL
import Foundation
import XCTest
@testable import GPUStyle

final class OpenCLDeviceTests: XCTestCase {
    func testDeviceListIsConsistent() throws {
        let devices = try OpenCLDevices.list()
        guard !devices.isEmpty else {
            // Without a platform: no GPU for `--backend auto`, and opening a device is a clear .opencl error.
            XCTAssertFalse(OpenCLDevices.hasGPU)
            XCTAssertThrowsError(try OpenCLBackend(deviceIndex: nil)) { error in
                XCTAssertEqual((error as? GPUStyleError)?.kind, .opencl)
                XCTAssertTrue("\(error)".contains("no OpenCL device found"), "\(error)")
            }
            throw XCTSkip("no OpenCL platform: the rest of this test needs a device")
        }
        XCTAssertEqual(devices.map(\.index), Array(devices.indices))
        for device in devices {
            XCTAssertFalse(device.name.isEmpty)
            XCTAssertFalse(device.platformName.isEmpty)
            XCTAssertGreaterThan(device.maxAllocationBytes, 0)
            XCTAssertLessThanOrEqual(device.maxAllocationBytes, device.globalMemoryBytes)
            XCTAssertGreaterThan(device.computeUnits, 0)
            XCTAssertTrue(device.openCLCVersion.hasPrefix("OpenCL C"), device.openCLCVersion)
            XCTAssertTrue(device.description.hasPrefix("#\(device.index) "), device.description)
        }
        XCTAssertEqual(OpenCLDevices.hasGPU, devices.contains { $0.type == .gpu && $0.available })
        let backend = try OpenCLTestDevice.backend()
        XCTAssertEqual(backend.device.index, OpenCLDevices.defaultIndex(in: devices))
        XCTAssertEqual(backend.kind, "opencl")
        XCTAssertTrue(backend.deviceName.contains(backend.device.name))
    }

    /// nil picks the first available GPU (a vendor platform's before PoCL's), else the first available device; nothing
    /// available gives nil.
    func testDefaultDeviceRule() {
        func device(_ index: Int, _ type: OpenCLDeviceInfo.DeviceType, available: Bool = true, platform: String = "p") -> OpenCLDeviceInfo {
            OpenCLDeviceInfo(index: index, platformName: platform, platformVersion: "OpenCL 3.0", name: "d\(index)", vendor: "v",
                             type: type, available: available, globalMemoryBytes: 1 << 30, maxAllocationBytes: 1 << 28,
                             localMemoryBytes: 1 << 15, driverVersion: "1", deviceVersion: "OpenCL 3.0",
                             openCLCVersion: "OpenCL C 1.2", computeUnits: 4, maxWorkGroupSize: 256, baseAddressAlignmentBytes: 128)
        }
        XCTAssertEqual(OpenCLDevices.defaultIndex(in: [device(0, .cpu), device(1, .gpu, available: false), device(2, .gpu)]), 2)
        XCTAssertEqual(OpenCLDevices.defaultIndex(in: [device(0, .cpu, available: false), device(1, .accelerator)]), 1)
        XCTAssertNil(OpenCLDevices.defaultIndex(in: [device(0, .gpu, available: false)]))
        XCTAssertNil(OpenCLDevices.defaultIndex(in: []))
        // A vendor's GPU before the same card through PoCL, whatever the platform order.
        let pocl = "Portable Computing Language"
        XCTAssertEqual(OpenCLDevices.defaultIndex(in: [device(0, .cpu, platform: pocl), device(1, .gpu, platform: pocl),
                                                       device(2, .gpu, platform: "NVIDIA CUDA")]), 2)
        XCTAssertEqual(OpenCLDevices.defaultIndex(in: [device(0, .cpu, platform: pocl), device(1, .gpu, platform: pocl)]), 1)
    }

    func testUnknownDeviceIndexIsAUsageError() throws {
        let count = try OpenCLDevices.list().count
        guard count > 0 else { throw XCTSkip("no OpenCL platform: the ICD loader lists no device") }
        XCTAssertThrowsError(try OpenCLBackend(deviceIndex: count)) { error in
            XCTAssertEqual((error as? GPUStyleError)?.kind, .usage)
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
    }

    /// A failed call names the call and the CL_* code.
    func testFailedCallNamesCallAndCode() {
        XCTAssertThrowsError(try clCheck(CL_OUT_OF_RESOURCES, "clEnqueueNDRangeKernel(conv3x3)")) { error in
            let message = "\(error)"
            XCTAssertEqual((error as? GPUStyleError)?.kind, .opencl)
            XCTAssertTrue(message.hasPrefix("clEnqueueNDRangeKernel(conv3x3): CL_OUT_OF_RESOURCES (-5)"), message)
        }
        XCTAssertEqual(CLStatus.describe(-1001), "CL_PLATFORM_NOT_FOUND_KHR (-1001)")
        XCTAssertEqual(CLStatus.describe(-12345), "unknown OpenCL status (-12345)")
        XCTAssertTrue(CLStatus.advice(-9999).contains("context may now be unusable"), "NVIDIA's kernel fault gets -5's advice")
        XCTAssertNoThrow(try clCheck(CL_SUCCESS, "clFinish"))
    }

    /// A program that does not compile throws with the compiler's build log (which names the bad identifier).
    func testBuildFailureCarriesTheBuildLog() throws {
        let backend = try OpenCLTestDevice.backend()
        let source = "__kernel void broken(__global float* x) { x[0] = undeclared_thing_42; }\n"
        XCTAssertThrowsError(try backend.programs.build(source: source, options: "", label: "broken.cl")) { error in
            let message = "\(error)"
            XCTAssertEqual((error as? GPUStyleError)?.kind, .opencl)
            XCTAssertTrue(message.contains("clBuildProgram(broken.cl): CL_BUILD_PROGRAM_FAILURE (-11)"), message)
            XCTAssertTrue(message.contains("build log:"), message)
            XCTAssertTrue(message.contains("undeclared_thing_42"), message)
        }
    }

    /// Buffers beyond CL_DEVICE_MAX_MEM_ALLOC_SIZE, beyond 32-bit indexing, or whose byte size overflows are refused.
    func testOversizedAllocationsAreRefused() throws {
        let backend = try OpenCLTestDevice.backend()
        let tooMany = backend.maxAllocationBytes / 4 + 1
        if tooMany <= OpenCLBackend.maxElements {
            XCTAssertThrowsError(try backend.makeBuffer(count: tooMany)) { error in
                XCTAssertEqual((error as? GPUStyleError)?.kind, .opencl)
                XCTAssertTrue("\(error)".contains("CL_DEVICE_MAX_MEM_ALLOC_SIZE"), "\(error)")
            }
        }
        for count in [OpenCLBackend.maxElements + 1, Int.max] {
            XCTAssertThrowsError(try backend.makeBuffer(count: count)) { error in
                XCTAssertEqual((error as? GPUStyleError)?.kind, .opencl)
                XCTAssertTrue("\(error)".contains("cannot allocate"), "\(error)")
            }
        }
        XCTAssertThrowsError(try backend.makeVectorBank(rows: 2, length: backend.maxAllocationBytes / 4 + 1))
        // A 100-row bank of 1 KiB rows under a 1 KiB + 64 byte limit: one row per buffer, not refused.
        let small = try OpenCLBackend(deviceIndex: backend.device.index, convTuning: ConvTuning(), maxAllocationBytes: 1024 + 64)
        XCTAssertEqual((try small.makeVectorBank(rows: 100, length: 256) as! OpenCLVectorBank).chunks.count, 100)
        XCTAssertThrowsError(try small.makeBuffer(count: 300)) { error in
            XCTAssertTrue("\(error)".contains("(1200 bytes): larger than the largest single buffer this device allows, CL_DEVICE_MAX_MEM_ALLOC_SIZE = 1088 bytes"), "\(error)")
        }
    }

    /// `bench` counts kernel launches and blocking reads per iteration on OpenCL: an iteration
    /// enqueues its work and waits only for the losses and the L-BFGS dot products. With profiling, every launch
    /// of a further iteration is timed on the device.
    func testBenchCountsLaunchesAndHostWaits() throws {
        var options = BenchmarkOptions()
        (options.phases, options.lbfgsHistory, options.profileKernels) = (false, 3, true)
        let model = Model.random(.vgg16, seed: 2)
        // Direct convolutions: no Winograd weight transforms (slow in debug builds) for a count that does not need them.
        let backend = try OpenCLBackend(deviceIndex: try OpenCLTestDevice.backend().device.index, convTuning: ConvTuning(),
                                        algorithm: .direct, profiling: true)
        let gpu = try runBenchmark(backend: backend, model: model, width: 32, height: 32, iterations: 1, options: options)
        let launches = try XCTUnwrap(gpu.kernelLaunchesPerIteration), waits = try XCTUnwrap(gpu.hostWaitsPerIteration)
        XCTAssertGreaterThan(launches, 50, "11 convolutions forward and back, losses, L-BFGS")
        XCTAssertEqual(waits, 2, "one read of the losses, one of the L-BFGS dot products")
        let json = String(decoding: try JSONEncoder().encode(gpu), as: UTF8.self)
        XCTAssertTrue(json.contains("\"kernel_launches_per_iteration\"") && json.contains("\"host_waits_per_iteration\""), json)
        let profile = try XCTUnwrap(gpu.kernelProfile)
        XCTAssertEqual(gpu.kernelProfileIterations, 1)
        XCTAssertEqual(Double(profile.reduce(0) { $0 + $1.launches }), launches, "every launch of the profiled iteration is timed")
        XCTAssertEqual(profile.first?.kernel, "conv3x3", "convolutions take most of the device time: \(profile)")
        XCTAssertTrue(profile.allSatisfy { $0.seconds >= 0 } && profile.map(\.seconds) == profile.map(\.seconds).sorted(by: >))
        // Per shape: VGG16's 11 convolutions to relu5_1, forward and back, in 9 shapes (conv3_2/conv3_3 and
        // conv4_2/conv4_3 share theirs).
        let shapes = try XCTUnwrap(gpu.kernelProfileShapes)
        XCTAssertEqual(shapes.count, 18, "\(shapes.map(\.shape))")
        XCTAssertEqual(shapes.reduce(0) { $0 + $1.launches }, profile.filter { $0.kernel.hasPrefix("conv3x3") }.reduce(0) { $0 + $1.launches })
        XCTAssertTrue(shapes.contains { $0.shape == "conv 3→64 32×32" } && shapes.contains { $0.shape == "grad 256→512 4×4" },
                      "\(shapes.map(\.shape))")
        let span = try XCTUnwrap(gpu.kernelProfileSpanSeconds), busy = profile.reduce(0) { $0 + $1.seconds }
        XCTAssertTrue(span > 0 && busy <= span * 1.0001, "kernels \(busy) s within the span \(span) s (an in-order queue)")
        XCTAssertThrowsError(try OpenCLTestDevice.backend().startKernelProfile(), "a backend opened without profiling refuses")
    }

    /// GPUSTYLE_HOST_WAIT=sleep: reads that sleep until a completion callback give what blocking reads give, after
    /// queued kernels too (a download, the reductions that read their sums, one benchmark iteration's losses).
    func testSleepingReadsGiveWhatBlockingReadsGive() throws {
        let index = try OpenCLTestDevice.backend().device.index
        func results(_ wait: HostWait) throws -> [Double] {
            let gpu = try OpenCLBackend(deviceIndex: index, convTuning: ConvTuning(), algorithm: .direct)
            gpu.hostWait = wait
            let values = randomValues(100_003, seed: 5), other = randomValues(100_003, seed: 6)
            let (a, b) = (try gpu.makeBuffer(count: values.count), try gpu.makeBuffer(count: other.count))
            try gpu.upload(values, to: a)
            try gpu.upload(other, to: b)
            XCTAssertEqual(try gpu.download(a), values, "\(wait)")
            var options = BenchmarkOptions()
            (options.phases, options.lbfgsHistory, options.warmup) = (false, 3, false)
            let bench = try runBenchmark(backend: gpu, model: Model.random(.vgg16, seed: 2), width: 32, height: 32,
                                         iterations: 2, options: options)
            return [try gpu.dot(a, b), try gpu.sumAbs(a)] + bench.losses
        }
        let (sleeping, blocking) = (try results(.sleep), try results(.blocking))
        XCTAssertEqual(sleeping, blocking)
        XCTAssertEqual(sleeping.count, 4, "two sums and two iterations' losses")
    }

    /// Memory statistics count buffers, banks and prepared weights, and fall when they are freed.
    func testMemoryIsTracked() throws {
        let backend = try OpenCLBackend(deviceIndex: try OpenCLTestDevice.backend().device.index, convTuning: ConvTuning())
        XCTAssertEqual(backend.memory.currentBytes, 0)
        do {
            let buffer = try backend.makeBuffer(count: 1000)
            let bank = try backend.makeVectorBank(rows: 4, length: 10)
            XCTAssertGreaterThanOrEqual(backend.memory.currentBytes, 4000 + 4 * 40)
            _ = (buffer, bank)
        }
        XCTAssertEqual(backend.memory.currentBytes, 0)
        XCTAssertGreaterThanOrEqual(backend.memory.peakBytes, 4160)
        backend.resetPeakMemory()
        XCTAssertEqual(backend.memory.peakBytes, 0)
    }

    func testSHA256KnownAnswers() {
        XCTAssertEqual(SHA256("").hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256("abc").hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex,
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256([UInt8](repeating: 0x61, count: 1_000_000)).hex,
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The environment decides the cache folder; GPUSTYLE_NO_KERNEL_CACHE=1 turns it off.
    func testCacheLocationFromEnvironment() {
        XCTAssertNil(KernelBinaryCache.fromEnvironment(["GPUSTYLE_NO_KERNEL_CACHE": "1", "HOME": "/h"]).directory)
        XCTAssertEqual(KernelBinaryCache.fromEnvironment(["XDG_CACHE_HOME": "/x/c", "HOME": "/h"]).directory?.path, "/x/c/gpustyle/kernels")
        XCTAssertEqual(KernelBinaryCache.fromEnvironment(["HOME": "/h"]).directory?.path, "/h/.cache/gpustyle/kernels")
        XCTAssertNil(KernelBinaryCache.fromEnvironment([:]).directory)
        let a = KernelBinaryCache.key(source: "s", options: "o", deviceName: "d", driverVersion: "1", platformName: "p")
        XCTAssertNotEqual(a, KernelBinaryCache.key(source: "s", options: "o", deviceName: "d", driverVersion: "2", platformName: "p"))
        XCTAssertNotEqual(a, KernelBinaryCache.key(source: "s", options: "o2", deviceName: "d", driverVersion: "1", platformName: "p"))
    }

    /// A build stores a binary; the next build loads it; a damaged entry is ignored, rebuilt and rewritten.
    func testKernelCacheStoresLoadsAndSurvivesCorruption() throws {
        let shared = try OpenCLTestDevice.backend()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gpustyle-cache-test-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = KernelBinaryCache(directory: folder)
        let backend = try OpenCLBackend(deviceIndex: shared.device.index, convTuning: ConvTuning(), cache: cache)
        let buffer = try backend.makeBuffer(count: 4)  // zero-filled by elementwise.cl: built and stored first
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        XCTAssertEqual([backend.programs.sourceBuilds, backend.programs.cachedBuilds], [1, 0])
        let source = "__kernel void twice(__global float* x) { x[get_global_id(0)] *= 2.0f; }\n"
        _ = try backend.programs.build(source: source, options: "-D UNUSED=1", label: "twice.cl")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !before.contains($0) }
        XCTAssertEqual(files.count, 1, "\(files)")
        XCTAssertTrue(files[0].hasSuffix(".clbin"))
        let key = String(files[0].dropLast(6))
        XCTAssertNotNil(cache.load(key: key))

        XCTAssertEqual([backend.programs.sourceBuilds, backend.programs.cachedBuilds], [2, 0])
        // Loaded from the cache, the program still runs.
        let program = try backend.programs.build(source: source, options: "-D UNUSED=1", label: "twice.cl")
        XCTAssertEqual([backend.programs.sourceBuilds, backend.programs.cachedBuilds], [2, 1])
        let kernel = try CLKernel(program: program, name: "twice")
        try backend.upload([1, 2, 3, 4], to: buffer)
        try kernel.launch(on: backend.queue, global: [4], local: [1], [.buffer((buffer as! OpenCLBuffer).mem)])
        XCTAssertEqual(try backend.download(buffer), [2, 4, 6, 8])

        // Flip a byte of the binary: the entry no longer verifies, and a build replaces it.
        let url = folder.appendingPathComponent(files[0])
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[bytes.count - 10] ^= 0xFF
        try Data(bytes).write(to: url)
        XCTAssertNil(cache.load(key: key))
        try Data(bytes.prefix(50)).write(to: url)
        XCTAssertNil(cache.load(key: key))
        _ = try backend.programs.build(source: source, options: "-D UNUSED=1", label: "twice.cl")
        XCTAssertEqual([backend.programs.sourceBuilds, backend.programs.cachedBuilds], [3, 1])
        XCTAssertNotNil(cache.load(key: key), "the damaged entry was not rewritten")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).count, before.count + 1, "temporary files left behind")
    }
}
