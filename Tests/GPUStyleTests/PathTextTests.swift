// PathTextTests.swift — path helpers agree with NSString's where it works, and hold for one-character paths where it traps.
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
}
