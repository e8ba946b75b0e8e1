// ProgressBarTests.swift — the terminal progress bar fits its terminal's width and fills in step with the iterations.
@testable import GPUStyle
@testable import gpustyle
import XCTest

final class ProgressBarTests: XCTestCase {
    private func status(_ iteration: Int, of iterations: Int, total: Double) -> IterationStatus {
        IterationStatus(iteration: iteration, iterations: iterations,
                        losses: LossBreakdown(content: total / 2, style: total / 4, tv: total / 4), elapsed: Double(iteration))
    }

    func testLineIsCutToOneRowOfTheTerminal() {
        let long = ProgressReporter.barLine(status(3, of: 1000, total: 1.234567e12), scale: "2/4 2048×1365 ", columns: 200)
        XCTAssertGreaterThan(long.count, 100, long)
        for columns in [40, 80, 120] {
            let line = ProgressReporter.barLine(status(3, of: 1000, total: 1.234567e12), scale: "2/4 2048×1365 ", columns: columns)
            XCTAssertEqual(line.count, min(long.count, columns - 1), "\(columns) columns: \(line)")
            XCTAssertTrue(long.hasPrefix(line))
        }
        XCTAssertTrue(ProgressReporter.barLine(status(3, of: 1000, total: 1.234567e12), scale: "", columns: 80).contains("ETA"),
                      "an 80-column terminal still shows the ETA")
    }

    /// With --scales the ETA is the whole run's: the later scales' work (in this scale's iterations) at this rate.
    func testETACountsTheLaterScales() {
        let now = status(11, of: 20, total: 10)  // 10 iterations in 11 s
        XCTAssertTrue(ProgressReporter.barLine(now, scale: "", columns: 200).contains("ETA \(formatDuration(9 * 1.1))"))
        let line = ProgressReporter.barLine(now, scale: "1/2 32×21 ", columns: 200, laterWork: 40)
        XCTAssertTrue(line.contains("ETA \(formatDuration(49 * 1.1))"), line)
    }

    func testEachRedrawClearsWhatALongerOneLeft() {
        let frame = ProgressReporter.barFrame(status(5, of: 60, total: 10), scale: "", columns: 80)
        XCTAssertTrue(frame.hasPrefix("\r"))
        XCTAssertTrue(frame.hasSuffix("\u{1B}[K"), frame)
        XCTAssertEqual(frame.dropFirst().dropLast(3).description,
                       ProgressReporter.barLine(status(5, of: 60, total: 10), scale: "", columns: 80))
    }

    func testBarFillsWithTheIterations() {
        func filled(_ iteration: Int) -> Int {
            ProgressReporter.barLine(status(iteration, of: 60, total: 10), scale: "", columns: 200).filter { $0 == "█" }.count
        }
        XCTAssertEqual(filled(0), 0)
        XCTAssertEqual(filled(30), 15)
        XCTAssertEqual(filled(60), 30)
        XCTAssertEqual(filled(90), 30, "more iterations than planned keep the bar full")
    }

    /// A video frame's temporal loss joins the breakdown (and artistic-videos' `-init prevWarped` is `previous-warped`).
    func testTemporalLossIsShownForTiedFrames() {
        let tied = IterationStatus(iteration: 2, iterations: 10, losses: LossBreakdown(content: 1, style: 2, tv: 3, temporal: 4), elapsed: 1)
        let line = ProgressReporter.barLine(tied, scale: "", columns: 200)
        XCTAssertTrue(line.contains("loss 10 ") && line.hasSuffix("tv 3 temporal 4)"), line)
        XCTAssertFalse(ProgressReporter.barLine(status(2, of: 10, total: 8), scale: "", columns: 200).contains("temporal"))
        XCTAssertEqual(InitChoice(argument: "prevWarped"), .previousWarped)
        XCTAssertEqual(InitChoice(argument: "previous-warped"), .previousWarped)
        XCTAssertEqual(InitChoice(argument: "prev"), .previous)
        XCTAssertNil(InitChoice(argument: "warped"))
    }
}
