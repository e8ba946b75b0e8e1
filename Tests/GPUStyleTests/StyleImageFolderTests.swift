// StyleImageFolderTests.swift — a style image folder stands for its images in name order; the report names every input.
import XCTest
@testable import GPUStyle

final class StyleImageFolderTests: XCTestCase {
    func testAFolderStandsForItsImagesInNameOrder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let styles = folder + "/styles"
        try FileManager.default.createDirectory(atPath: styles + "/nested.png", withIntermediateDirectories: true)
        for name in ["b.jpg", "A.PNG", "c.jpeg", "notes.txt", ".hidden.png"] {
            XCTAssertTrue(FileManager.default.createFile(atPath: styles + "/" + name, contents: Data([1])))
        }
        XCTAssertEqual(try expanded(["x.png", styles, "y.jpg"]),
                       ["x.png", styles + "/A.PNG", styles + "/b.jpg", styles + "/c.jpeg", "y.jpg"],
                       "images directly in the folder, sorted; not text, hidden files or folders; files kept in place")
        let empty = folder + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try expanded([empty])) { error in
            XCTAssertEqual((error as? GPUStyleError)?.kind, .usage)
            XCTAssertTrue("\(error)".contains("--style-image \(empty) is a folder without .png, .jpg or .jpeg images"), "\(error)")
        }
    }

    func testAFolderLeavesOutTheRunsOwnImages() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["photo.jpg", "out.png", "out_100.png", "out_512x384.png", "paint.png", "out_old.png"] {
            XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/" + name, contents: Data([1])))
        }
        XCTAssertEqual(try expanded([folder], content: folder + "/photo.jpg", output: folder + "/./out.png"),
                       [folder + "/out_old.png", folder + "/paint.png"],
                       "the content image, the output and the images derived from it are not styles")
        XCTAssertEqual(try expanded([folder + "/"], content: folder + "/photo.jpg", output: folder + "/paint.png").map { ($0 as NSString).lastPathComponent },
                       ["out.png", "out_100.png", "out_512x384.png", "out_old.png"], "another output's images are styles")
        var options = StylizeOptions()
        (options.contentImage, options.outputImage, options.styleImages) = (folder + "/photo.jpg", folder + "/x.png", [folder + "/paint.png"])
        options.styleBlendWeights = [1, 2]
        XCTAssertThrowsError(try options.validate(for: Model.random(.vgg16, seed: 1, upTo: "conv1_1"))) { error in
            XCTAssertTrue("\(error)".contains("2 values for 1 style image: \(folder)/paint.png"), "\(error)")
        }
    }

    private func expanded(_ styles: [String], content: String? = nil, output: String = "out.png") throws -> [String] {
        var options = StylizeOptions()
        (options.styleImages, options.contentImage, options.outputImage) = (styles, content, output)
        try options.expandStyleFolders()
        return options.styleImages
    }

    func testTheReportNamesTheInputsAndWeights() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = StylizeOptions()
        options.contentImage = folder + "/content.png"
        options.styleImages = [folder + "/a.png", folder + "/b.png"]
        try ImageIO.write(RGBImage(width: 32, height: 24, red: 0.2, green: 0.5, blue: 0.7), to: options.contentImage!)
        for (path, red) in zip(options.styleImages, [0.9, 0.1] as [Float]) {
            try ImageIO.write(RGBImage(width: 32, height: 32, red: red, green: 0.4, blue: 0.3), to: path)
        }
        options.outputImage = folder + "/out.png"
        (options.imageSize, options.iterations, options.margin, options.saveEvery) = (32, 1, 0, 0)
        (options.styleBlendWeights, options.contentLayers, options.styleLayers) = ([3, 1], ["relu2_1"], ["relu1_1"])
        let model = Model.random(.vgg16, seed: 5, upTo: "conv2_1")
        let report = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: model).run()
        let json = try JSONSerialization.jsonObject(with: report.json()) as! [String: Any]
        XCTAssertEqual(json["content_image"] as? String, options.contentImage)
        XCTAssertEqual(json["style_images"] as? [String], options.styleImages)
        XCTAssertEqual((json["style_blend_weights"] as? [NSNumber])?.map(\.doubleValue), [0.75, 0.25])
        XCTAssertEqual(json["content_layers"] as? [String], ["relu2_1"])
        XCTAssertEqual(json["style_layers"] as? [String], ["relu1_1"])
        XCTAssertEqual((json["content_weight"] as? NSNumber)?.doubleValue, Double(model.defaults.contentWeight))
        // The other settings that shape the result.
        XCTAssertEqual(json["pooling"] as? String, "max")
        XCTAssertEqual(json["normalize_gradients"] as? Bool, false)
        XCTAssertEqual((json["style_scale"] as? NSNumber)?.doubleValue, 1)
        XCTAssertEqual(json["margin"] as? Int, 0)
        XCTAssertEqual((json["learning_rate"] as? NSNumber)?.doubleValue, 1, "L-BFGS's default factor")

        // Without style loss no style image is read: the report lists none; paths are absolute.
        (options.styleWeight, options.styleBlendWeights) = (0, nil)
        options.outputImage = folder + "/./sub/../out2.png"
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
        (options.optimizer, options.pooling, options.normalizeGradients, options.styleScale) = (.adam, .avg, true, 0.5)
        let unstyled = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: model).run()
        XCTAssertEqual([unstyled.pooling, "\(unstyled.normalizeGradients)", "\(unstyled.styleScale)", "\(unstyled.learningRate)"],
                       ["avg", "true", "0.5", "10.0"], "Adam's default step, in 8-bit levels")
        XCTAssertEqual(unstyled.styleImages, [])
        XCTAssertEqual(unstyled.styleLayers, [])
        XCTAssertEqual(unstyled.output, URL(fileURLWithPath: folder + "/out2.png").standardizedFileURL.path)
    }

    /// An interrupted run still writes its report (marked interrupted) and plot for the iterations it did.
    func testAnInterruptedRunWritesItsRecordsSoFar() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = StylizeOptions()
        (options.contentImage, options.styleImages) = (folder + "/content.png", [folder + "/style.png"])
        try ImageIO.write(RGBImage(width: 32, height: 24, red: 0.2, green: 0.5, blue: 0.7), to: options.contentImage!)
        try ImageIO.write(RGBImage(width: 32, height: 32, red: 0.9, green: 0.4, blue: 0.3), to: options.styleImages[0])
        (options.outputImage, options.reportPath, options.plotPath) = (folder + "/out.png", folder + "/r.json", folder + "/p.svg")
        (options.imageSize, options.iterations, options.margin, options.saveEvery) = (32, 10, 0, 0)
        (options.contentLayers, options.styleLayers) = (["relu1_1"], ["relu1_1"])
        let flag = CancellationFlag()
        let job = try StylizeJob(options: options, backend: CPUBackend(convolution: .im2col), model: Model.random(.vgg16, seed: 5, upTo: "conv1_1"),
                                 cancellation: flag)
        XCTAssertThrowsError(try job.run { if $0.status.iteration == 3 { flag.cancel() } }) {
            XCTAssertEqual(($0 as? GPUStyleError)?.kind, .interrupted)
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: options.reportPath!))) as! [String: Any]
        XCTAssertEqual(json["interrupted"] as? Bool, true)
        XCTAssertEqual((json["history"] as? [[String: Any]])?.count, 3, "iterations 1–3")
        XCTAssertEqual(json["iterations"] as? Int, 3)
        XCTAssertTrue(FileManager.default.fileExists(atPath: options.plotPath!))
        XCTAssertFalse(FileManager.default.fileExists(atPath: options.outputImage), "no output from an interrupted run")
        XCTAssertNil(json["output"], "nothing was written there")
        XCTAssertEqual(json["saved_image"] as? String, folder + "/out_3.png")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/out_3.png"))
    }

    /// The report and plot are written before the image: an image on disk means the run's records are there too, so
    /// --skip-existing takes a job as done only when every file it writes is there.
    func testSkipExistingNeedsTheReportToo() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = StylizeOptions()
        (options.contentImage, options.styleImages) = (folder + "/content.png", [folder + "/style.png"])
        (options.outputImage, options.reportPath) = (folder + "/out.png", folder + "/r.json")
        XCTAssertTrue(FileManager.default.createFile(atPath: options.outputImage, contents: Data([1])))
        let half = try ContentBatch(base: options, contentImages: [options.contentImage!], skipExisting: true)
        XCTAssertEqual([half.jobs.count, half.skipped.count], [1, 0], "the report is missing: rendered again")
        XCTAssertTrue(FileManager.default.createFile(atPath: options.reportPath!, contents: Data([1])))
        let done = try ContentBatch(base: options, contentImages: [options.contentImage!], skipExisting: true)
        XCTAssertEqual([done.jobs.count, done.skipped.count], [0, 1])
    }
}
