// ImageCanvasTests.swift — mirror padding and cropping, and the render canvas that gives edge pixels every loss.
import XCTest
@testable import GPUStyle

final class ImageCanvasTests: XCTestCase {
    private func ramp(_ width: Int, _ height: Int) -> RGBImage {
        RGBImage(width: width, height: height, pixels: (0..<(3 * width * height)).map { Float($0) })
    }

    func testMirrorPaddingReflectsWithoutRepeatingTheEdge() {
        let image = ramp(3, 2)  // plane 0 rows: [0 1 2], [3 4 5]
        let padded = image.mirrorPadded(width: 5, height: 3)
        XCTAssertEqual(Array(padded.pixels[0..<15]), [0, 1, 2, 1, 0,
                                                      3, 4, 5, 4, 3,
                                                      0, 1, 2, 1, 0])
        XCTAssertEqual(Array(padded.pixels[15..<20]), [6, 7, 8, 7, 6], "every plane is padded the same way")
        XCTAssertEqual(padded.cropped(width: 3, height: 2), image, "cropping undoes padding")
        XCTAssertEqual(image.mirrorPadded(width: 3, height: 2), image)
        // Far larger canvases clamp instead of indexing out of range; a 1-pixel image repeats.
        XCTAssertEqual(image.mirrorPadded(width: 9, height: 7).cropped(width: 3, height: 2), image)
        XCTAssertEqual(ramp(1, 1).mirrorPadded(width: 3, height: 2).pixels[0..<6], [0, 0, 0, 0, 0, 0])
    }

    func testCanvasIsWholePoolingCellsOfTheDeepestLayer() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gpustyle-canvas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let picture = folder.appendingPathComponent("picture.png").path
        try ImageIO.write(RGBImage(width: 32, height: 32, red: 0.2, green: 0.5, blue: 0.8), to: picture)
        var options = StylizeOptions()
        options.contentImage = picture
        options.styleImages = [picture]
        options.outputImage = folder.appendingPathComponent("out.png").path
        let job = try StylizeJob(options: options, backend: CPUBackend(threads: 1), model: Model.random(.vgg19, upTo: "conv5_1"))
        let styleLayers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
        XCTAssertTrue(job.renderCanvas(width: 512, height: 341, layers: styleLayers + ["relu4_2"]) == (512, 352))
        XCTAssertTrue(job.renderCanvas(width: 511, height: 337, layers: ["relu2_1"]) == (512, 338), "one pooling: even sides")
        XCTAssertTrue(job.renderCanvas(width: 33, height: 31, layers: ["relu1_1"]) == (33, 31), "no pooling: as asked")
    }
}
