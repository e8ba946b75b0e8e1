// NeuralStyleArgumentsTests.swift — neural-style's command lines (`-content_image x -gpu -1 …`) become gpustyle's options.
import XCTest
@testable import GPUStyle

final class NeuralStyleArgumentsTests: XCTestCase {
    private func translate(_ arguments: [String], gpus: [Int] = [3, 5]) throws -> NeuralStyleTranslation {
        try translatingNeuralStyleArguments(arguments) { n in
            guard n < gpus.count else { throw GPUStyleError(.usage, "no GPU \(n)") }
            return gpus[n]
        }
    }

    func testNeuralStyleSpellingBecomesKebabCase() throws {
        let t = try translate(["-content_image", "a.jpg", "-style_image", "b.jpg,c.jpg", "-image_size", "256", "-num_iterations", "10",
                               "-content_weight", "5", "-tv_weight", "-inf", "-init", "image", "-normalize_gradients", "-pooling", "avg"])
        XCTAssertEqual(t.arguments, ["--content-image", "a.jpg", "--style-image", "b.jpg,c.jpg", "--image-size", "256", "--num-iterations", "10",
                                     "--content-weight", "5", "--tv-weight", "-inf", "--init", "image", "--normalize-gradients", "--pooling", "avg"])
        XCTAssertEqual(t.notes, [])
    }

    /// Errors about a rewritten option quote it as the user typed it.
    func testErrorsKeepTheUsersSpelling() throws {
        let t = try translate(["-content_image", "a.jpg", "-bogus_option", "2", "--seed", "3"])
        XCTAssertEqual(t.arguments, ["--content-image", "a.jpg", "--bogus-option", "2", "--seed", "3"])
        XCTAssertEqual(t.inUserSpelling("Unknown option '--bogus-option'"), "Unknown option '-bogus_option'")
        XCTAssertEqual(t.inUserSpelling("Unknown option '--seeds'"), "Unknown option '--seeds'", "gpustyle's own spelling is left alone")
    }

    func testOptionsWhoseMeaningDiffers() throws {
        XCTAssertEqual(try translate(["-gpu", "-1"]).arguments, ["--backend", "cpu"])
        XCTAssertEqual(try translate(["-gpu", "0"]).arguments, [], "the first GPU is what --backend auto picks")
        XCTAssertEqual(try translate(["-gpu", "0"]).notes, [])
        XCTAssertEqual(try translate(["-gpu", "0"], gpus: []).arguments, [], "no GPU: auto runs on the CPU…")
        XCTAssertTrue(try translate(["-gpu", "0"], gpus: []).notes.first?.contains("no OpenCL GPU, so the CPU backend runs") == true, "…and says so")
        XCTAssertEqual(try translate(["-gpu", "1"]).arguments, ["--device", "5"], "the second GPU, by its `gpustyle devices` index")
        XCTAssertEqual(try translate(["-model_file", "vgg.caffemodel", "-lbfgs_num_correction", "20"]).arguments,
                       ["--model", "vgg.caffemodel", "--lbfgs-history", "20"])
        XCTAssertEqual(try translate(["-lbfgs_num_correction", "0", "-seed", "-1", "-style_blend_weights", "nil", "-original_colors", "0"]).arguments, [],
                       "neural-style's 'default' values")
        XCTAssertEqual(try translate(["-original_colors", "1", "-seed", "7"]).arguments, ["--original-colors", "--seed", "7"])
        let dropped = try translate(["-backend", "cudnn", "-cudnn_autotune", "-proto_file", "deploy.prototxt", "-output_image", "o.png"])
        XCTAssertEqual(dropped.arguments, ["--output-image", "o.png"])
        XCTAssertEqual(dropped.notes.count, 3)
        XCTAssertTrue(dropped.notes[0].hasPrefix("-backend cudnn is neural-style's Torch backend"), dropped.notes[0])
        XCTAssertEqual(try translate(["-backend", "opencl"]).arguments, ["--backend", "opencl"])
    }

    /// neural-style hands -learning_rate to Adam only; its L-BFGS takes full steps whatever it says.
    func testLearningRateGoesToAdamOnly() throws {
        let lbfgs = try translate(["-content_image", "a.jpg", "-learning_rate", "1e1", "-gpu", "-1"])
        XCTAssertEqual(lbfgs.arguments, ["--content-image", "a.jpg", "--backend", "cpu"])
        XCTAssertTrue(lbfgs.notes.first?.hasPrefix("-learning_rate 1e1 is dropped") == true, "\(lbfgs.notes)")
        XCTAssertEqual(lbfgs.origins.keys.sorted(), [0, 2], "each translated option, as typed")
        let adam = try translate(["-learning_rate", "5", "-gpu", "1", "-optimizer", "adam"])
        XCTAssertEqual(adam.arguments, ["--learning-rate", "5", "--device", "5", "--optimizer", "adam"], "kept in place, whatever the order")
        XCTAssertEqual(adam.notes, [])
        XCTAssertEqual(adam.origins.keys.sorted(), [2, 4], "the -gpu and -optimizer origins move with the inserted option")
        XCTAssertEqual(adam.inUserSpelling("'--learning-rate' must be > 0"), "'-learning_rate' must be > 0")
        XCTAssertEqual(try translate(["-learning_rate", "5", "--optimizer=adam"]).arguments, ["--learning-rate", "5", "--optimizer=adam"])
        XCTAssertEqual(try translate(["-learning_rate", "5", "-optimizer", "adam", "-optimizer", "lbfgs"]).arguments, ["--optimizer", "adam", "--optimizer", "lbfgs"])
    }

    /// neural-style starts from -init_image only with -init image; with -init random (its default) from noise.
    func testInitImageNeedsInitImage() throws {
        let random = try translate(["-init_image", "x.png", "-init", "random", "-learning_rate", "3"])
        XCTAssertEqual(random.arguments, ["--init", "random"], "not refused as --init random --init-image would be")
        XCTAssertEqual(random.notes.count, 2)
        XCTAssertTrue(random.notes[0].hasPrefix("-init_image x.png is dropped: neural-style starts from it only with -init image"), random.notes[0])
        XCTAssertTrue(random.notes[1].hasPrefix("-learning_rate 3 is dropped"), random.notes[1])
        XCTAssertEqual(try translate(["-init_image", "x.png"]).arguments, [], "neural-style's default -init is random")
        XCTAssertEqual(try translate(["-init", "image", "-init_image", "x.png", "-optimizer", "adam", "-learning_rate", "3"]).arguments,
                       ["--init", "image", "--init-image", "x.png", "--optimizer", "adam", "--learning-rate", "3"])
    }

    func testGpustyleSpellingAndValuesPassThrough() throws {
        let own = ["stylize", "--content-image", "-", "--seed", "-3", "-h", "--", "-content_image"]
        XCTAssertEqual(try translate(own).arguments, own, "own options, short options, numbers and everything after -- stay")
    }

    func testRefusals() throws {
        for arguments in [["-gpu", "0,1"], ["-multigpu_strategy", "2"], ["-gpu", "2"], ["-gpu", "x"], ["-original_colors", "yes"], ["-model_file"]] {
            XCTAssertThrowsError(try translate(arguments), "\(arguments)") { error in
                XCTAssertEqual((error as? GPUStyleError)?.kind, .usage, "\(arguments): \(error)")
            }
        }
    }
}
