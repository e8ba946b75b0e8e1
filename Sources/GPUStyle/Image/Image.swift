// Image.swift — the in-memory picture: planar RGB floats in [0, 1].

/// An RGB image, planar (`3 × height × width`, channel R first), values in [0, 1].
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `3 · height · width` values: plane R, then G, then B; row-major within a plane.
    public var pixels: [Float]

    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(pixels.count == 3 * width * height, "RGBImage needs 3·\(width)·\(height) values")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A uniform image.
    public init(width: Int, height: Int, red: Float, green: Float, blue: Float) {
        let plane = width * height
        self.init(width: width, height: height,
                  pixels: [Float](repeating: red, count: plane) + [Float](repeating: green, count: plane)
                      + [Float](repeating: blue, count: plane))
    }
}
