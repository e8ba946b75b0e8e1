// CommandLineErrorTests.swift — the built `gpustyle` binary turns command-line mistakes into one stderr line and exit code 64.
import Foundation
import XCTest

final class CommandLineErrorTests: XCTestCase {
    /// Runs the `gpustyle` built beside the test bundle; skips when it is not there.
    private func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = Bundle.main.bundleURL.appendingPathComponent("gpustyle")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("no gpustyle binary at \(binary.path) (build the package first)")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// One line on stderr, exit code 64; stdout empty, or (progress as JSON: `--progress auto` with stderr piped, as
    /// here) the one `error` event.
    private func assertOneLineUsageError(_ arguments: [String], _ expected: String, line: UInt = #line) throws {
        let result = try run(arguments)
        XCTAssertEqual(result.status, 64, line: line)
        XCTAssertEqual(result.stderr, "gpustyle: error: \(expected)\n", line: line)
        guard !result.stdout.isEmpty else { return }
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, result.stdout, line: line)
        let event = try JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any]
        XCTAssertEqual(event?["event"] as? String, "error", line: line)
        XCTAssertEqual(event?["exit_code"] as? Int, 64, line: line)
        XCTAssertEqual(event?["message"] as? String, expected, line: line)
    }

    /// Options a command would ignore are refused before any work, and a file name that makes no model name asks for --name.
    func testIgnoredOptionsAndNamelessImports() throws {
        try assertOneLineUsageError(["bench", "--size", "32", "--plan-only", "--report", "/tmp/r.json"],
                                    "--report records timings, and --plan-only times nothing; drop one of them")
        try assertOneLineUsageError(["bench", "--backend", "opencl", "--cpu-convolution", "im2col"],
                                    "--cpu-convolution chooses how the CPU backend convolves; it cannot be used with --backend opencl (without --compare)")
        try assertOneLineUsageError(["models", "import", "/nonexistent/my weights.pth"],
                                    "/nonexistent/my weights.pth: the file's base name gives no model name ('my weights' is not a valid model name: use 1–100 letters, digits, '.', '_' or '-', not starting with '.' or '-'); give one with --name")
    }

    func testParseErrorsAreOneLine() throws {
        try assertOneLineUsageError(["--tv-weight", "lots"], "The value 'lots' is invalid for '--tv-weight <tv-weight>'")
        try assertOneLineUsageError(["stylize", "--bogus"], "Unknown option '--bogus'")
        try assertOneLineUsageError(["bench", "--backend", "cpu", "--opencl-convolution", "direct"],
                                    "--opencl-convolution chooses how OpenCL convolves; it cannot be used with --backend cpu")
        try assertOneLineUsageError(["--opencl-convolution", "fft"],
                                    "The value 'fft' is invalid for '--opencl-convolution <opencl-convolution>'. Please provide one of 'direct' and 'winograd'.")
        try assertOneLineUsageError(["-content_image", "a.png", "-multigpu_strategy", "2"],
                                    "-multigpu_strategy: gpustyle renders on one device, planning memory to fit large images (see --max-memory and --scales)")
        try assertOneLineUsageError(["-content_image", "a.png", "-bogus_option", "2"], "Unknown option '-bogus_option'")  // as typed, not as rewritten
        try assertOneLineUsageError(["--progress", "none", "--style-image", "a.png,,b.png"],
                                    "--style-image 'a.png,,b.png': an empty entry between commas; give a comma-separated list such as a,b")
        try assertOneLineUsageError(["--progress", "none", "--style-layers", "relu1_1,,relu2_1"],
                                    "--style-layers 'relu1_1,,relu2_1': an empty entry between commas; give a comma-separated list such as a,b")
        try assertOneLineUsageError(["--backend", "cuda"],
                                    "The value 'cuda' is invalid for '--backend <backend>'. Please provide one of 'auto', 'opencl' or 'cpu'.")
    }

    /// `--seed -1` used to be "Missing value for '--seed'": a negative number now reaches the option.
    /// A mistyped subcommand is named with the nearest one (it used to be "Unexpected argument"); `help X` too; a bare
    /// `gpustyle` shows the usage, not a complaint about --style-image.
    func testUnknownSubcommandsAreNamed() throws {
        let list = "they are stylize, devices, models, bench, tune, reconstruct (stylize is the default: `gpustyle --content-image … --style-image …`)"
        try assertOneLineUsageError(["stylze"], "'stylze' is not a gpustyle subcommand; did you mean 'stylize'? " + list)
        try assertOneLineUsageError(["help", "painting"], "'painting' is not a gpustyle subcommand; " + list)
        try assertOneLineUsageError(["models", "lis"], "'lis' is not a gpustyle models subcommand; did you mean 'list'? they are install, list, import")
        let bare = try run([])
        XCTAssertEqual(bare.status, 64)
        XCTAssertTrue(bare.stderr.contains("SUBCOMMANDS:") && bare.stderr.contains("Start with:"), bare.stderr)
        XCTAssertEqual(try run(["--version"]).status, 0)
    }

    /// Several content images need an output name per image; the mistake is caught before the model loads.
    func testABatchNeedsAnOutputPerImage() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["a.png", "b.jpg"] { XCTAssertTrue(FileManager.default.createFile(atPath: "\(folder)/\(name)", contents: Data([1]))) }
        try assertOneLineUsageError(["--progress", "none", "--content-image", folder, "--style-image", "s.png", "--output-image", "x.png"],
                                    "--output-image x.png would be written for each of 2 content images; give a folder (results/) or a name with {name}, such as results/{name}_styled.png")
        try assertOneLineUsageError(["--progress", "none", "--content-image", "\(folder)/a.png,\(folder)/b.jpg", "--style-image", "s.png",
                                     "--output-image", "{name}/x.png"], "--output-image {name}/x.png: {name} may only be in the file name, not in a folder of the path")
        // A file with a comma in its name is one image (given twice here, to stop before the model loads); "" is refused.
        XCTAssertTrue(FileManager.default.createFile(atPath: "\(folder)/c,1.png", contents: Data([1])))
        try assertOneLineUsageError(["--progress", "none", "--content-image", "\(folder)/c,1.png", "--content-image", "\(folder)/c,1.png", "--style-image", "s.png",
                                     "--output-image", "{name}.png"], "--content-image \(folder)/c,1.png is given twice; give each image once")
        try assertOneLineUsageError(["--progress", "none", "--content-image", "", "--style-image", "s.png"],
                                    "--content-image is empty; give an image file or a folder of them")
    }

    /// An option given twice used to keep the last without a word; only the image lists repeat.
    func testAnOptionGivenTwiceIsRefused() throws {
        try assertOneLineUsageError(["--image-size", "256", "--content-image", "a.png", "--image-size=512"], "'--image-size' is given twice (256, then 512); give it once")
        try assertOneLineUsageError(["-image_size", "256", "-image_size", "512"], "'-image_size' is given twice (256, then 512); give it once")
        try assertOneLineUsageError(["-image_size", "256", "--image-size", "512"], "'-image_size 256' and '--image-size 512' both set --image-size; give one of them")
        try assertOneLineUsageError(["-original_colors", "1", "--original-colors"], "'--original-colors' is given twice; give it once")
        try assertOneLineUsageError(["--original-colors", "--original-colors"], "'--original-colors' is given twice; give it once")
        try assertOneLineUsageError(["bench", "--size", "64", "--size", "128"], "'--size' is given twice (64, then 128); give it once")
        try assertOneLineUsageError(["reconstruct", "--style-image", "a.png", "--style-image", "b.png"], "'--style-image' is given twice (a.png, then b.png); give it once")
        try assertOneLineUsageError(["--progress", "none", "--style-image", "a.png", "--style-image", "b.png", "--content-image", "c.png", "--content-image", "c.png",
                                     "--output-image", "o/{name}.png"], "--content-image c.png is given twice; give each image once")
        // neural-style's -gpu becomes --backend or --device: a clash names the words typed, not the translation.
        try assertOneLineUsageError(["-gpu", "-1", "--backend", "opencl"], "'-gpu -1' and '--backend opencl' both set --backend; give one of them")
        try assertOneLineUsageError(["--backend", "cpu", "-gpu", "-1"], "'--backend cpu' and '-gpu -1' both set --backend; give one of them")
        try assertOneLineUsageError(["-gpu", "-1", "-gpu", "-1"], "'-gpu' is given twice (-1, then -1); give it once")
    }

    func testNegativeNumbersReachTheirOption() throws {
        try assertOneLineUsageError(["--seed", "-1"], "The value '-1' is invalid for '--seed <seed>'")
        try assertOneLineUsageError(["--threads", "-2,3"], "The value '-2,3' is invalid for '--threads <threads>'")
        try assertOneLineUsageError(["--original-colors", "-1"],
                                    "The option '--original-colors' does not take any value, but '-1' was specified.")
    }

    /// With JSON progress a failed run ends with an "error" event on stdout (the message still goes to stderr).
    func testJSONProgressEndsWithTheError() throws {
        let result = try run(["--progress", "json", "--style-image", "a.png,,b.png"])
        XCTAssertEqual(result.status, 64)
        let event = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(event?["event"] as? String, "error")
        XCTAssertEqual(event?["kind"] as? String, "usage")
        XCTAssertEqual(event?["exit_code"] as? Int, 64)
        XCTAssertTrue((event?["message"] as? String)?.contains("an empty entry between commas") == true, result.stdout)
        XCTAssertTrue(result.stderr.hasPrefix("gpustyle: error: --style-image"), result.stderr)
        // It comes for a command line that does not parse too (and only once): asked for by name, or under
        // --progress auto (the default) while stderr is no terminal, as here.
        let auto = try run(["--bogus"])
        XCTAssertEqual(auto.status, 64)
        XCTAssertTrue(auto.stdout.hasPrefix("{") && auto.stdout.contains("\"event\":\"error\""), auto.stdout)
        XCTAssertEqual(try run(["--progress", "none", "--bogus"]).stdout, "")
        XCTAssertEqual(try run(["bench", "--bogus"]).stdout, "", "bench has no JSON progress")
        for arguments in [["--progress", "json", "--bogus"], ["--progress=json", "--num-iterations", "abc"], ["-content_image", "--progress", "json"],
                          ["--progress", "json", "--print-iter", "-1"]] {
            let parse = try run(arguments)
            XCTAssertEqual(parse.status, 64, "\(arguments)")
            let lines = parse.stdout.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(arguments): \(parse.stdout)")
            let parsed = try JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any]
            XCTAssertEqual(parsed?["event"] as? String, "error", "\(arguments)")
            XCTAssertEqual(parsed?["exit_code"] as? Int, 64, "\(arguments)")
        }
    }

    /// `reconstruct` checks its sizes before resizing or starting a device (an --image-size of 100000 used to abort
    /// allocating 80 GB), and with JSON progress ends with the error event too.
    func testReconstructRefusesBadSizesUpFront() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples").standardized
        let content = examples.appendingPathComponent("chelsea.png").path, style = examples.appendingPathComponent("shipwreck.jpg").path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("gpustyle-reconstruct-\(getpid()).png").path
        let common = ["reconstruct", "--content-image", content, "--style-image", style, "--output-image", output, "--progress", "none"]
        try assertOneLineUsageError(common + ["--image-size", "100000"], "--image-size must be 16…32768 px (got 100000)")
        try assertOneLineUsageError(common + ["--image-size", "30000"],
                                    "--content-image \(content): --image-size 30000 makes it 30000×19956, over the --max-pixels limit of 89478485; use a smaller --image-size")
        try assertOneLineUsageError(common + ["--num-iterations", "0"], "--num-iterations must be at least 1 (got 0)")
        try assertOneLineUsageError(common + ["--image-size", "4096"],
                                    "--image-size 4096 makes the contact sheet 24604×5490, over the --max-pixels limit of 89478485; use a smaller --image-size or raise --max-pixels")
        // A missing image is a usage error naming its option, as in stylize (it used to be exit 65 from the decoder).
        let result = try run(["reconstruct", "--content-image", content, "--style-image", "/nonexistent/style.png", "--output-image", output, "--progress", "json"])
        XCTAssertEqual(result.status, 64)
        let event = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(event?["event"] as? String, "error", result.stdout)
        XCTAssertEqual(event?["exit_code"] as? Int, 64)
        XCTAssertTrue((event?["message"] as? String ?? "").contains("--style-image /nonexistent/style.png: No such file"), result.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    /// bench and tune refuse what they would otherwise run with (tune used to run a trial and store it for
    /// `--time-limit -1`, and to find an unusable --report only after minutes of trials).
    func testBenchAndTuneRefuseNonsenseUpFront() throws {
        try assertOneLineUsageError(["bench", "--iterations", "0"], "--iterations must be at least 1 (got 0)")
        try assertOneLineUsageError(["bench", "--compare", "--backend", "cpu"],
                                    "--compare runs both the CPU and the OpenCL backend; drop --backend cpu")
        try assertOneLineUsageError(["tune", "--time-limit", "-1"], "--time-limit must be a finite number of seconds > 0; leave it out for no limit (got -1)")
        try assertOneLineUsageError(["tune", "--time-limit", "nan"], "--time-limit must be a finite number of seconds > 0; leave it out for no limit (got nan)")
        let folder = FileManager.default.temporaryDirectory.path
        try assertOneLineUsageError(["tune", "--report", folder], "--report \(folder) is a folder; give a file name")
    }

    /// SIGTERM while the device starts or the model is read (or at the first iterations) ends the run with exit 75 and
    /// the JSON error event, writing nothing (it used to die with 143 and no event before the rendering began).
    func testATerminationBeforeRenderingIsReported() throws {
        let binary = Bundle.main.bundleURL.appendingPathComponent("gpustyle")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("no gpustyle binary at \(binary.path)") }
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples").standardized
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("gpustyle-sigterm-\(getpid()).png").path
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--content-image", examples.appendingPathComponent("chelsea.png").path, "--style-image",
                             examples.appendingPathComponent("shipwreck.jpg").path, "--output-image", output, "--backend", "cpu", "--progress", "json"]
        let (out, err) = (Pipe(), Pipe())
        (process.standardOutput, process.standardError) = (out, err)
        try process.run()
        usleep(400_000)  // past the argument parsing, into the device start, the model load or the first iteration
        process.terminate()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if stderr.contains("model") && !stderr.contains("interrupted") { throw XCTSkip("the default model is not installed: \(stderr)") }
        XCTAssertEqual(process.terminationStatus, 75, stderr)
        let last = try JSONSerialization.jsonObject(with: Data((stdout.split(separator: "\n").last ?? "").utf8)) as? [String: Any]
        XCTAssertEqual(last?["event"] as? String, "error", stdout)
        XCTAssertEqual(last?["kind"] as? String, "interrupted", stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    func testHelpStillExitsZero() throws {
        let result = try run(["--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("USAGE: gpustyle"), result.stdout)
        XCTAssertEqual(result.stderr, "")
    }
}
