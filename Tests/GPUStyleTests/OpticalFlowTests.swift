// OpticalFlowTests.swift — TV-L1 flow finds known motions; warping and the consistency check behave as they should.
import XCTest
@testable import GPUStyle

final class OpticalFlowTests: XCTestCase {
    /// A smooth, non-repeating pattern sampled at (x + dx, y + dy): a frame of a scene moved by (−dx, −dy).
    private func pattern(width: Int, height: Int, dx: Float = 0, dy: Float = 0, frequency: Float = 1) -> RGBImage {
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        for y in 0..<height {
            for x in 0..<width {
                let (px, py) = (frequency * (Float(x) + dx), frequency * (Float(y) + dy))
                let base = 0.5 + 0.18 * sin(0.21 * px + 0.13 * py) + 0.12 * cos(0.11 * px - 0.27 * py)
                    + 0.08 * sin(0.045 * px * py / 16 + 0.4) + 0.07 * cos(0.37 * px + 0.05 * py)
                for c in 0..<3 { pixels[c * width * height + y * width + x] = base * (0.8 + 0.1 * Float(c)) }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Mean endpoint error against a constant flow (du, dv), `border` px from the edges left out.
    private func endpointError(_ flow: FlowField, du: Float, dv: Float, border: Int) -> Double {
        var sum = 0.0, count = 0
        for y in border..<(flow.height - border) {
            for x in border..<(flow.width - border) {
                let i = y * flow.width + x
                let (eu, ev) = (flow.u[i] - du, flow.v[i] - dv)
                sum += Double((eu * eu + ev * ev).squareRoot())
                count += 1
            }
        }
        return sum / Double(count)
    }

    private var solver: TVL1Flow {
        var solver = TVL1Flow()
        solver.maxIterations = 60
        return solver
    }

    func testASubpixelShiftIsFound() throws {
        // B(x) = A(x + d): B's pixel x is seen at x + d in A.
        let a = pattern(width: 72, height: 56), b = pattern(width: 72, height: 56, dx: 1.5, dy: -0.75)
        let flow = try solver.flow(of: b, into: a)
        XCTAssertLessThan(endpointError(flow, du: 1.5, dv: -0.75, border: 6), 0.1)
    }

    func testAShiftOfManyPixelsIsFoundThroughThePyramid() throws {
        let a = pattern(width: 96, height: 80), b = pattern(width: 96, height: 80, dx: -7, dy: 4)
        let flow = try solver.flow(of: b, into: a)
        XCTAssertLessThan(endpointError(flow, du: -7, dv: 4, border: 12), 0.3)
    }

    func testThreadsDoNotChangeTheFlow() throws {
        let a = pattern(width: 64, height: 48), b = pattern(width: 64, height: 48, dx: 2, dy: 1)
        var one = solver, two = solver
        (one.threads, two.threads) = (1, 3)
        XCTAssertEqual(try one.flow(of: b, into: a), try two.flow(of: b, into: a))
    }

    func testWarpingAlongTheFlowRebuildsTheFrame() throws {
        let a = pattern(width: 72, height: 56), b = pattern(width: 72, height: 56, dx: 2.25, dy: 1.5)
        let flow = try solver.flow(of: b, into: a)
        let warped = a.warped(by: flow)
        var error = 0.0, unwarped = 0.0, count = 0
        for c in 0..<3 {
            for y in 6..<50 {
                for x in 6..<66 {
                    let i = c * 72 * 56 + y * 72 + x
                    error += Double(abs(warped.pixels[i] - b.pixels[i]))
                    unwarped += Double(abs(a.pixels[i] - b.pixels[i]))
                    count += 1
                }
            }
        }
        XCTAssertLessThan(error / Double(count), 0.1 * unwarped / Double(count), "warped \(error / Double(count)), as is \(unwarped / Double(count))")
    }

    func testAZeroFlowWarpsToTheSameImage() {
        let a = pattern(width: 20, height: 12)
        XCTAssertEqual(a.warped(by: FlowField(width: 20, height: 12)), a)
    }

    func testUpsamplingScalesTheDisplacements() {
        let flow = FlowField(width: 4, height: 3, u: [Float](repeating: 1.5, count: 12), v: [Float](repeating: -2, count: 12))
        let up = TVL1Flow.upsampled(flow, width: 8, height: 6)
        XCTAssertEqual(up.u, [Float](repeating: 3, count: 48))
        XCTAssertEqual(up.v, [Float](repeating: -4, count: 48))
    }

    func testConsistencyKeepsAgreeingFlowsAndDropsDisocclusions() {
        let (w, h) = (40, 30)
        // Everything moves 3 px right except a band (columns 10…19) whose reverse flow disagrees.
        let forward = FlowField(width: w, height: h, u: [Float](repeating: 3, count: w * h), v: [Float](repeating: 0, count: w * h))
        var reverseU = [Float](repeating: -3, count: w * h)
        for y in 0..<h { for x in 10..<20 { reverseU[y * w + x] = 2 } }
        let reverse = FlowField(width: w, height: h, u: reverseU, v: [Float](repeating: 0, count: w * h))
        let weights = forward.consistencyWeights(reverse: reverse)
        XCTAssertEqual(weights[5 * w + 2], 1, "a pixel whose flow comes back")
        XCTAssertEqual(weights[5 * w + 10], 0, "one whose target (column 13) flows elsewhere")
        XCTAssertEqual(weights[5 * w + 38], 0, "one that leaves the frame")
        // A motion boundary: the flow jumps from 0 to 5 px between columns 19 and 20.
        var jumpU = [Float](repeating: 0, count: w * h)
        for y in 0..<h { for x in 20..<w { jumpU[y * w + x] = 5 } }
        let jump = FlowField(width: w, height: h, u: jumpU, v: [Float](repeating: 0, count: w * h))
        let back = FlowField(width: w, height: h, u: jumpU.map { -$0 }, v: [Float](repeating: 0, count: w * h))
        let boundary = jump.consistencyWeights(reverse: back)
        XCTAssertEqual(boundary[5 * w + 19], 0, "at the jump")
        XCTAssertEqual(boundary[5 * w + 5], 1, "far from it")
    }

    /// Two frames of a photograph: the scene moved by (−3, −2) px, and a patch of a painting over it by (+7, +1).
    /// Returns them with the true flow of the second into the first.
    private func movingScene() throws -> (first: RGBImage, second: RGBImage, u: [Float], v: [Float]) {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples").standardized
        let photo = try ImageIO.read(path: examples.appendingPathComponent("chelsea.png").path)
        let patch = try ImageIO.read(path: examples.appendingPathComponent("shipwreck.jpg").path)
            .cropped(x: 100, y: 100, width: 200, height: 200).resized(width: 70, height: 60)
        let (w, h) = (280, 200), plane = w * h
        var first = photo.cropped(x: 30, y: 30, width: w, height: h), second = photo.cropped(x: 33, y: 32, width: w, height: h)
        var u = [Float](repeating: 3, count: plane), v = [Float](repeating: 2, count: plane)
        for y in 0..<60 {
            for x in 0..<70 {
                for c in 0..<3 {
                    first.pixels[c * plane + (70 + y) * w + 100 + x] = patch.pixels[c * 4200 + y * 70 + x]
                    second.pixels[c * plane + (71 + y) * w + 107 + x] = patch.pixels[c * 4200 + y * 70 + x]
                }
                (u[(71 + y) * w + 107 + x], v[(71 + y) * w + 107 + x]) = (-7, -1)
            }
        }
        return (first, second, u, v)
    }

    func testAMovingObjectOverAMovingSceneIsTracked() throws {
        let scene = try movingScene()
        let flow = try TVL1Flow().flow(of: scene.second, into: scene.first)
        var background = 0.0, object = 0.0, objectPixels = 0
        for i in flow.u.indices {
            let error = Double(hypotf(flow.u[i] - scene.u[i], flow.v[i] - scene.v[i]))
            if scene.u[i] < 0 { object += error; objectPixels += 1 } else { background += error }
        }
        // OpenCV's DualTVL1 (default settings) on the same pair: 0.09 and 1.39 px.
        XCTAssertLessThan(background / Double(flow.u.count - objectPixels), 0.3)
        XCTAssertLessThan(object / Double(objectPixels), 1.5)
        let weights = flow.consistencyWeights(reverse: try TVL1Flow().flow(of: scene.first, into: scene.second))
        func trusted(_ xs: Range<Int>, _ ys: Range<Int>) -> Double {
            var sum = 0.0
            for y in ys { for x in xs { sum += Double(weights[y * 280 + x]) } }
            return sum / Double(xs.count * ys.count)
        }
        XCTAssertGreaterThan(trusted(200..<270, 10..<190), 0.9, "the scene right of the object")
        XCTAssertGreaterThan(trusted(115..<170, 80..<125), 0.8, "the object")
        // In the second frame the scene at columns 98…105 was under the object in the first.
        XCTAssertLessThan(trusted(99..<105, 78..<122), 0.5, "the strip the object uncovered")
    }

    /// A frame larger than the flow's size: the flow and its check run small and are carried up, the displacements
    /// scaled with the size; the warped previous result lines up with the frame.
    func testATieComputedSmallerIsCarriedToTheFrame() throws {
        let a = pattern(width: 96, height: 72), b = pattern(width: 96, height: 72, dx: 4, dy: -2)
        let full = try FrameTie(content: b, previousContent: a, previousResult: a, solver: solver)
        let half = try FrameTie(content: b, previousContent: a, previousResult: a, solver: solver, flowSide: 48)
        XCTAssertEqual(half.trusted.count, 96 * 72)
        XCTAssertEqual(half.meanMotion, (16.0 + 4).squareRoot(), accuracy: 0.5, "(4, 2) px, less exact at the frame's edges")
        XCTAssertEqual(half.meanMotion, full.meanMotion, accuracy: 0.3)
        XCTAssertGreaterThan(half.trustedFraction, 0.8)
        var error = 0.0
        for y in 8..<64 { for x in 8..<88 { error += Double(abs(half.warped.pixels[y * 96 + x] - b.pixels[y * 96 + x])) } }
        XCTAssertLessThan(error / Double(56 * 80), 0.01)
    }
}
