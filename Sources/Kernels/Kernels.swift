// Kernels.swift — exposes the OpenCL C sources in this folder, embedded in the binary at build time.

/// The OpenCL C 1.2 source of each op family, keyed by file name without extension.
public enum KernelSources {
    public static let all: [String: String] = [
        "conv": text(PackageResources.conv_cl),
        "elementwise": text(PackageResources.elementwise_cl),
        "pool": text(PackageResources.pool_cl),
        "gram": text(PackageResources.gram_cl),
        "loss": text(PackageResources.loss_cl),
        "vector": text(PackageResources.vector_cl),
        "winograd": text(PackageResources.winograd_cl),
    ]

    /// prelude.cl: definitions every kernel file uses (`CPU_DEVICE`, `UNROLL`, the reductions' `group_sum`).
    public static let prelude = text(PackageResources.prelude_cl)

    /// What the host builds for the file `name`: the prelude, then the file (its lines numbered from 1 again, so
    /// build logs point into it); nil for an unknown name.
    public static func program(_ name: String) -> String? {
        all[name].map { prelude + "\n#line 1\n" + $0 }
    }

    private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
