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

    /// With `GPUSTYLE_TEST_FUZZ_H5=file.h5` (and optional `GPUSTYLE_TEST_FUZZ_ROUNDS`), reads seeded damaged
    /// copies of that file: any error is fine, a crash or hang is a bug.
    func testFuzzRealFile() throws {
        let env = ProcessInfo.processInfo.environment
        guard let input = env["GPUSTYLE_TEST_FUZZ_H5"] else { throw XCTSkip("set GPUSTYLE_TEST_FUZZ_H5 to fuzz a real HDF5 file") }
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: input)))
        let rounds = Int(env["GPUSTYLE_TEST_FUZZ_ROUNDS"] ?? "") ?? 1000
        var rng = SplitMix64(seed: 123)
        var rejected = 0
        for round in 0..<rounds {
            var bytes = original
            if round % 10 == 0 {
                bytes.removeLast(Int(rng.next() % UInt64(bytes.count)))
            } else {
                for _ in 0..<(1 + Int(rng.next() % 8)) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            if (try? bytes.withUnsafeBytes { try HDF5Reader.read(bytes: $0, path: input) }) == nil { rejected += 1 }
        }
        print("\(rounds) damaged copies of \(input): \(rejected) rejected, none crashed")
    }
}
