import FocalLossCore

// Pointers and counts from C become buffers here, after the checks that only the C side
// needs: NULL, sizes whose bytes do not fit the address space, and overlapping outputs.

/// Bytes of `count` elements of `T` starting at `address`, or an error when they cannot exist.
private func byteRange<T>(_ address: UnsafeRawPointer?, _ count: Int, _ type: T.Type, name: String) throws(FocalError) -> Range<UInt> {
    let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
    guard !overflow else {
        throw FocalError(.invalidShape, "\(name) would hold \(count) elements of \(MemoryLayout<T>.stride) bytes, more than the address space")
    }
    let start = UInt(bitPattern: address)
    let (end, wraps) = start.addingReportingOverflow(UInt(bytes))
    guard !wraps else {
        throw FocalError(.invalidShape, "\(name) would hold \(count) elements past the end of the address space")
    }
    return start ..< end
}

/// A read-only array of `count` elements. NULL is an error unless `count == 0` or the
/// argument has a meaning for NULL (`nullMeans`), in which case the result is nil.
func inputBuffer<T>(_ pointer: UnsafePointer<T>?, count: Int, name: String, nullMeans: String? = nil) throws(FocalError) -> UnsafeBufferPointer<T>? {
    if pointer == nil {
        if nullMeans != nil { return nil }
        if count == 0 { return UnsafeBufferPointer(start: nil, count: 0) }
        throw FocalError(.nullPointer, "\(name) is NULL but must hold \(count) elements")
    }
    _ = try byteRange(pointer, count, T.self, name: name)
    return UnsafeBufferPointer(start: pointer, count: count)
}

/// A writable array of `count` elements; NULL as in `inputBuffer`.
func outputBuffer<T>(_ pointer: UnsafeMutablePointer<T>?, count: Int, name: String, nullMeans: String? = nil) throws(FocalError) -> UnsafeMutableBufferPointer<T>? {
    if pointer == nil {
        if nullMeans != nil { return nil }
        if count == 0 { return UnsafeMutableBufferPointer(start: nil, count: 0) }
        throw FocalError(.nullPointer, "\(name) is NULL but must hold \(count) elements")
    }
    _ = try byteRange(pointer, count, T.self, name: name)
    return UnsafeMutableBufferPointer(start: pointer, count: count)
}

/// A named span of memory, for the overlap check.
struct Span {
    let name: String
    let bytes: Range<UInt>

    init<T>(_ name: String, _ buffer: UnsafeBufferPointer<T>?) {
        self.name = name
        let start = UInt(bitPattern: buffer?.baseAddress)
        bytes = start ..< start + UInt((buffer?.count ?? 0) * MemoryLayout<T>.stride)
    }

    init<T>(_ name: String, _ buffer: UnsafeMutableBufferPointer<T>?) {
        self.init(name, buffer.map { UnsafeBufferPointer($0) })
    }
}

/// Outputs may overlap neither an input nor each other (empty spans never overlap). Fixed-size
/// lists, so that the check allocates nothing (an array literal would, on every call).
func checkNoOverlap<let outputCount: Int, let inputCount: Int>(
    outputs: InlineArray<outputCount, Span>, inputs: InlineArray<inputCount, Span>
) throws(FocalError) {
    for o in outputs.indices where !outputs[o].bytes.isEmpty {
        let output = outputs[o]
        for i in inputs.indices where output.overlaps(inputs[i]) {
            throw output.overlapError(inputs[i])
        }
        for later in (o + 1) ..< outputCount where output.overlaps(outputs[later]) {
            throw output.overlapError(outputs[later])
        }
    }
}

extension Span {
    func overlaps(_ other: Span) -> Bool {
        !other.bytes.isEmpty && bytes.overlaps(other.bytes)
    }

    func overlapError(_ other: Span) -> FocalError {
        FocalError(.overlappingBuffers, "\(name) overlaps \(other.name); outputs must not share memory with any other buffer")
    }
}
