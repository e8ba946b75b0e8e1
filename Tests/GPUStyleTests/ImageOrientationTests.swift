// ImageOrientationTests.swift — EXIF orientation 1–8 gives the right transposition/flip; bad Exif never breaks a read.
import XCTest
@testable import GPUStyle

final class ImageOrientationTests: XCTestCase {
    /// A stored 32×16 picture: red 8×8 block at the top-left corner, green at the top-right, gray elsewhere.
    private func storedPicture() -> [UInt8] {
        var samples = [UInt8]()
        for y in 0..<16 {
            for x in 0..<32 {
                if y < 8 && x < 8 { samples += [255, 0, 0] } else if y < 8 && x >= 24 { samples += [0, 255, 0] } else { samples += [128, 128, 128] }
            }
        }
        return samples
    }

    private enum Corner { case topLeft, topRight, bottomLeft, bottomRight }

    /// Where the stored top-left (red) and top-right (green) corners must appear, per the EXIF spec's
    /// meaning of each value ("row 0 is the visual …, column 0 is the visual …").
    private let expectations: [Int: (swapped: Bool, red: Corner, green: Corner)] = [
        1: (false, .topLeft, .topRight),
        2: (false, .topRight, .topLeft),
        3: (false, .bottomRight, .bottomLeft),
        4: (false, .bottomLeft, .bottomRight),
        5: (true, .topLeft, .bottomLeft),
        6: (true, .topRight, .bottomRight),
        7: (true, .bottomRight, .topRight),
        8: (true, .bottomLeft, .topLeft),
    ]

    /// RGB at the centre of the 8×8 block in `corner`.
    private func colour(_ image: RGBImage, _ corner: Corner) -> [Float] {
        let x = corner == .topLeft || corner == .bottomLeft ? 4 : image.width - 4
        let y = corner == .topLeft || corner == .topRight ? 4 : image.height - 4
        let plane = image.width * image.height, p = y * image.width + x
        return [image.pixels[p], image.pixels[plane + p], image.pixels[2 * plane + p]]
    }

    private func assertColour(_ value: [Float], _ expected: [Float], _ what: String, line: UInt = #line) {
        for c in 0..<3 { XCTAssertEqual(value[c], expected[c], accuracy: 6 / 255, "\(what) channel \(c)", line: line) }
    }

    func testEveryOrientationInBothByteOrders() throws {
        for orientation in 1...8 {
            for bigEndian in [false, true] {
                let jpeg = try Fixture.jpeg(storedPicture(), width: 32, height: 16, components: 3,
                                            app1: Fixture.exifPayload(orientation: orientation, bigEndian: bigEndian))
                XCTAssertEqual(ExifOrientation.fromJPEG(jpeg), orientation)
                let image = try Fixture.decode(jpeg)
                guard let expected = expectations[orientation] else { return XCTFail("table") }
                let label = "orientation \(orientation) \(bigEndian ? "MM" : "II")"
                XCTAssertEqual(image.width, expected.swapped ? 16 : 32, label)
                XCTAssertEqual(image.height, expected.swapped ? 32 : 16, label)
                assertColour(colour(image, expected.red), [1, 0, 0], "\(label): red")
                assertColour(colour(image, expected.green), [0, 1, 0], "\(label): green")
            }
        }
    }

    /// PNG carries Exif in an `eXIf` chunk (the TIFF structure without the "Exif\0\0" prefix).
    func testPNGExifChunkIsHonoured() throws {
        let png = try Fixture.png(storedPicture().map(UInt16.init), width: 32, height: 16, color: .rgb, bitDepth: 8)
        XCTAssertEqual(ExifOrientation.fromPNG(png), 1)
        for orientation in [3, 6, 8] {
            let tiff = Array(Fixture.exifPayload(orientation: orientation, bigEndian: orientation == 6).dropFirst(6))
            let tagged = Array(png.prefix(33)) + Fixture.pngChunk("eXIf", tiff) + Array(png.dropFirst(33))
            XCTAssertEqual(ExifOrientation.fromPNG(tagged), orientation)
            let image = try Fixture.decode(tagged)
            guard let expected = expectations[orientation] else { return XCTFail("table") }
            XCTAssertEqual([image.width, image.height], expected.swapped ? [16, 32] : [32, 16], "orientation \(orientation)")
            assertColour(colour(image, expected.red), [1, 0, 0], "PNG orientation \(orientation): red")
        }
        // A chunk length running past the end is ignored here (the decoder reports the damage).
        XCTAssertEqual(ExifOrientation.fromPNG(Array(png.prefix(33)) + Fixture.be32(0x7FFF_FFFF) + Array("eXIf".utf8)), 1)
    }

    func testNoExifOrOtherAPP1MeansUpright() throws {
        let plain = try Fixture.jpeg(storedPicture(), width: 32, height: 16, components: 3)
        XCTAssertEqual(ExifOrientation.fromJPEG(plain), 1)
        let xmp = Array("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>".utf8)
        let withXMP = try Fixture.jpeg(storedPicture(), width: 32, height: 16, components: 3, app1: xmp)
        XCTAssertEqual(ExifOrientation.fromJPEG(withXMP), 1)
        XCTAssertEqual(try Fixture.decode(withXMP).width, 32)
    }

    func testMalformedExifIsIgnoredNotFatal() throws {
        let good = Fixture.exifPayload(orientation: 6, bigEndian: false)
        XCTAssertEqual(good.count, 44, "Exif header 6 + TIFF header 8 + count 2 + 2 entries of 12 + next-IFD 4")
        var variants: [(label: String, payload: [UInt8], orientation: Int)] = [
            ("value 0", Fixture.exifPayload(orientation: 0, bigEndian: false), 1),
            ("value 9", Fixture.exifPayload(orientation: 9, bigEndian: true), 1),
            ("bad byte order", Array(good.prefix(6)) + [0x58, 0x58] + Array(good.dropFirst(8)), 1),
            ("only the Exif header", Array(good.prefix(6)), 1),
        ]
        var farIFD = good
        farIFD.replaceSubrange(10..<14, with: [0xF0, 0xFF, 0xFF, 0x7F])  // IFD0 offset far past the end
        variants.append(("IFD offset out of bounds", farIFD, 1))
        var manyEntries = good
        manyEntries.replaceSubrange(14..<16, with: [0xFF, 0xFF])          // 65535 entries claimed
        variants.append(("entry count past the end", manyEntries, 6))     // the real entries still come first
        var wrongType = good
        wrongType[30] = 7                                                  // orientation typed UNDEFINED
        variants.append(("wrong type", wrongType, 1))
        // The orientation value ends at payload byte 38: shorter cuts lose it, longer ones keep it.
        for cut in 7..<good.count { variants.append(("cut at \(cut)", Array(good.prefix(cut)), cut >= 38 ? 6 : 1)) }
        for (label, payload, orientation) in variants {
            XCTAssertEqual(ExifOrientation.fromTIFF(Array(payload.dropFirst(6))), orientation, label)
            let jpeg = try Fixture.jpeg(storedPicture(), width: 32, height: 16, components: 3, app1: payload)
            let image = try Fixture.decode(jpeg)
            XCTAssertEqual(image.width, orientation == 6 ? 16 : 32, label)
        }
    }

    func testSegmentLengthsRunningPastTheEndStopTheScan() {
        // SOI, then an APP1 whose length claims more bytes than there are.
        let bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, 0x7F, 0xFF] + Array("Exif".utf8) + [0, 0, 0x49, 0x49]
        XCTAssertEqual(ExifOrientation.fromJPEG(bytes), 1)
        XCTAssertEqual(ExifOrientation.fromJPEG([0xFF, 0xD8]), 1)
        XCTAssertEqual(ExifOrientation.fromJPEG([0xFF, 0xD8, 0xFF, 0xFF, 0xFF]), 1)
        XCTAssertEqual(ExifOrientation.fromJPEG([0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0x00]), 1)
    }

    func testTransformsOnAPixelGrid() {
        // 3×2 image with values 0…5 (row-major) in every channel.
        let base = RGBImage(width: 3, height: 2, pixels: (0..<18).map { Float($0 % 6) })
        let expected: [Int: (Int, Int, [Float])] = [
            1: (3, 2, [0, 1, 2, 3, 4, 5]),
            2: (3, 2, [2, 1, 0, 5, 4, 3]),
            3: (3, 2, [5, 4, 3, 2, 1, 0]),
            4: (3, 2, [3, 4, 5, 0, 1, 2]),
            5: (2, 3, [0, 3, 1, 4, 2, 5]),
            6: (2, 3, [3, 0, 4, 1, 5, 2]),
            7: (2, 3, [5, 2, 4, 1, 3, 0]),
            8: (2, 3, [2, 5, 1, 4, 0, 3]),
        ]
        for (orientation, (w, h, plane)) in expected {
            let turned = base.applyingExifOrientation(orientation)
            XCTAssertEqual(turned.width, w, "orientation \(orientation)")
            XCTAssertEqual(turned.height, h, "orientation \(orientation)")
            XCTAssertEqual(turned.pixels, plane + plane + plane, "orientation \(orientation)")
        }
    }
}
