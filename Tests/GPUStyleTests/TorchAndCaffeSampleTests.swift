// TorchAndCaffeSampleTests.swift — checks the readers against real torch.save / protobuf files (by hand; skipped in CI).
import XCTest
@testable import GPUStyle

/// Reads the folder written by `scripts/make_reader_samples.py` (named by GPUSTYLE_READER_SAMPLES) and
/// compares every file with the values PyTorch / protobuf wrote into `expected.json`, bit for bit.
final class TorchAndCaffeSampleTests: XCTestCase {
    func testRealSamplesDecodeExactly() throws {
        guard let folder = ProcessInfo.processInfo.environment["GPUSTYLE_READER_SAMPLES"] else {
            throw XCTSkip("set GPUSTYLE_READER_SAMPLES to a folder written by scripts/make_reader_samples.py")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent("expected.json"))
        guard let expected = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else {
            return XCTFail("expected.json is not a dict of dicts")
        }
        XCTAssertGreaterThan(expected.count, 0)
        for (name, spec) in expected.sorted(by: { $0.key < $1.key }) {
            let path = "\(folder)/\(name)"
            let read = { () throws -> WeightFile in
                name.hasSuffix(".caffemodel") ? try CaffeModelReader.read(path: path) : try TorchReader.read(path: path)
            }
            if let error = spec["error"] as? String {
                XCTAssertThrowsError(try read(), name) { e in
                    XCTAssertTrue("\(e)".contains(error), "\(name): expected '\(error)' in: \(e)")
                }
                continue
            }
            let file: WeightFile
            do { file = try read() } catch { XCTFail("\(name): \(error)"); continue }
            XCTAssertEqual(file.format, spec["format"] as? String, name)
            XCTAssertEqual(file.metadata["skipped"], spec["skipped"] as? String, name)
            let tensors = spec["tensors"] as? [[String: Any]] ?? []
            XCTAssertEqual(file.tensors.map(\.name), tensors.compactMap { $0["name"] as? String }, name)
            for (tensor, want) in zip(file.tensors, tensors) {
                XCTAssertEqual(tensor.shape, want["shape"] as? [Int], "\(name) \(tensor.name)")
                let values = (want["values"] as? [Double] ?? []).map { Float($0) }
                XCTAssertEqual(tensor.values, values, "\(name) \(tensor.name): values differ")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(folder)/PWNED"), "a pickle ran code")
    }
}
