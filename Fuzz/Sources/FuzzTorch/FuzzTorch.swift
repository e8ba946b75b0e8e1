// FuzzTorch.swift — libFuzzer target: bytes read as a PyTorch .pth (ZIP or legacy stream), then assembled.
import FuzzSupport

@main
enum Main {
    static func main() { runFuzzer { fuzzWeights($0, $1, as: .torchZip) } }  // the reader tells ZIP from legacy
}
