// HDF5RealFileTests.swift — optional checks against real HDF5 files given by environment variables (skipped in CI).
import XCTest
@testable import GPUStyle

final class HDF5RealFileTests: XCTestCase {
    /// With `GPUSTYLE_TEST_H5=file.h5` and `GPUSTYLE_TEST_H5_DUMP=out.safetensors`, reads the file and writes
    /// every tensor (under its HDF5 path) to a safetensors file, so `scripts/compare_h5_dump.py` can check
    /// each one against h5py.
    func testDumpRealFileForComparison() throws {
        let env = ProcessInfo.processInfo.environment
        guard let input = env["GPUSTYLE_TEST_H5"], let output = env["GPUSTYLE_TEST_H5_DUMP"] else {
            throw XCTSkip("set GPUSTYLE_TEST_H5 and GPUSTYLE_TEST_H5_DUMP to check a real HDF5 file")
        }
        let start = Date()
        let file = try HDF5Reader.read(path: input)
        print("read \(file.tensors.count) tensors from \(input) in \(Date().timeIntervalSince(start)) s")
        try SafetensorsWriter.write(file.tensors, metadata: ["source": input], to: output)
    }
}
