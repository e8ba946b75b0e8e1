// OpenCLLossAndVectorTests.swift — OpenCL losses, optimiser vector ops and vector banks against the CPU backend.
import XCTest
@testable import GPUStyle

final class OpenCLLossAndVectorTests: XCTestCase {
    /// Losses agree within 1e-5 relative (FP32 tree sums vs the CPU's Double sums); gradients within 1e-5
    /// of their largest magnitude; only the addressed slot of `losses` changes.
    func testLossesMatchCPU() throws {
        let pair = try BackendPair()
        for (count, seed) in [(1, UInt64(1)), (255, 2), (70 * 9 * 11, 3), (300_001, 4)] {
            let features = try pair.buffers(randomValues(count, seed: seed))
            let target = try pair.buffers(randomValues(count, seed: seed + 10))
            let gradient = try pair.buffers(randomValues(count, seed: seed + 20))
            let losses = try pair.buffers([1, 2, 3, 4])
            for backend in [pair.cpu as Backend, pair.gpu] {
                let isCPU = backend === pair.cpu
                try backend.contentLoss(features: isCPU ? features.cpu : features.gpu, target: isCPU ? target.cpu : target.gpu,
                                        count: count, lossWeight: 5, gradient: isCPU ? gradient.cpu : gradient.gpu,
                                        gradientWeight: 0.75, losses: isCPU ? losses.cpu : losses.gpu, slot: 2)
            }
            let (expectedLosses, actualLosses) = try pair.download(losses)
            assertRelative(Double(actualLosses[2]), Double(expectedLosses[2]), 1e-5, "content loss over \(count)")
            XCTAssertEqual([actualLosses[0], actualLosses[1], actualLosses[3]], [1, 2, 4], "other loss slots changed")
            let (expected, actual) = try pair.download(gradient)
            assertClose(actual, expected, tolerance: 1e-5, "content gradient over \(count)")
            let weights = try pair.buffers(randomValues(count, seed: seed + 30, in: 0...1).enumerated().map { $0.offset % 5 == 1 ? 0 : $0.element })
            for backend in [pair.cpu as Backend, pair.gpu] {
                let isCPU = backend === pair.cpu
                try backend.weightedContentLoss(features: isCPU ? features.cpu : features.gpu, target: isCPU ? target.cpu : target.gpu,
                                                weights: isCPU ? weights.cpu : weights.gpu, count: count, lossWeight: 1e3,
                                                gradient: isCPU ? gradient.cpu : gradient.gpu, gradientWeight: 2,
                                                losses: isCPU ? losses.cpu : losses.gpu, slot: 0)
            }
            let (expectedWeighted, actualWeighted) = try pair.download(losses)
            assertRelative(Double(actualWeighted[0]), Double(expectedWeighted[0]), 1e-5, "weighted content loss over \(count)")
            XCTAssertEqual([actualWeighted[1], actualWeighted[3]], [2, 4], "other loss slots changed")
            let (expectedGradient, actualGradient) = try pair.download(gradient)
            assertClose(actualGradient, expectedGradient, tolerance: 1e-5, "weighted content gradient over \(count)")
        }
        for channels in [1, 5, 70] {
            let n = channels * channels
            let gram = try pair.buffers(randomValues(n, seed: 30)), target = try pair.buffers(randomValues(n, seed: 31))
            let gradGram = try pair.buffers(randomValues(n, seed: 32)), losses = try pair.buffers([0, 0])
            try pair.cpu.styleLoss(gram: gram.cpu, target: target.cpu, channels: channels, lossWeight: 100,
                                   gradGram: gradGram.cpu, gradientWeight: 2, losses: losses.cpu, slot: 1)
            try pair.gpu.styleLoss(gram: gram.gpu, target: target.gpu, channels: channels, lossWeight: 100,
                                   gradGram: gradGram.gpu, gradientWeight: 2, losses: losses.gpu, slot: 1)
            let (expectedLosses, actualLosses) = try pair.download(losses)
            assertRelative(Double(actualLosses[1]), Double(expectedLosses[1]), 1e-5, "style loss \(channels)")
            let (expected, actual) = try pair.download(gradGram)
            assertClose(actual, expected, tolerance: 1e-6, "style gradient \(channels) (overwritten)")
        }
        for (c, h, w) in [(3, 1, 1), (3, 1, 7), (3, 17, 13), (1, 64, 65), (3, 256, 190)] {
            let n = c * h * w
            let image = try pair.buffers(randomValues(n, seed: 40)), gradient = try pair.buffers(randomValues(n, seed: 41))
            let losses = try pair.buffers([9])
            try pair.cpu.tvLoss(image: image.cpu, channels: c, height: h, width: w, lossWeight: 1e-3,
                                gradient: gradient.cpu, gradientWeight: 0.5, losses: losses.cpu, slot: 0)
            try pair.gpu.tvLoss(image: image.gpu, channels: c, height: h, width: w, lossWeight: 1e-3,
                                gradient: gradient.gpu, gradientWeight: 0.5, losses: losses.gpu, slot: 0)
            let (expectedLosses, actualLosses) = try pair.download(losses)
            assertRelative(Double(actualLosses[0]), Double(expectedLosses[0]), 1e-5, "TV loss \(c)×\(h)×\(w)")
            let (expected, actual) = try pair.download(gradient)
            assertClose(actual, expected, tolerance: 1e-6, "TV gradient \(c)×\(h)×\(w)")
        }
    }

    /// A NaN anywhere in the input gives a NaN loss (nothing masks it).
    func testNonFiniteInputsPropagateIntoLosses() throws {
        let gpu = try OpenCLTestDevice.backend()
        var input = randomValues(5000, seed: 50)
        input[4321] = .nan
        let x = try gpu.makeBuffer(count: 5000), zero = try gpu.makeBuffer(count: 5000), gradient = try gpu.makeBuffer(count: 5000)
        let losses = try gpu.makeBuffer(count: 3)
        try gpu.upload(input, to: x)
        try gpu.contentLoss(features: x, target: zero, count: 5000, lossWeight: 1, gradient: gradient, gradientWeight: 1, losses: losses, slot: 0)
        try gpu.styleLoss(gram: x, target: zero, channels: 70, lossWeight: 1, gradGram: gradient, gradientWeight: 1, losses: losses, slot: 1)
        try gpu.tvLoss(image: x, channels: 2, height: 50, width: 50, lossWeight: 1, gradient: gradient, gradientWeight: 1, losses: losses, slot: 2)
        let values = try gpu.download(losses)
        XCTAssertTrue(values.allSatisfy(\.isNaN), "losses \(values)")
        XCTAssertTrue(try gpu.dot(x, x).isNaN)
        XCTAssertTrue(try gpu.sumAbs(x).isNaN)
        try gpu.sumAbs(x, losses: losses, slot: 1)
        XCTAssertTrue(try gpu.download(losses)[1].isNaN, "the in-queue Σ|x| (the gradient check) sees the NaN")
    }

    /// axpy, scale, Adam within 1e-6 of the largest magnitude; dot and sumAbs within 1e-5 relative.
    func testVectorOpsMatchCPU() throws {
        let pair = try BackendPair()
        for count in [1, 1000, 786_433] {
            let x = try pair.buffers(randomValues(count, seed: 60)), y = try pair.buffers(randomValues(count, seed: 61))
            try pair.cpu.axpy(alpha: -0.3, x: x.cpu, y: y.cpu)
            try pair.gpu.axpy(alpha: -0.3, x: x.gpu, y: y.gpu)
            try pair.cpu.scale(y.cpu, by: 1.7)
            try pair.gpu.scale(y.gpu, by: 1.7)
            let (expected, actual) = try pair.download(y)
            assertClose(actual, expected, tolerance: 1e-6, "axpy + scale over \(count)")
            assertRelative(try pair.gpu.dot(x.gpu, y.gpu), try pair.cpu.dot(x.cpu, y.cpu), 1e-5, "dot over \(count)")
            assertRelative(try pair.gpu.sumAbs(y.gpu), try pair.cpu.sumAbs(y.cpu), 1e-5, "sumAbs over \(count)")
            let slots = try pair.buffers([Float](repeating: 7, count: 3))
            try pair.cpu.sumAbs(y.cpu, losses: slots.cpu, slot: 2)
            try pair.gpu.sumAbs(y.gpu, losses: slots.gpu, slot: 2)
            let (expectedSlots, actualSlots) = try pair.download(slots)
            XCTAssertEqual(actualSlots.prefix(2), [7, 7], "only the slot is written")
            assertRelative(Double(actualSlots[2]), Double(expectedSlots[2]), 1e-5, "sumAbs into a slot over \(count)")

            let m = try pair.buffers(randomValues(count, seed: 62, in: -0.1...0.1))
            let v = try pair.buffers(randomValues(count, seed: 63, in: 0...0.1))
            for step in 0..<3 {
                try pair.cpu.adamStep(x: x.cpu, gradient: y.cpu, m: m.cpu, v: v.cpu, stepSize: 10 / Float(step + 1),
                                      beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
                try pair.gpu.adamStep(x: x.gpu, gradient: y.gpu, m: m.gpu, v: v.gpu, stepSize: 10 / Float(step + 1),
                                      beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
            }
            for (buffer, name) in [(x, "x"), (m, "m"), (v, "v")] {
                let (expected, actual) = try pair.download(buffer)
                assertClose(actual, expected, tolerance: 1e-6, "adam \(name) over \(count)")
            }
        }
    }

    /// Banks: rows work as ordinary buffers, bankDots and bankCombine (also into a row of the bank itself,
    /// with zero coefficients skipped) match the CPU, in one chunk and split over several chunks.
    func testVectorBanksMatchCPU() throws {
        let shared = try OpenCLTestDevice.backend()
        let rows = 37, length = 1001
        // 8 KiB allocations force 4-row chunks (a 1001-float row takes 4 KiB at PoCL's 128-byte alignment).
        let split = try OpenCLBackend(deviceIndex: shared.device.index, convTuning: ConvTuning(), maxAllocationBytes: 4 * 4 * 1024 + 64)
        for gpu in [shared, split] {
            let pair = try BackendPair(gpu: gpu)
            let cpuBank = try pair.cpu.makeVectorBank(rows: rows, length: length)
            let gpuBank = try pair.gpu.makeVectorBank(rows: rows, length: length)
            if gpu === split { XCTAssertGreaterThan((gpuBank as! OpenCLVectorBank).chunks.count, 5, "bank was not split") }
            for r in 0..<rows {
                let values = randomValues(length, seed: UInt64(70 + r))
                try pair.cpu.upload(values, to: cpuBank.row(r))
                try pair.gpu.upload(values, to: gpuBank.row(r))
            }
            // Rows as ordinary buffers: axpy between two rows, then read one back.
            try pair.cpu.axpy(alpha: 0.5, x: cpuBank.row(3), y: cpuBank.row(30))
            try pair.gpu.axpy(alpha: 0.5, x: gpuBank.row(3), y: gpuBank.row(30))
            assertClose(try pair.gpu.download(gpuBank.row(30)), try pair.cpu.download(cpuBank.row(30)), tolerance: 1e-6, "axpy between rows")
            XCTAssertEqual(try pair.gpu.download(gpuBank.row(29)), randomValues(length, seed: 99), "neighbouring row changed")

            let expectedDots = try pair.cpu.bankDots(cpuBank, rows: [0, 30, 36])
            let actualDots = try pair.gpu.bankDots(gpuBank, rows: [0, 30, 36])
            XCTAssertEqual(actualDots.count, 3)
            for (e, a) in zip(expectedDots, actualDots) {
                XCTAssertEqual(a.count, rows)
                for (ev, av) in zip(e, a) { assertRelative(av, ev, 1e-5, "bankDots") }
            }

            var coefficients = randomValues(rows, seed: 80)
            coefficients[5] = 0
            try pair.cpu.upload([Float](repeating: .nan, count: length), to: cpuBank.row(5))
            try pair.gpu.upload([Float](repeating: .nan, count: length), to: gpuBank.row(5))
            let out = try pair.buffers([Float](repeating: 3, count: length))
            try pair.cpu.bankCombine(cpuBank, coefficients: coefficients, into: out.cpu)
            try pair.gpu.bankCombine(gpuBank, coefficients: coefficients, into: out.gpu)
            let (expected, actual) = try pair.download(out)
            XCTAssertFalse(actual.contains { $0.isNaN }, "a zero coefficient must skip its (NaN) row")
            assertClose(actual, expected, tolerance: 1e-5, "bankCombine into a separate buffer")
            for own in [0, 17, 36] {
                try pair.cpu.bankCombine(cpuBank, coefficients: coefficients, into: cpuBank.row(own))
                try pair.gpu.bankCombine(gpuBank, coefficients: coefficients, into: gpuBank.row(own))
                assertClose(try pair.gpu.download(gpuBank.row(own)), try pair.cpu.download(cpuBank.row(own)),
                            tolerance: 1e-5, "bankCombine into its own row \(own)")
            }
            // Own coefficient 0: the row's old value (NaN here, as after a failed step) is not read.
            var fresh = coefficients
            fresh[9] = 0
            try pair.cpu.upload([Float](repeating: .nan, count: length), to: cpuBank.row(9))
            try pair.gpu.upload([Float](repeating: .nan, count: length), to: gpuBank.row(9))
            try pair.cpu.bankCombine(cpuBank, coefficients: fresh, into: cpuBank.row(9))
            try pair.gpu.bankCombine(gpuBank, coefficients: fresh, into: gpuBank.row(9))
            let overwritten = try pair.gpu.download(gpuBank.row(9))
            XCTAssertFalse(overwritten.contains { $0.isNaN }, "own coefficient 0 must not read the old (NaN) row")
            assertClose(overwritten, try pair.cpu.download(cpuBank.row(9)), tolerance: 1e-5, "bankCombine over a NaN row")
        }
    }

    /// Banks with zero rows or empty rows, and combinations with all coefficients zero.
    func testDegenerateBanks() throws {
        let gpu = try OpenCLTestDevice.backend()
        let empty = try gpu.makeVectorBank(rows: 0, length: 10)
        XCTAssertEqual(try gpu.bankDots(empty, rows: []), [])
        let out = try gpu.makeBuffer(count: 10)
        try gpu.fill(out, value: 4)
        try gpu.bankCombine(empty, coefficients: [], into: out)
        XCTAssertEqual(try gpu.download(out), [Float](repeating: 0, count: 10))
        let bank = try gpu.makeVectorBank(rows: 3, length: 10)
        try gpu.fill(bank.row(1), value: 2)
        try gpu.bankCombine(bank, coefficients: [0, 0.5, 0], into: bank.row(1))
        XCTAssertEqual(try gpu.download(bank.row(1)), [Float](repeating: 1, count: 10))
        XCTAssertEqual(try gpu.bankDots(bank, rows: [1]), [[0, 10, 0]])
    }
}
