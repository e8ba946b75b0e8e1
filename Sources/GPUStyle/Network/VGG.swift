// VGG.swift — the VGG16/VGG19 layer sequences with Caffe layer names, and how to run a prefix of them.

/// The two supported networks.
public enum Architecture: String, Sendable, Codable, CaseIterable {
    case vgg16, vgg19

    /// Convolutions per block (blocks 1…5).
    public var convsPerBlock: [Int] {
        switch self {
        case .vgg16: return [2, 2, 3, 3, 3]
        case .vgg19: return [2, 2, 4, 4, 4]
        }
    }

    /// Channels produced by the convolutions of each block.
    public static let blockChannels = [64, 128, 256, 512, 512]

    /// Every convolution in order: name (`conv3_2`), input channels, output channels.
    public var convolutions: [(name: String, inChannels: Int, outChannels: Int)] {
        var result: [(String, Int, Int)] = []
        var channels = 3
        for (block, count) in convsPerBlock.enumerated() {
            for i in 1...count {
                let out = Architecture.blockChannels[block]
                result.append(("conv\(block + 1)_\(i)", channels, out))
                channels = out
            }
        }
        return result
    }

    /// The feature layers in order: conv, relu, … , pool per block (Caffe names), up to `pool5`.
    public var layers: [NetworkLayer] {
        var result: [NetworkLayer] = []
        var channels = 3
        var scale = 0
        for (block, count) in convsPerBlock.enumerated() {
            for i in 1...count {
                let out = Architecture.blockChannels[block]
                result.append(NetworkLayer(name: "conv\(block + 1)_\(i)", kind: .conv, inChannels: channels, outChannels: out, downsampling: scale))
                result.append(NetworkLayer(name: "relu\(block + 1)_\(i)", kind: .relu, inChannels: out, outChannels: out, downsampling: scale))
                channels = out
            }
            result.append(NetworkLayer(name: "pool\(block + 1)", kind: .pool, inChannels: channels, outChannels: channels, downsampling: scale))
            scale += 1
        }
        return result
    }
}

/// One feature layer of a VGG network.
public struct NetworkLayer: Sendable, Equatable {
    public enum Kind: Sendable { case conv, relu, pool }
    public let name: String
    public let kind: Kind
    public let inChannels: Int
    public let outChannels: Int
    /// How many 2×2 poolings precede this layer's input (its input is ⌊H/2ᵏ⌋ × ⌊W/2ᵏ⌋ after k floors).
    public let downsampling: Int
}
