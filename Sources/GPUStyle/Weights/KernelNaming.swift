// KernelNaming.swift — recognises how a file names its convolutions and pairs each kernel with its bias.
import Foundation

/// A naming scheme for convolution kernels and the sort key it gives each kernel.
enum KernelNaming: String, CaseIterable {
    /// Keras 2: `block1_conv1/block1_conv1_W_1:0`, `…/block1_conv1/kernel:0` → (block, index).
    case keras2
    /// Caffe and gpustyle: `conv1_1`, `conv1_1.weight` → (block, index).
    case caffe
    /// torchvision: `features.0.weight` → (sequence index).
    case torchvision
    /// Keras 3 nested: `block1/layers/conv2d_1/vars/0` → (block, counter).
    case keras3Blocks
    /// Keras 3 flat: `layers/conv2d_1/vars/0` → (counter).
    case keras3Flat

    /// Whether keys are Caffe (block, index) pairs that must equal the architecture's conv names.
    var namesConvolutions: Bool { self == .keras2 || self == .caffe }

    /// The sort key this scheme gives `name`, if it applies.
    func key(_ name: String) -> [Int]? {
        func number(_ s: Substring?) -> Int? { s.flatMap { Int($0) } }
        switch self {
        case .keras2:
            guard let m = name.firstMatch(of: /block(\d+)_conv(\d+)/), let b = number(m.output.1), let i = number(m.output.2) else { return nil }
            return [b, i]
        case .caffe:
            guard let m = name.firstMatch(of: /(?:^|[^A-Za-z0-9_])conv(\d+)_(\d+)(?:$|[^0-9])/), let b = number(m.output.1), let i = number(m.output.2) else { return nil }
            return [b, i]
        case .torchvision:
            guard let m = name.wholeMatch(of: /(?:.*\.)?features\.(\d+)\.weight/), let n = number(m.output.1) else { return nil }
            return [n]
        case .keras3Blocks:
            guard let m = name.wholeMatch(of: /(?:.*\/)?block(\d+)\/layers\/conv2d(?:_(\d+))?\/vars\/0/), let b = number(m.output.1) else { return nil }
            return [b, m.output.2.flatMap { Int($0) }.map { $0 + 1 } ?? 0]
        case .keras3Flat:
            guard let m = name.wholeMatch(of: /(?:.*\/)?layers\/conv2d(?:_(\d+))?\/vars\/0/) else { return nil }
            return [m.output.1.flatMap { Int($0) }.map { $0 + 1 } ?? 0]
        }
    }

    /// The first scheme that gives every name a distinct key, with those keys; nil when none does.
    static func recognise(_ names: [String]) -> (naming: KernelNaming, keys: [[Int]])? {
        for naming in allCases {
            let keys = names.compactMap(naming.key)
            if keys.count == names.count && Set(keys).count == keys.count { return (naming, keys) }
        }
        return nil
    }

    /// Names a bias of the kernel called `kernel` may have, most specific first.
    static func biasCandidates(for kernel: String) -> [String] {
        var result: [String] = []
        func replaceLast(_ target: String, _ replacement: String) {
            if let range = kernel.range(of: target, options: .backwards) {
                result.append(kernel.replacingCharacters(in: range, with: replacement))
            }
        }
        replaceLast("weight", "bias")
        replaceLast("kernel", "bias")
        replaceLast("_W_", "_b_")
        replaceLast("_W:", "_b:")
        if kernel.hasSuffix("_W") { result.append(String(kernel.dropLast()) + "b") }
        for (suffix, next) in [("/0", "/1"), (".0", ".1"), ("_0", "_1")] where kernel.hasSuffix(suffix) {
            result.append(String(kernel.dropLast(suffix.count)) + next)
        }
        return result.filter { $0 != kernel }
    }
}
