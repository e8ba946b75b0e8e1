// ImageWriteTests.swift — PNG/JPEG writing: exact 8-bit round trip, clamping, format by extension, atomic replacement.
import Foundation
import XCTest
@testable import GPUStyle

final class ImageWriteTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws { folder = try Fixture.temporaryFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    /// An image whose every value is k/255 for a seeded random k.
    private func eightBitImage(width: Int, height: Int, seed: UInt64) -> RGBImage {
        RGBImage(width: width, height: height,
                 pixels: Fixture.randomBytes(3 * width * height, seed: seed).map { Float($0) / 255 })
    }

    private func folderEntries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    func testPNGRoundTripIsExactFor8BitValues() throws {
        for (w, h) in [(1, 1), (17, 9), (64, 3)] {
            let image = eightBitImage(width: w, height: h, seed: UInt64(w * h))
            let path = folder + "/round-trip-\(w)x\(h).png"
            try ImageIO.write(image, to: path)
            XCTAssertEqual(try ImageIO.read(path: path), image, "\(w)×\(h)")
        }
        let entries = try folderEntries()
        XCTAssertEqual(entries.count, 3, "no temporary files left: \(entries)")
    }

    func testValuesAreClampedAndRounded() throws {
        let values: [Float] = [-0.5, 1.5, 0.5, .nan, .infinity, -.infinity, 0.001, 0.999, 127.4 / 255, 127.6 / 255, 0, 1]
        let image = RGBImage(width: values.count, height: 1, pixels: values + values + values)
        let bytes = try ImageIO.encode(image, as: .png)
        let decoded = try Fixture.decode(bytes)
        let expected: [Float] = [0, 255, 128, 0, 255, 0, 0, 255, 127, 128, 0, 255].map { Float($0) / 255 }
        XCTAssertEqual(Array(decoded.pixels.prefix(values.count)), expected)
    }

    func testJPEGRoundTripIsCloseAndSubsamplingShrinksTheFile() throws {
        let width = 48, height = 32
        let source = Fixture.smoothRGB8(width: width, height: height)
        let image = RGBImage(width: width, height: height, pixels: Fixture.planar(rgb8: source, width: width, height: height))
        for (name, chroma) in [("full.jpg", ImageWriteOptions.JPEGChroma.full), ("halved.JPEG", .halved)] {
            try ImageIO.write(image, to: folder + "/" + name, options: ImageWriteOptions(jpegChroma: chroma))
            let back = try ImageIO.read(path: folder + "/" + name)
            let worst = zip(back.pixels, image.pixels).map { abs($0 - $1) }.max() ?? 1
            // Quality 95 on gradients: within 6/255 (measured 3/255 with 4:4:4).
            XCTAssertLessThan(worst, 6 / 255, name)
        }
        let full = try ImageIO.encode(image, as: .jpeg, options: ImageWriteOptions(jpegChroma: .full))
        let halved = try ImageIO.encode(image, as: .jpeg, options: ImageWriteOptions(jpegChroma: .halved))
        XCTAssertLessThan(halved.count, full.count, "4:2:0 stores a quarter of the chroma")
        let lowQuality = try ImageIO.encode(image, as: .jpeg, options: ImageWriteOptions(jpegQuality: 30))
        XCTAssertLessThan(lowQuality.count, full.count, "quality is honoured")
        assertImageError(["quality 0"], "quality 0", kind: .usage) {
            try ImageIO.encode(image, as: .jpeg, options: ImageWriteOptions(jpegQuality: 0))
        }
    }

    func testFormatComesFromTheExtension() throws {
        let image = eightBitImage(width: 4, height: 4, seed: 5)
        try ImageIO.write(image, to: folder + "/a.PNG")
        try ImageIO.write(image, to: folder + "/b.jpeg")
        let pngBytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/a.PNG"))
        let jpegBytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/b.jpeg"))
        XCTAssertEqual(Array(pngBytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertEqual(Array(jpegBytes.prefix(3)), [0xFF, 0xD8, 0xFF])
        for bad in ["/c.gif", "/d", "/.png", "/e.png.txt"] {
            assertImageError(["\(folder)\(bad)", "use .png, .jpg or .jpeg"], bad) { try ImageIO.write(image, to: folder + bad) }
        }
        XCTAssertEqual(try folderEntries(), ["a.PNG", "b.jpeg"])
    }

    func testFailedWriteLeavesTheOldFileAndNoTemporaryFile() throws {
        let path = folder + "/result.png"
        let old = eightBitImage(width: 5, height: 5, seed: 1)
        try ImageIO.write(old, to: path)
        let oldBytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // A failure after the temporary file is complete (e.g. a full disk at fsync) must not touch `path`.
        let new = try ImageIO.encode(eightBitImage(width: 7, height: 7, seed: 2), as: .png)
        var sawTemporary: [String] = []
        assertImageError(["injected"], "failure before rename") {
            try ImageFiles.writeAtomically(new, to: path) {
                sawTemporary = try self.folderEntries().filter { $0.hasPrefix(".result.png.tmp-\(getpid())-") }
                throw GPUStyleError(.image, "injected")
            }
        }
        XCTAssertEqual(sawTemporary.count, 1, "the temporary file sits beside the target")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), oldBytes, "old file untouched")
        XCTAssertEqual(try folderEntries(), ["result.png"], "temporary file removed")
        // An encoding failure (empty image) also leaves everything as it was.
        assertImageError(["empty image"], "empty") { try ImageIO.write(RGBImage(width: 0, height: 0, pixels: []), to: path) }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), oldBytes)
        // And a successful write replaces the file completely.
        try ImageFiles.writeAtomically(new, to: path)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), new)
        XCTAssertEqual(try folderEntries(), ["result.png"])
    }

    func testUnwritableTargets() throws {
        let image = eightBitImage(width: 2, height: 2, seed: 3)
        assertImageError(["\(folder)/missing/out.png", "the folder \(folder)/missing", "No such file"], "missing folder", kind: .io) {
            try ImageIO.write(image, to: folder + "/missing/out.png")
        }
        // A folder where the file should go: the rename fails, the temporary file is removed.
        try FileManager.default.createDirectory(atPath: folder + "/taken.png/inner", withIntermediateDirectories: true)
        assertImageError(["taken.png", "cannot replace"], "folder in the way", kind: .io) { try ImageIO.write(image, to: folder + "/taken.png") }
        XCTAssertEqual(try folderEntries(), ["taken.png"])
    }

    func testRelativePathsWriteIntoTheCurrentFolder() throws {
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        try ImageIO.write(eightBitImage(width: 3, height: 2, seed: 4), to: "relative.png")
        XCTAssertEqual(try ImageIO.read(path: "relative.png").width, 3)
        XCTAssertEqual(try folderEntries(), ["relative.png"])
    }
}
