// ModelOptions.swift — `--model NAME|PATH`, `--architecture`, `--preprocessing`: which frozen network to use.
import ArgumentParser
import GPUStyle

extension Architecture: ExpressibleByArgument {}

struct ModelOptions: ParsableArguments {
    @Option(help: "An installed model name (`gpustyle models list`) or a weight file (.safetensors, .h5, .caffemodel, .pth); default: vgg16-hed.")
    var model: String?
    @Option(help: "vgg16 or vgg19 when the file does not say (recognised from the convolutions otherwise).")
    var architecture: Architecture?
    @Option(help: "caffe (BGR, ×255, mean pixel) or torchvision (RGB, mean/std) when the file does not say.")
    var preprocessing: String?

    func load() throws -> Model {
        try ModelLoader.load(model, architecture: architecture, preprocessing: try preprocessing.map(parsePreprocessing))
    }
}

/// `--preprocessing caffe|torchvision`; anything else is a usage error that quotes it.
func parsePreprocessing(_ name: String) throws -> Preprocessing {
    guard let preprocessing = Preprocessing.named(name) else {
        throw GPUStyleError(.usage, "--preprocessing must be caffe or torchvision (got '\(name)')")
    }
    return preprocessing
}
