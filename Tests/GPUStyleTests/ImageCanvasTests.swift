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

    /// An image placed inside the canvas is mirrored on all four sides; cropping at its offset gives it back.
    func testMirrorPaddingOnEverySide() {
        let image = ramp(3, 2)  // plane 0 rows: [0 1 2], [3 4 5]
        let padded = image.mirrorPadded(left: 2, top: 1, width: 7, height: 4)
        XCTAssertEqual(Array(padded.pixels[0..<28]), [5, 4, 3, 4, 5, 4, 3,
                                                      2, 1, 0, 1, 2, 1, 0,
                                                      5, 4, 3, 4, 5, 4, 3,
                                                      2, 1, 0, 1, 2, 1, 0])
        XCTAssertEqual(padded.cropped(x: 2, y: 1, width: 3, height: 2), image)
        XCTAssertEqual(padded.cropped(x: 3, y: 2, width: 2, height: 1).pixels, [4, 5, 10, 11, 16, 17])
        // Margins wider than the image clamp.
        XCTAssertEqual(image.mirrorPadded(left: 6, top: 5, width: 15, height: 12).cropped(x: 6, y: 5, width: 3, height: 2), image)
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
        func canvas(_ w: Int, _ h: Int, _ layers: [String]) -> [Int] {
            let c = job.renderCanvas(width: w, height: h, layers: layers)
            XCTAssertEqual([c.imageWidth, c.imageHeight], [w, h])
            return [c.width, c.height, c.left, c.top]
        }
        // The default margin (16 px on each side), then whole cells of relu5_1 (16 px).
        XCTAssertEqual(canvas(512, 341, styleLayers + ["relu4_2"]), [544, 384, 16, 16])
        XCTAssertEqual(canvas(511, 337, ["relu2_1"]), [544, 370, 16, 16], "one pooling: even sides")
        XCTAssertEqual(canvas(33, 31, ["relu1_1"]), [65, 63, 16, 16], "no pooling: margins only")
        // Without a margin: cells only, the image at the top-left corner.
        XCTAssertEqual(RenderCanvas(width: 512, height: 341, margin: 0, layers: styleLayers, architecture: .vgg19).width, 512)
        XCTAssertEqual(RenderCanvas(width: 512, height: 341, margin: 0, layers: styleLayers, architecture: .vgg19).height, 352)
        XCTAssertEqual(RenderCanvas(width: 33, height: 31, margin: 0, layers: ["relu1_1"], architecture: .vgg19).width, 33)
    }
}
