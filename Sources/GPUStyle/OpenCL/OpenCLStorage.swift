// OpenCLStorage.swift — the OpenCL backend's buffers, vector banks (rows as sub-buffers) and prepared convolutions.

/// A device buffer of `count` floats: an owned `cl_mem`, or a sub-buffer row of a vector bank.
final class OpenCLBuffer: DeviceBuffer, @unchecked Sendable {
    let mem: CLMem
    /// Where this buffer lies when it is a bank row: the chunk's buffer and the row's element offset in it.
    let bankRow: (chunk: CLMem, elementOffset: Int)?

    init(mem: CLMem, count: Int, bankRow: (chunk: CLMem, elementOffset: Int)? = nil) {
        self.mem = mem
        self.bankRow = bankRow
        super.init(count: count)
    }
}

/// A bank of rows `rowStride` floats apart (the stride is `length` rounded up to the device's base-address
/// alignment, so each row can be a sub-buffer). Banks larger than `CL_DEVICE_MAX_MEM_ALLOC_SIZE` are split
/// into chunks of whole rows, each its own buffer.
final class OpenCLVectorBank: VectorBank, @unchecked Sendable {
    struct Chunk {
        let mem: CLMem
        let firstRow: Int
        let rowCount: Int
    }

    let rowStride: Int
    let chunks: [Chunk]
    private let rowBuffers: [OpenCLBuffer]

    init(rows: Int, length: Int, rowStride: Int, chunks: [Chunk], rowBuffers: [OpenCLBuffer]) {
        self.rowStride = rowStride
        self.chunks = chunks
        self.rowBuffers = rowBuffers
        super.init(rows: rows, length: length)
    }

    override func row(_ index: Int) -> DeviceBuffer { rowBuffers[index] }

    /// The chunk holding `row` and the row's index inside it.
    func locate(row: Int) -> (chunk: Chunk, rowInChunk: Int)? {
        guard let chunk = chunks.first(where: { row >= $0.firstRow && row < $0.firstRow + $0.rowCount }) else { return nil }
        return (chunk, row - chunk.firstRow)
    }
}

/// One direction's weights: conv.cl's `[inPad][9][outPad]`, or winograd.cl's transformed `[36][inPad][outPad]`.
struct OpenCLConvWeights {
    let mem: CLMem
    let inPad: Int
    let outPad: Int
    let winograd: Bool
    /// Arranged for (and run with) `ConvTuning.narrowOutput`.
    var narrow = false
}

/// A convolution prepared for the OpenCL backend: the forward set, the transposed, rotated set for the input
/// gradient (each arranged for the kernel that runs it), and the bias.
final class OpenCLPreparedConv: PreparedConv, @unchecked Sendable {
    let forward: OpenCLConvWeights
    let backward: OpenCLConvWeights
    let bias: CLMem
    let tuning: ConvTuning

    init(inChannels: Int, outChannels: Int, forward: OpenCLConvWeights, backward: OpenCLConvWeights, bias: CLMem, tuning: ConvTuning) {
        self.forward = forward
        self.backward = backward
        self.bias = bias
        self.tuning = tuning
        super.init(inChannels: inChannels, outChannels: outChannels)
    }
}
