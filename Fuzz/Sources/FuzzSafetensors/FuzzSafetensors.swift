// FuzzSafetensors.swift — libFuzzer target: bytes read as a Safetensors weight file, then assembled into a (possibly partial) VGG.
import FuzzSupport
import GPUStyle

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzWeights(data, size, as: .safetensors)
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzzSafetensors) }
}
