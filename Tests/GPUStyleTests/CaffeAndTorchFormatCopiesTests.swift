// CaffeAndTorchFormatCopiesTests.swift — the same VGG weights as .pth (ZIP, legacy) and .caffemodel (V1, V2) agree (by hand; skipped in CI).
import XCTest
@testable import GPUStyle

/// Reads the folder written by `scripts/make_format_copies.py` (named by GPUSTYLE_FORMAT_COPIES) and checks
/// that every .pth and .caffemodel copy holds the same tensors, bit for bit, as the safetensors copy
/// (parsed here independently of any reader in the library).
final class CaffeAndTorchFormatCopiesTests: XCTestCase {
    /// torchvision `features.N` index → Caffe name, for VGG16 and VGG19.
    private func caffeName(_ name: String, _ architecture: Architecture) -> String {
        let parts = name.split(separator: ".")
        guard parts.count == 3, parts[0] == "features", let index = Int(parts[1]) else { return name }
        var featureIndex = 0
        var convIndex = 0
        for count in architecture.convsPerBlock {
            for _ in 0..<count {
                if featureIndex == index { return "\(architecture.convolutions[convIndex].name).\(parts[2])" }
                featureIndex += 2
                convIndex += 1
            }
            featureIndex += 1
        }
        return name
    }

    /// Tensors of a safetensors file: 8-byte header length, JSON header, F32 data.
    private func safetensors(_ path: String) throws -> [String: [Float]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any] ?? [:]
        var result: [String: [Float]] = [:]
        for (name, entry) in header where name != "__metadata__" {
            guard let entry = entry as? [String: Any], let offsets = entry["data_offsets"] as? [Int] else { continue }
            let bytes = data.subdata(in: (8 + headerLength + offsets[0])..<(8 + headerLength + offsets[1]))
            result[name] = bytes.withUnsafeBytes { raw in (0..<(bytes.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
        }
        return result
    }

    /// A field of /proc/self/status in KiB (Linux: VmHWM = peak resident, RssAnon = resident anonymous memory).
    private func statusKiB(_ field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    /// With `--full-size` copies, a 575 MB VGG19 .caffemodel (fc6–fc8 included) is read with memory close to
    /// its 80 MB of convolution weights: the fully connected blobs are skipped, never copied or touched.
    /// Anonymous memory grows by the weights; the peak resident set also counts the mapped (clean,
    /// reclaimable) file pages of the convolution blobs, so about twice that.
    /// Run this test alone (`--filter …/testFullSizeCaffemodelMemory`) so the peak belongs to it.
    func testFullSizeCaffemodelMemory() throws {
        guard let folder = ProcessInfo.processInfo.environment["GPUSTYLE_FORMAT_COPIES"] else {
            throw XCTSkip("set GPUSTYLE_FORMAT_COPIES to a folder written by scripts/make_format_copies.py --full-size")
        }
        let path = "\(folder)/vgg19-random-v1.caffemodel"
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > 500_000_000, let peakBefore = statusKiB("VmHWM"), let anonBefore = statusKiB("RssAnon") else {
            throw XCTSkip("\(path) is not a full-size copy")
        }
        let start = Date()
        let file = try CaffeModelReader.read(path: path)
        let seconds = Date().timeIntervalSince(start)
        let weightsMiB = Double(file.tensors.reduce(0) { $0 + $1.values.count } * 4) / 1_048_576
        let peakMiB = Double((statusKiB("VmHWM") ?? 0) - peakBefore) / 1024
        let anonMiB = withExtendedLifetime(file) { Double((statusKiB("RssAnon") ?? 0) - anonBefore) / 1024 }
        print("\(path): \(size / 1_048_576) MiB file, \(String(format: "%.0f", weightsMiB)) MiB of conv weights; anonymous memory grew \(String(format: "%.0f", anonMiB)) MiB, peak RSS \(String(format: "%.0f", peakMiB)) MiB; \(String(format: "%.2f", seconds)) s")
        XCTAssertLessThan(anonMiB, weightsMiB * 1.2 + 16, "only the convolution weights may be copied")
        XCTAssertLessThan(peakMiB, weightsMiB * 2.2 + 32, "the skipped fc blobs must not be touched")
    }

    func testFormatCopiesAgree() throws {
        guard let folder = ProcessInfo.processInfo.environment["GPUSTYLE_FORMAT_COPIES"] else {
            throw XCTSkip("set GPUSTYLE_FORMAT_COPIES to a folder written by scripts/make_format_copies.py")
        }
        for (stem, architecture) in [("vgg16", Architecture.vgg16), ("vgg19-random", .vgg19)] {
            let reference = try safetensors("\(folder)/\(stem).safetensors")
            XCTAssertEqual(reference.count, 2 * architecture.convolutions.count, stem)
            for suffix in ["-zip.pth", "-legacy.pth", "-neuralstylept.pth", "-v1.caffemodel", "-v2.caffemodel"] {
                let path = "\(folder)/\(stem)\(suffix)"
                let start = Date()
                let file = suffix.hasSuffix(".pth") ? try TorchReader.read(path: path) : try CaffeModelReader.read(path: path)
                let seconds = Date().timeIntervalSince(start)
                XCTAssertEqual(file.tensors.count, reference.count, path)
                for tensor in file.tensors {
                    let name = caffeName(tensor.name, architecture)
                    XCTAssertEqual(tensor.values, reference[name], "\(path): \(tensor.name) differs from \(name) in the safetensors copy")
                    let isWeight = name.hasSuffix(".weight")
                    XCTAssertEqual(tensor.shape.count, isWeight ? 4 : 1, "\(path): \(tensor.name) shape \(tensor.shape)")
                }
                print("\(path): \(file.format), \(file.tensors.count) tensors in \(String(format: "%.2f", seconds)) s; skipped: \(file.metadata["skipped"] ?? "none")")
            }
        }
    }
}
