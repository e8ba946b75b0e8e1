// OpenCLBackend+Vectors.swift — the optimisers' vector ops on OpenCL: axpy, scale, Adam, dot, L1 norm and vector banks.

extension OpenCLBackend {
    public func axpy(alpha: Float, x: DeviceBuffer, y: DeviceBuffer) throws {
        let a = try cl(x), b = try cl(y)
        try expect(a.count <= b.count, "axpy of \(a.count) elements into \(b.count)")
        try launch("axpy", in: .vector, items: [a.count], local: [elementGroupSize],
                   [.float(alpha), .buffer(a.mem), .buffer(b.mem), .int(Int32(a.count))])
    }

    public func scale(_ x: DeviceBuffer, by alpha: Float) throws {
        let a = try cl(x)
        try launch("scale", in: .vector, items: [a.count], local: [elementGroupSize],
                   [.buffer(a.mem), .float(alpha), .int(Int32(a.count))])
    }

    public func dot(_ a: DeviceBuffer, _ b: DeviceBuffer) throws -> Double {
        let x = try cl(a), y = try cl(b)
        try expect(x.count == y.count, "dot over \(x.count) and \(y.count) elements")
        return try reduceToHost("dot_partial", count: x.count, [.buffer(x.mem), .buffer(y.mem), .int(Int32(x.count))])
    }

    public func sumAbs(_ x: DeviceBuffer) throws -> Double {
        let a = try cl(x)
        return try reduceToHost("sum_abs_partial", count: a.count, [.buffer(a.mem), .int(Int32(a.count))])
    }

    public func sumAbs(_ x: DeviceBuffer, losses: DeviceBuffer, slot: Int) throws {
        let a = try cl(x)
        try reduceToSlot("sum_abs_partial", in: .vector, count: a.count, [.buffer(a.mem), .int(Int32(a.count))],
                         scale: 1, losses: try cl(losses), slot: slot)
    }

    public func adamStep(x: DeviceBuffer, gradient: DeviceBuffer, m: DeviceBuffer, v: DeviceBuffer,
                         stepSize: Float, beta1: Float, beta2: Float, epsilon: Float) throws {
        let xb = try cl(x), g = try cl(gradient), mb = try cl(m), vb = try cl(v)
        try expect(g.count == xb.count && mb.count == xb.count && vb.count == xb.count, "adamStep over buffers of different sizes")
        try launch("adam_step", in: .vector, items: [xb.count], local: [elementGroupSize], [
            .buffer(xb.mem), .buffer(g.mem), .buffer(mb.mem), .buffer(vb.mem), .float(stepSize),
            .float(beta1), .float(1 - beta1), .float(beta2), .float(1 - beta2), .float(epsilon), .int(Int32(xb.count)),
        ])
    }

    // MARK: Vector banks

    public func makeVectorBank(rows: Int, length: Int) throws -> VectorBank {
        try expect(rows >= 0 && length >= 0, "vector bank of \(rows) rows × \(length)")
        _ = try elements(length, what: "vector bank row")
        let alignment = max(1, device.baseAddressAlignmentBytes / MemoryLayout<Float>.stride)
        let stride = max(alignment, (length + alignment - 1) / alignment * alignment)
        let rowsPerChunk = min(maxAllocationBytes / (4 * stride), Self.maxElements / stride)
        guard rowsPerChunk >= 1 else {
            throw GPUStyleError(.opencl, "cannot allocate a vector bank row of \(length) floats: larger than CL_DEVICE_MAX_MEM_ALLOC_SIZE = \(byteCount(maxAllocationBytes)) on \(deviceName); use a smaller image or --backend cpu")
        }
        var chunks: [OpenCLVectorBank.Chunk] = []
        var rowBuffers: [OpenCLBuffer] = []
        var first = 0
        while first < rows {
            let count = min(rowsPerChunk, rows - first)
            let mem = try allocate(count: count * stride, what: "vector bank rows \(first)…\(first + count - 1)")
            chunks.append(.init(mem: mem, firstRow: first, rowCount: count))
            for r in 0..<count {
                let view = try CLMem(subBufferOf: mem, offset: 4 * r * stride, bytes: 4 * length)
                rowBuffers.append(OpenCLBuffer(mem: view, count: length, bankRow: (mem, r * stride)))
            }
            first += count
        }
        return OpenCLVectorBank(rows: rows, length: length, rowStride: stride, chunks: chunks, rowBuffers: rowBuffers)
    }

    public func bankDots(_ bank: VectorBank, rows: [Int]) throws -> [[Double]] {
        let b = try clBank(bank)
        try expect(rows.allSatisfy { $0 >= 0 && $0 < b.rows }, "bankDots rows \(rows) outside a bank of \(b.rows)")
        guard b.rows > 0, b.length > 0, !rows.isEmpty else { return rows.map { _ in [Double](repeating: 0, count: b.rows) } }
        let groups = min(64, reductionGroups(b.length))
        let total = try elements(rows.count, b.rows, groups, what: "bankDots partials")
        let partials = try scratch("bank partials", count: total)
        for (q, row) in rows.enumerated() {
            let query = try cl(b.row(row))
            for chunk in b.chunks {
                try launch("bank_dot_partial", in: .vector, items: [groups * reduceGroupSize, chunk.rowCount], local: [reduceGroupSize, 1], [
                    .buffer(query.mem), .buffer(chunk.mem), .long(Int64(b.rowStride)), .int(Int32(b.length)),
                    .buffer(partials), .int(Int32((q * b.rows + chunk.firstRow) * groups)),
                ])
            }
        }
        let values = try read(partials, count: total)
        return (0..<rows.count).map { q in
            (0..<b.rows).map { r in
                let base = (q * b.rows + r) * groups
                return values[base..<base + groups].reduce(0.0) { $0 + Double($1) }
            }
        }
    }

    public func bankCombine(_ bank: VectorBank, coefficients: [Float], into output: DeviceBuffer) throws {
        let b = try clBank(bank), out = try cl(output)
        try expect(coefficients.count == b.rows && out.count == b.length, "bankCombine shape mismatch")
        guard b.length > 0 else { return }
        // When the output is a row of this bank, write through the chunk's own buffer (never a sub-buffer and
        // its parent in one kernel) and let its coefficient scale its old value.
        var target = out.mem, targetOffset = 0, ownRow: Int?
        if let location = out.bankRow, let chunk = b.chunks.first(where: { $0.mem === location.chunk }) {
            target = chunk.mem
            targetOffset = location.elementOffset
            ownRow = chunk.firstRow + location.elementOffset / b.rowStride
        }
        var batches: [(chunk: CLMem, rows: [Int32], coefficients: [Float])] = []
        for chunk in b.chunks {
            let terms = (chunk.firstRow..<chunk.firstRow + chunk.rowCount).filter { $0 != ownRow && coefficients[$0] != 0 }
            for start in stride(from: 0, to: terms.count, by: 16) {
                let batch = terms[start..<min(start + 16, terms.count)]
                batches.append((chunk.mem, batch.map { Int32($0 - chunk.firstRow) }, batch.map { coefficients[$0] }))
            }
        }
        if batches.isEmpty { batches.append((target, [], [])) }
        for (index, batch) in batches.enumerated() {
            let padding = 16 - batch.rows.count
            try launch("bank_combine", in: .vector, items: [b.length], local: [elementGroupSize], [
                .buffer(batch.chunk), .long(Int64(b.rowStride)), .int(Int32(b.length)),
                .int16(batch.rows + [Int32](repeating: 0, count: padding)),
                .float16(batch.coefficients + [Float](repeating: 0, count: padding)), .int(Int32(batch.rows.count)),
                .buffer(target), .long(Int64(targetOffset)), .int(index == 0 ? 1 : 0),
                .int(ownRow.map { coefficients[$0] != 0 } == true ? 1 : 0), .float(ownRow.map { coefficients[$0] } ?? 0),
            ])
        }
    }

    /// First reduction stage on the device (`kernel`'s arguments followed by the partials buffer), then the
    /// partials read back and summed in Double on the host (waits).
    private func reduceToHost(_ kernel: String, count: Int, _ arguments: [KernelArgument]) throws -> Double {
        guard count > 0 else { return 0 }
        let groups = reductionGroups(count)
        let partials = try scratch("reduction partials", count: maxReductionGroups)
        try launch(kernel, in: .vector, items: [groups * reduceGroupSize], local: [reduceGroupSize], arguments + [.buffer(partials)])
        return try read(partials, count: groups).reduce(0.0) { $0 + Double($1) }
    }

    func clBank(_ bank: VectorBank) throws -> OpenCLVectorBank {
        guard let b = bank as? OpenCLVectorBank else {
            throw GPUStyleError(.internal, "a \(type(of: bank)) was passed to the OpenCL backend")
        }
        return b
    }
}
