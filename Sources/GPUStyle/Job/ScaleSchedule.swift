// ScaleSchedule.swift — coarse-to-fine rendering: which sizes (`--scales`) and how many iterations at each (`--scale-iterations`).

/// `--scales`: explicit longest sides, or a number of scales that double up to `--image-size`.
public enum ScaleSpec: Sendable, Equatable {
    case sides([Int])
    case count(Int)

    /// "256,512,1024" (sides) or "4" (count, 1…16; a single larger value is refused).
    public init(parsing text: String) throws {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { Int($0) }
        guard !parts.isEmpty, values.count == parts.count, values.allSatisfy({ $0 >= 1 }) else {
            throw GPUStyleError(.usage, "--scales \(text): give increasing sizes (e.g. 256,512,1024) or a number of scales (e.g. 3)")
        }
        // One value is a count: "--scales 50" meaning one 50-px scale (or fifty scales) is a typo, not a plan.
        guard values.count > 1 || values[0] <= 16 else {
            throw GPUStyleError(.usage, "--scales \(text): one value is a number of scales, 1…16 (e.g. 3); sizes go in a list that ends at --image-size (e.g. 256,512,1024)")
        }
        self = values.count == 1 ? .count(values[0]) : .sides(values)
    }
}

/// One scale of a coarse-to-fine rendering.
public struct ScaleStep: Sendable, Equatable {
    /// Longest side of the image at this scale, in pixels.
    public let longestSide: Int
    public let iterations: Int
}

extension StylizeOptions {
    /// The scales to render, coarse to fine; one scale (`--image-size`, all iterations) without `--scales`.
    /// Iterations: `--scale-iterations` (one value per scale, or one for all), else `iterations` at the first scale
    /// and half as many at each finer one (at least 1).
    public func scaleSchedule(iterations: Int) throws -> [ScaleStep] {
        func fail(_ message: String) -> GPUStyleError { GPUStyleError(.usage, message) }
        // The output's longest side: --image-size, or --output-size's for texture synthesis.
        let final = outputSize.map { max($0.width, $0.height) } ?? imageSize
        let sides: [Int]
        switch scales {
        case nil:
            sides = [final]
        case .count(let n)?:
            guard n >= 1 && n <= 16 else { throw fail("--scales: a count of scales must be 1…16 (got \(n))") }
            sides = (0..<n).map { k in max(1, Int((Double(final) / Double(1 << (n - 1 - k))).rounded())) }
        case .sides(let list)?:
            guard zip(list, list.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw fail("--scales must grow from scale to scale, coarse to fine (got \(list.map(String.init).joined(separator: ",")))")
            }
            guard list.last == final else {
                throw fail("--scales \(list.map(String.init).joined(separator: ",")): the last scale must be the output's longest side, \(final) px\(outputSize == nil ? " (--image-size)" : " (--output-size)")")
            }
            sides = list
        }
        guard zip(sides, sides.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw fail("--scales must grow from scale to scale (got \(sides.map(String.init).joined(separator: ",")))")
        }
        guard sides[0] >= 16 else { throw fail("--scales: the smallest scale is \(sides[0]) px; each must be at least 16 px (use fewer scales)") }
        let counts: [Int]
        switch scaleIterations {
        case nil: counts = sides.indices.map { max(1, iterations >> $0) }
        case let list? where list.count == 1: counts = Array(repeating: list[0], count: sides.count)
        case let list? where list.count == sides.count: counts = list
        case let list?:
            throw fail("--scale-iterations has \(list.count) values for \(sides.count) scales; give one per scale or a single value")
        }
        guard counts.allSatisfy({ $0 >= 1 }) else { throw fail("--scale-iterations must all be at least 1") }
        return zip(sides, counts).map { ScaleStep(longestSide: $0, iterations: $1) }
    }
}
