import Dispatch
import _KernelInterface
#if canImport(Glibc)
import Glibc
#endif

/// Fixed chunking and fan-out over threads.
///
/// The work is cut into chunks whose boundaries depend only on the problem size, never on
/// the thread count; each chunk's partial result lands in its own slot and the slots are
/// combined in chunk order. So every `num_threads` gives bitwise the same answer.
enum Parallel {
    /// At most this many chunks, so per-chunk partial sums fit in a small stack buffer.
    static let maxChunks = 1024

    /// The number of online CPUs, read once.
    static let defaultThreadCount: Int = {
        let n = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return n > 0 ? n : 1
    }()

    /// Chunks of `count` work items: at least `grain` items each (so small calls stay on
    /// one thread) and at most `maxChunks` of them.
    static func chunking(count: Int, grain: Int) -> (size: Int, count: Int) {
        guard count > 0 else { return (size: max(grain, 1), count: 0) }
        let minSize = (count + maxChunks - 1) / maxChunks
        let size = max(grain, minSize)
        return (size: size, count: (count + size - 1) / size)
    }

    /// Runs `body(chunk)` for every chunk in `0 ..< chunks`, on up to `threads` threads;
    /// on the caller's thread alone when `threads <= 1` or there is one chunk. Worker `w`
    /// takes chunks `w, w + workers, …`: which thread runs a chunk never changes its result.
    static func forEachChunk(_ chunks: Int, threads: Int, _ body: (Int) -> Void) {
        let workers = min(threads, chunks)
        if workers <= 1 {
            for chunk in 0 ..< chunks { body(chunk) }
            return
        }
        withoutActuallyEscaping(body) { body in
            // The closure only reads shared inputs and writes disjoint chunk ranges.
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var chunk = worker
                while chunk < chunks {
                    body(chunk)
                    chunk += workers
                }
            }
        }
    }

    /// `sum` of two quantities at once (`body` returns both per chunk), each added in chunk order.
    static func sums(count: Int, grain: Int, threads: Int, _ body: (Range<Int>) -> (CompensatedSum, CompensatedSum)) -> (Double, Double) {
        let chunks = chunking(count: count, grain: grain)
        var first = CompensatedSum(), second = CompensatedSum()
        if chunks.count <= 1 {
            if chunks.count == 1 {
                let (a, b) = body(0 ..< count)
                first.add(a)
                second.add(b)
            }
            return (first.value, second.value)
        }
        var storage = InlineArray<2048, CompensatedSum>(repeating: CompensatedSum())  // 2 · maxChunks
        return withUnsafeMutablePointer(to: &storage) { storage in
            let partials = UnsafeMutableRawPointer(storage).assumingMemoryBound(to: CompensatedSum.self)
            forEachChunk(chunks.count, threads: threads) { chunk in
                let start = chunk * chunks.size
                (partials[2 * chunk], partials[2 * chunk + 1]) = body(start ..< min(start + chunks.size, count))
            }
            for chunk in 0 ..< chunks.count {
                first.add(partials[2 * chunk])
                second.add(partials[2 * chunk + 1])
            }
            return (first.value, second.value)
        }
    }

    /// Runs `body` over the chunks of `0 ..< count` on up to `threads` threads and adds the
    /// chunks' compensated sums in chunk order: the same value for every thread count.
    static func sum(count: Int, grain: Int, threads: Int, _ body: (Range<Int>) -> CompensatedSum) -> Double {
        let chunks = chunking(count: count, grain: grain)
        var total = CompensatedSum()
        // One chunk (every small call): no partials to keep, and the same additions as below.
        if chunks.count <= 1 {
            if chunks.count == 1 { total.add(body(0 ..< count)) }
            return total.value
        }
        // In the stack frame (maxChunks of them): the heap would be an allocation per call.
        var storage = InlineArray<1024, CompensatedSum>(repeating: CompensatedSum())  // maxChunks
        return withUnsafeMutablePointer(to: &storage) { storage in
            let partials = UnsafeMutableRawPointer(storage).assumingMemoryBound(to: CompensatedSum.self)
            forEachChunk(chunks.count, threads: threads) { chunk in
                let start = chunk * chunks.size
                partials[chunk] = body(start ..< min(start + chunks.size, count))
            }
            for chunk in 0 ..< chunks.count { total.add(partials[chunk]) }
            return total.value
        }
    }
}
