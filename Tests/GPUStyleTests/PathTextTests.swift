// PathTextTests.swift — path helpers agree with NSString's where it works, hold for one-character paths where it traps, and
// long names are written or refused up front.
import Foundation
import XCTest
@testable import GPUStyle

final class PathTextTests: XCTestCase {
    func testParentPathAgreesWithFoundation() {
        for path in ["ab", "a/b", "a/b/", "/ab", "/a/b", "a//b", "./ab", "../ab", "/", "a/bc/", "folder/file.png"] {
            XCTAssertEqual(path.parentPath, (path as NSString).deletingLastPathComponent, path)
        }
    }

    func testOneCharacterPaths() throws {
        for path in ["o", "-", "~", " "] { XCTAssertEqual(path.parentPath, "", path) }
        XCTAssertEqual("/o".parentPath, "/")
        XCTAssertEqual("d/o".parentPath, "d")
        // Once a trap in Foundation: a one-character --report or --output-image is an ordinary file name here.
        XCTAssertNoThrow(try StylizeOptions.checkWritable("-", option: "--report"))
        XCTAssertThrowsError(try StylizeOptions.checkWritable("n/-", option: "--report")) { error in
            XCTAssertTrue("\(error)".contains("the folder n does not exist"), "\(error)")
        }
    }

    /// A name of up to 255 bytes is written (its temporary sibling keeps at most 200 bytes of it); a longer one, or an
    /// output whose NAME_N / NAME_WxH siblings would be, is refused by the up-front check, not after the render.
    func testLongNamesAreWrittenOrRefusedUpFront() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let longest = folder + "/" + String(repeating: "é", count: 125) + "a.png"  // 255 bytes
        XCTAssertNoThrow(try StylizeOptions.checkWritable(longest, option: "--report"))
        try writeAtomically(Data("x".utf8), to: longest)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).count, 1, "written, no temporary left")
        XCTAssertEqual("ééé".utf8Prefix(5), "éé", "cut on a character boundary")
        XCTAssertThrowsError(try StylizeOptions.checkWritable(folder + "/" + String(repeating: "n", count: 252) + ".png", option: "--report")) {
            XCTAssertTrue("\($0)".contains("the file name is 256 bytes, over the 255"), "\($0)")
        }
        var options = StylizeOptions()
        options.outputImage = folder + "/" + String(repeating: "n", count: 240) + ".png"  // 244 bytes, + 12 for NAME_N
        XCTAssertThrowsError(try options.validateOutputPath()) {
            XCTAssertTrue("\($0)".contains("the file name is 244 bytes, and the images written beside it"), "\($0)")
        }
        options.outputImage = folder + "/" + String(repeating: "n", count: 239) + ".png"
        XCTAssertNoThrow(try options.validateOutputPath())
    }
}
