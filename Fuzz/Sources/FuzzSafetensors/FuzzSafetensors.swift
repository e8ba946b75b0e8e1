// FuzzSafetensors.swift — libFuzzer target: bytes read as a safetensors file, then assembled into a (possibly partial) VGG.
import FuzzSupport

@main
enum Main {
    static func main() { runFuzzer { fuzzWeights($0, $1, as: .safetensors) } }
}
