// FuzzTorch.swift — libFuzzer target: bytes read as a PyTorch .pth (ZIP or legacy pickle stream), then assembled.
import FuzzSupport
import GPUStyle

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzWeights(data, size, as: .torchZip)  // the reader tells ZIP from legacy itself
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzzTorch) }
}
