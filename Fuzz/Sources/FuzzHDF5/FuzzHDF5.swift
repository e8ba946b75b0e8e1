// FuzzHDF5.swift — libFuzzer target: bytes read as a HDF5 weight file, then assembled into a (possibly partial) VGG.
import FuzzSupport
import GPUStyle

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHDF5(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzWeights(data, size, as: .hdf5)
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzzHDF5) }
}
