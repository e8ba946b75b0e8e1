// LossPlotTests.swift — --plot draws one curve per non-zero loss term over every iteration, with the scale changes marked.
import XCTest
@testable import GPUStyle

final class LossPlotTests: XCTestCase {
    private func history(_ count: Int) -> [IterationStatus] {
        (1...count).map { k in
            IterationStatus(iteration: k, iterations: count, losses: LossBreakdown(content: 100 / Double(k), style: 1e4 / Double(k * k), tv: 0),
                            elapsed: Double(k))
        }
    }

    func testTheSVGHasACurvePerTermAndALinePerScaleChange() {
        let svg = LossPlot(history: history(60), title: "t <x>", scaleStarts: [41]).svg()
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 3, "total, content, style; tv is zero throughout")
        XCTAssertEqual(svg.components(separatedBy: "stroke-dasharray").count - 1, 1, "one scale change")
        XCTAssertTrue(svg.contains("iteration (1–60)"))
        XCTAssertTrue(svg.contains("t &lt;x>"), "the title is escaped")
        XCTAssertFalse(LossPlot(history: history(60), title: "t").svg().contains("stroke-dasharray"), "one scale: no line")
    }

    func testThePNGIsDrawnAndOtherNamesAreRefused() throws {
        let image = LossPlot(history: history(10), title: "t", scaleStarts: [5]).raster()
        XCTAssertEqual([image.width, image.height], [LossPlot.size.width, LossPlot.size.height])
        XCTAssertTrue(image.pixels.contains { $0 < 0.5 }, "something is drawn")
        XCTAssertThrowsError(try LossPlot(history: history(3), title: "t").write(to: "/tmp/plot.pdf")) {
            XCTAssertEqual(($0 as? GPUStyleError)?.kind, .usage)
        }
    }
}
