// FrameTie.swift — what ties a video frame to the previous one: that frame's result carried along the optical flow.
import Foundation

/// The previous frame's result warped into this frame along the TV-L1 flow between the two content images, with the
/// pixels where that flow is trusted (forward and backward flows agree, no motion boundary).
struct FrameTie {
    /// The previous result at this frame's size, carried along the flow.
    let warped: RGBImage
    /// 1 where the flow is trusted, 0 where not (row-major, this frame's size).
    let trusted: [Float]
    let meanMotion: Double
    let flowSeconds: Double
    var trustedFraction: Double { trusted.isEmpty ? 0 : Double(trusted.reduce(0, +)) / Double(trusted.count) }

    /// Where a frame starts (`--init previous-warped`): the warped result where the flow is trusted, `fallback` (the
    /// content image) where it is not — what a disocclusion would get from the flow is another surface's paint,
    /// which the frame's own iterations would have to undo.
    func start(fallback: RGBImage) -> RGBImage {
        let plane = warped.width * warped.height
        var pixels = warped.pixels
        for c in 0..<3 { for p in 0..<plane where trusted[p] == 0 { pixels[c * plane + p] = fallback.pixels[c * plane + p] } }
        return RGBImage(width: warped.width, height: warped.height, pixels: pixels)
    }

    /// Below this fraction of trusted pixels the frames hardly follow one another (a cut): nothing is tied.
    static let cutFraction = 0.2
    /// The flow is computed with the frames' longest side at most this, then scaled up (its cost grows with the
    /// pixels, its detail does not need more).
    static let flowSide = 1024

    /// `content` is this frame's content image at the rendering's size; the previous content image and result are
    /// resized to it. The flow is computed at most `flowSide` px on the longest side.
    init(content: RGBImage, previousContent: RGBImage, previousResult: RGBImage, solver: TVL1Flow = TVL1Flow(),
         flowSide: Int = FrameTie.flowSide) throws {
        let (width, height) = (content.width, content.height)
        let start = Date()
        let side = min(flowSide, max(width, height))
        let small = RGBImage.sizeWithLongestSide(side, width: width, height: height)
        let (now, before) = (try content.resized(width: small.width, height: small.height),
                             try previousContent.resized(width: small.width, height: small.height))
        var backward = try solver.flow(of: now, into: before)
        // The check in the flow's own pixels (its tolerances are in pixels), then carried to the rendering's size.
        var trusted = backward.consistencyWeights(reverse: try solver.flow(of: before, into: now))
        if small.width != width || small.height != height {
            backward = TVL1Flow.upsampled(backward, width: width, height: height)
            // Nearest flow pixel, centres aligned as `upsampled` samples the flow.
            trusted = (0..<(width * height)).map { i in
                let row = min(small.height - 1, (2 * (i / width) + 1) * small.height / (2 * height))
                return trusted[row * small.width + min(small.width - 1, (2 * (i % width) + 1) * small.width / (2 * width))]
            }
        }
        flowSeconds = Date().timeIntervalSince(start)
        warped = try previousResult.resized(width: width, height: height).warped(by: backward)
        self.trusted = trusted
        meanMotion = backward.meanMagnitude
    }
}

/// How a frame was tied to the previous one (`--report`'s `temporal`).
public struct TemporalReport: Codable, Sendable, Equatable {
    /// The previous frame's content image and result (absolute paths).
    public var previousContentImage: String, previousResult: String
    /// `--temporal-weight` (0: only the start was carried along the flow), and whether the frame started from the warped result.
    public var weight: Float, initWarped: Bool
    /// The flow's mean displacement in pixels at the rendering's size, the share of pixels where it is trusted, and
    /// the seconds both flows took.
    public var meanMotionPixels: Double, trustedFraction: Double, flowSeconds: Double
    /// Whether so few pixels were trusted that the frame was not tied at all (a cut: `FrameTie.cutFraction`).
    public var cut: Bool

    enum CodingKeys: String, CodingKey {
        case previousContentImage = "previous_content_image", previousResult = "previous_result", weight, initWarped = "init_warped"
        case meanMotionPixels = "mean_motion_pixels", trustedFraction = "trusted_fraction", flowSeconds = "flow_seconds", cut
    }
}
