// swift-tools-version:6.0
// gpustyle: neural style transfer with OpenCL kernels and a CPU reference backend.
import PackageDescription

let package = Package(
    name: "gpustyle",
    products: [
        .executable(name: "gpustyle", targets: ["gpustyle"]),
        .library(name: "GPUStyle", targets: ["GPUStyle"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "COpenCL", pkgConfig: "OpenCL",
                       providers: [.apt(["ocl-icd-opencl-dev", "opencl-headers"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "CImageCodecs", dependencies: ["CPNG", "CJPEG"]),
        .target(name: "CImageTestFixtures", dependencies: ["CPNG", "CJPEG"]),
        .target(name: "Kernels", exclude: [], resources: [
            .embedInCode("conv.cl"),
            .embedInCode("elementwise.cl"),
            .embedInCode("pool.cl"),
            .embedInCode("gram.cl"),
            .embedInCode("loss.cl"),
            .embedInCode("vector.cl"),
            .embedInCode("winograd.cl"),
            .embedInCode("prelude.cl"),
        ]),
        .target(name: "GPUStyle", dependencies: ["COpenCL", "CPNG", "CJPEG", "CBLAS", "CImageCodecs", "Kernels"]),
        .executableTarget(name: "gpustyle", dependencies: [
            "GPUStyle",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "GPUStyleTests", dependencies: ["GPUStyle", "gpustyle", "CImageTestFixtures"], exclude: ["Fixtures"]),
    ]
)
