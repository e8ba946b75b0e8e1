// ImageBadInputTests.swift — bad image input gives a precise GPUStyleError(.image), never a crash or a huge allocation.
import XCTest
@testable import GPUStyle

final class ImageBadInputTests: XCTestCase {
    private func smallPNG() throws -> [UInt8] {
        let samples = Fixture.randomBytes(9 * 7 * 3, seed: 1).map(UInt16.init)
        return try Fixture.png(samples, width: 9, height: 7, color: .rgb, bitDepth: 8)
    }

    private func smallJPEG(progressive: Bool = false) throws -> [UInt8] {
        try Fixture.jpeg(Fixture.smoothRGB8(width: 20, height: 12), width: 20, height: 12, components: 3,
                         progressive: progressive)
    }

    func testEmptyTextAndForeignFormats() {
        assertImageError(["fixture: ", "empty"], "empty") { try Fixture.decode([]) }
        assertImageError(["contains text"], "text") { try Fixture.decode(Array("hello, world\nnot an image\n".utf8)) }
        assertImageError(["GIF", "PNG and JPEG"], "GIF") { try Fixture.decode(Array("GIF89a".utf8) + [1, 0, 1, 0, 0]) }
        assertImageError(["WebP"], "WebP") { try Fixture.decode(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)) }
        assertImageError(["TIFF"], "TIFF") { try Fixture.decode([0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0]) }
        assertImageError(["SVG"], "SVG") { try Fixture.decode(Array("<?xml version=\"1.0\"?><svg/>".utf8)) }
        assertImageError(["not a PNG or JPEG", "00 01 02 03"], "binary") { try Fixture.decode([0, 1, 2, 3, 4, 5]) }
    }

    func testEveryTruncationOfAPNGIsAnError() throws {
        let png = try smallPNG()
        XCTAssertNoThrow(try Fixture.decode(png))
        for length in 1..<png.count {
            let what = "PNG cut to \(length) of \(png.count) bytes"
            assertImageError(length >= 2 ? ["truncated PNG"] : [], what) { try Fixture.decode(Array(png.prefix(length))) }
        }
    }

    func testEveryTruncationOfAJPEGIsAnError() throws {
        for progressive in [false, true] {
            let jpeg = try smallJPEG(progressive: progressive)
            XCTAssertNoThrow(try Fixture.decode(jpeg))
            for length in 2..<jpeg.count {
                let what = "\(progressive ? "progressive " : "")JPEG cut to \(length) of \(jpeg.count) bytes"
                assertImageError(["truncated JPEG"], what) { try Fixture.decode(Array(jpeg.prefix(length))) }
            }
        }
    }

    func testCorruptPNGData() throws {
        let png = try smallPNG()
        // A flipped byte inside IDAT fails the chunk CRC.
        guard let idat = (0..<(png.count - 4)).first(where: { png[$0..<($0 + 4)].elementsEqual(Array("IDAT".utf8)) }) else {
            return XCTFail("no IDAT")
        }
        var flipped = png
        flipped[idat + 10] ^= 0x55
        assertImageError(["corrupt PNG data"], "IDAT byte flipped") { try Fixture.decode(flipped) }
        var header = png
        header[23] ^= 0x01  // height 7 → 6, IHDR CRC now wrong
        assertImageError(["corrupt PNG data", "IHDR: CRC error"], "IHDR CRC") { try Fixture.decode(header) }
        // The same damage with a recomputed CRC reaches zlib, which must reject it (or its Adler-32 check).
        let length = Int(png[idat - 4]) << 24 | Int(png[idat - 3]) << 16 | Int(png[idat - 2]) << 8 | Int(png[idat - 1])
        var resealed = png
        resealed[idat + 4] ^= 0xFF  // zlib header
        resealed.replaceSubrange((idat + 4 + length)..<(idat + 8 + length),
                                 with: Fixture.be32(Fixture.crc32(resealed[idat..<(idat + 4 + length)])))
        assertImageError(["corrupt PNG data"], "zlib header broken") { try Fixture.decode(resealed) }
        // A signature that is not PNG's but starts like it.
        var signature = png
        signature[5] = 0x00
        assertImageError(["damaged PNG signature"], "bad signature") { try Fixture.decode(signature) }
        // IHDR with an illegal bit depth (and a good CRC).
        var depth = png
        depth[24] = 7
        depth.replaceSubrange(29..<33, with: Fixture.be32(Fixture.crc32(depth[12..<29])))
        assertImageError(["corrupt PNG data"], "bit depth 7") { try Fixture.decode(depth) }
    }

    func testCorruptJPEGStructure() throws {
        let jpeg = try smallJPEG()
        guard let sof = Fixture.jpegMarkerOffset(jpeg, 0xC0), let dht = Fixture.jpegMarkerOffset(jpeg, 0xC4) else {
            return XCTFail("no SOF0/DHT")
        }
        var precision = jpeg
        precision[sof + 4] = 12
        assertImageError(["unsupported JPEG", "precision 12"], "12-bit") { try Fixture.decode(precision) }
        var lossless = jpeg
        lossless[sof + 1] = 0xC3
        assertImageError(["unsupported JPEG", "SOF type 0xc3"], "lossless") { try Fixture.decode(lossless) }
        var components = jpeg
        components[sof + 9] = 2
        assertImageError(["corrupt JPEG data"], "SOF length / component count disagree") { try Fixture.decode(components) }
        var table = jpeg
        table[dht + 4] = 0x37  // Huffman table class 3: invalid
        assertImageError(["corrupt JPEG data"], "bad DHT") { try Fixture.decode(table) }
        // Entropy-coded data has no checksum, but a marker inside it ends the data early.
        guard let sos = Fixture.jpegMarkerOffset(jpeg, 0xDA) else {
            return XCTFail("no SOS")
        }
        let scanStart = sos + 2 + (Int(jpeg[sos + 2]) << 8 | Int(jpeg[sos + 3]))
        var marker = jpeg
        marker.replaceSubrange((scanStart + 4)..<(scanStart + 6), with: [0xFF, 0xD9])
        assertImageError(["corrupt JPEG data"], "EOI inside the scan") { try Fixture.decode(marker) }
    }

    func testHugeClaimedDimensionsWithATinyFile() throws {
        let huge = Fixture.pngHeaderOnly(width: 1_000_000, height: 1_000_000)
        XCTAssertLessThan(huge.count, 64)
        assertImageError(["1000000×1000000 = 10¹² pixels", "over the limit of 89478485", "--max-pixels"], "PNG 10⁶×10⁶") {
            try Fixture.decode(huge)
        }
        let wide = Fixture.pngWithSize(try smallPNG(), width: 0x7FFF_FFFF, height: 0x7FFF_FFFF)
        assertImageError(["2147483647×2147483647", "over the limit"], "PNG 2³¹−1 square") { try Fixture.decode(wide) }
        let jpeg = Fixture.jpegWithSize(try smallJPEG(), width: 65500, height: 65500)
        assertImageError(["65500×65500 = 4290250000 (≈ 4.3×10⁹) pixels", "over the limit"], "JPEG 65500²") {
            try Fixture.decode(jpeg)
        }
        // The limit is a parameter: just under and exactly at the pixel count.
        let png = try smallPNG()
        assertImageError(["9×7 = 63 pixels, over the limit of 62"], "limit 62") { try Fixture.decode(png, maxPixels: 62) }
        XCTAssertNoThrow(try Fixture.decode(png, maxPixels: 63))
        assertImageError(["at least 1"], "limit 0", kind: .usage) { try Fixture.decode(png, maxPixels: 0) }
    }

    func testZeroSizedImages() throws {
        for (w, h) in [(0, 7), (9, 0), (0, 0)] {
            let png = Fixture.pngWithSize(try smallPNG(), width: UInt32(w), height: UInt32(h))
            assertImageError(["zero-sized image", "\(w)×\(h)"], "PNG \(w)×\(h)") { try Fixture.decode(png) }
        }
        for (w, h) in [(0, 12), (20, 0)] {
            let jpeg = Fixture.jpegWithSize(try smallJPEG(), width: w, height: h)
            assertImageError(["zero-sized image"], "JPEG \(w)×\(h)") { try Fixture.decode(jpeg) }
        }
    }

    func testOversizedMetadataChunkIsNotAllocated() throws {
        let png = try smallPNG()
        // A tEXt chunk claiming 2³¹−1 bytes, right after IHDR, in a file of a few hundred bytes.
        let claim = Fixture.be32(0x7FFF_FFFF) + Array("tEXt".utf8) + Array("Comment\0".utf8)
        let bomb = Array(png.prefix(33)) + claim + Array(png.dropFirst(33))
        let started = Date()
        assertImageError(["truncated PNG", "inside the tEXt chunk"], "tEXt of 2 GiB claimed") { try Fixture.decode(bomb) }
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.5, "refused without touching 2 GiB")
        // Present in full, a metadata chunk over 16 MiB is refused before libpng allocates it (the
        // check comes before the CRC's, so the CRC here is left as zeros).
        let length = (16 << 20) + 1
        let large = Array(png.prefix(33)) + Fixture.be32(UInt32(length)) + Array("zTXt".utf8)
            + [UInt8](repeating: 0x41, count: length) + [0, 0, 0, 0] + Array(png.dropFirst(33))
        assertImageError(["zTXt", "over the limit"], "zTXt of 16 MiB + 1") { try Fixture.decode(large) }
        // A valid structure whose few IDAT bytes cannot inflate to the claimed 9000 × 9000 pixels.
        let claimed = Fixture.pngWithSize(png, width: 9000, height: 9000)
        assertImageError(["cannot hold a 9000×9000 image"], "IDAT too small") { try Fixture.decode(claimed) }
    }

    /// The IDAT sufficiency check must not reject a genuine, extremely compressible image.
    func testHighlyCompressedLargePNGDecodes() throws {
        let side = 1500
        let png = try Fixture.png([UInt16](repeating: 0, count: side * side), width: side, height: side,
                                  color: .gray, bitDepth: 8)
        XCTAssertLessThan(png.count * 200, side * side, "compressed over 200:1")
        let image = try Fixture.decode(png)
        XCTAssertEqual([image.width, image.height], [side, side])
        XCTAssertEqual(image.pixels.max(), 0)
    }

    /// A small seeded mutation fuzz: 1–4 random bytes overwritten in valid files. Each decode must either
    /// throw a GPUStyleError(.image) or return an image of a plausible size — never crash.
    func testRandomByteMutationsNeverCrash() throws {
        let originals = [try smallPNG(), try smallJPEG(), try smallJPEG(progressive: true),
                         try Fixture.png((0..<(13 * 5)).map { UInt16($0 % 4) }, width: 13, height: 5, color: .palette,
                                         bitDepth: 2, interlaced: true, palette: Fixture.randomBytes(12, seed: 3))]
        var rng = SplitMix64(seed: 2024)
        var outcomes = (errors: 0, images: 0)
        for round in 0..<600 {
            var bytes = originals[round % originals.count]
            for _ in 0...(rng.next() % 4) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            do {
                let image = try Fixture.decode(bytes, maxPixels: 1 << 20)
                XCTAssertEqual(image.pixels.count, 3 * image.width * image.height)
                outcomes.images += 1
            } catch let error as GPUStyleError {
                XCTAssertEqual(error.kind, .image, error.message)
                outcomes.errors += 1
            }
        }
        XCTAssertGreaterThan(outcomes.errors, 50, "mutations are detected")
        XCTAssertGreaterThan(outcomes.images, 10, "harmless mutations still decode")
    }

    func testUnreadableFiles() throws {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        assertImageError(["\(folder)/missing.png: cannot open", "No such file"], "missing") {
            try ImageIO.read(path: folder + "/missing.png")
        }
        assertImageError(["is a folder"], "folder") { try ImageIO.read(path: folder) }
        _ = FileManager.default.createFile(atPath: folder + "/empty.jpg", contents: Data())
        assertImageError(["empty.jpg: the file is empty"], "empty file") { try ImageIO.read(path: folder + "/empty.jpg") }
        // Content decides, not the extension: a PNG named .jpg reads fine.
        _ = FileManager.default.createFile(atPath: folder + "/really-a-png.jpg", contents: Data(try smallPNG()))
        XCTAssertEqual(try ImageIO.read(path: folder + "/really-a-png.jpg").width, 9)
        // A file larger than the pixel limit could need is refused before it is read.
        _ = FileManager.default.createFile(atPath: folder + "/big.png", contents: Data(try smallPNG()))
        XCTAssertEqual(truncate(folder + "/big.png", off_t(64 * 16 + (64 << 20) + 1)), 0, "sparse file")
        assertImageError(["big.png", "bytes, more than"], "oversized file") { try ImageIO.read(path: folder + "/big.png", maxPixels: 64) }
    }
}
