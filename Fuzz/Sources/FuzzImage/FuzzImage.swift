// FuzzImage.swift — libFuzzer target: PNG/JPEG bytes through ImageIO.decode (pixel limit 4 MP, so memory stays small).
import FuzzSupport
import GPUStyle

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    fuzzCheck {
        let image = try ImageIO.decode(data: bytes, name: fuzzInputName, maxPixels: 1 << 22)
        precondition(image.pixels.count == 3 * image.width * image.height && image.width > 0 && image.height > 0)
        precondition(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "decoded pixel outside [0, 1]")
    }
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzzImage) }
}
