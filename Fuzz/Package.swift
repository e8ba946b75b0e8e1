// swift-tools-version:6.0
// Fuzz targets for gpustyle's readers (libFuzzer); built apart from the main package, see Fuzz/README.md.
import PackageDescription

let fuzzTargets = ["FuzzImage", "FuzzSafetensors", "FuzzHDF5", "FuzzCaffe", "FuzzTorch"]

let package = Package(
    name: "gpustyle-fuzz",
    dependencies: [.package(name: "gpustyle", path: "..")],
    targets: [
        .target(name: "CFuzzerDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzerDriver", .product(name: "GPUStyle", package: "gpustyle")]),
    ] + fuzzTargets.map { name in
        .executableTarget(name: name, dependencies: ["FuzzSupport", .product(name: "GPUStyle", package: "gpustyle")])
    }
)
