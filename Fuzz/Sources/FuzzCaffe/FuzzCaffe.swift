// FuzzCaffe.swift — libFuzzer target: bytes read as a Caffe weight file, then assembled into a (possibly partial) VGG.
import FuzzSupport
import GPUStyle

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCaffe(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzWeights(data, size, as: .caffemodel)
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzzCaffe) }
}
