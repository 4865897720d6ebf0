import _KernelInterface

/// The sigmoid focal loss from integer labels (mmdet/mmcv's convention), without a one-hot.
///
/// Logits `(N, C, inner)`, labels `(N, inner)`: position `(n, i)`'s label `y ∈ [0, C)` makes
/// class `y` its positive and every other class negative; `y = C` is background (all
/// negative); `y = ignoreIndex` leaves the position out (its elements get loss 0 and gradient 0
/// from the core, and are not counted). The contract is the dense call's on the one-hot targets
/// with the ignored positions' elements removed, bit for bit, every reduction included. So this
/// kernel works in the dense call's index space, the *kept* elements in memory order: it cuts its
/// range into the same blocks of `sigmoidBlock` elements, writes each block's 0/1 targets into
/// scratch from the labels and runs the dense kernel (`sigmoidChunk`) on the block. A block is
/// runs of elements contiguous in memory; when it is one run (always when nothing is ignored) the
/// dense kernel reads and writes the buffers themselves, else it runs on scratch copies of the
/// block's logits (and upstream gradients, and with accumulation the gradients it adds into),
/// whose losses and gradients are then copied back, run by run.
func sigmoidLabelsChunk<T: KernelScalar, Label: FixedWidthInteger, A: Arithmetic>(
    _ a: SigmoidLabelsKernelArguments<T, Label>, _ range: Range<Int>, _ start: LabelCursor, _: A.Type
) -> CompensatedSum {
    withSigmoidLabelsScratch(T.self) { x, t, upstream, loss, gradient, weights, runs in
        let classes = a.classes, inner = a.inner, labels = a.labels, ignore = a.ignoreIndex
        @inline(__always) func ignored(_ position: Int) -> Bool { Int64(labels[position]) == ignore }
        // The first kept position of slab n at or after i (inner when none).
        @inline(__always) func kept(_ n: Int, from i: Int) -> Int {
            var i = i
            if a.anyIgnored { while i < inner && ignored(n &* inner &+ i) { i &+= 1 } }
            return i
        }
        // The next slab from n on with a kept position (batch when none), and that position.
        @inline(__always) func slab(from n: Int) -> (n: Int, i: Int) {
            var n = n
            while n < a.batch {
                let i = kept(n, from: 0)
                if i < inner { return (n, i) }
                n &+= 1
            }
            return (n, 0)
        }
        var cursor = start
        var total = CompensatedSum()
        var done = 0
        while done < range.count {
            let count = min(sigmoidBlock, range.count &- done)
            // Gather the block, run by run; a run that continues the previous one in memory
            // extends it.
            var k = 0, runCount = 0
            // Rows (inner = 1) set their one positive target into a block of zeros.
            if inner == 1 { forEach(count) { j in t[j] = 0 } }
            while k < count {
                let length: Int
                let memory = (cursor.n &* classes &+ cursor.c) &* inner &+ cursor.i
                if inner == 1 {
                    // The rest of row n's classes: target 1 at the label's class, if among them.
                    length = min(classes &- cursor.c, count &- k)
                    let y = Int64(labels[cursor.n]) &- Int64(cursor.c)
                    if y >= 0 && y < Int64(length) { t[k &+ Int(y)] = 1 }
                } else {
                    // Class plane c of slab n, from i to the next ignored position: targets 1
                    // where the position's label is c.
                    // The targets of the longest run the block can take, and, in the same
                    // vectorizable pass, where its first ignored position is: the run ends there
                    // (the targets written past it are overwritten by the next run).
                    let most = min(inner &- cursor.i, count &- k)
                    let c = Int64(cursor.c)
                    let y = labels + (cursor.n &* inner &+ cursor.i), tk = t + k
                    if a.anyIgnored {
                        var first = most
                        forEach(most) { j in
                            let label = Int64(y[j])
                            tk[j] = label == c ? 1 : 0
                            first = min(first, label == ignore ? j : most)
                        }
                        length = first  // ≥ 1: the cursor's position is kept
                    } else {
                        forEach(most) { j in tk[j] = Int64(y[j]) == c ? 1 : 0 }
                        length = most
                    }
                }
                if runCount > 0 && runs[2 &* (runCount &- 1)] &+ runs[2 &* (runCount &- 1) &+ 1] == memory {
                    runs[2 &* (runCount &- 1) &+ 1] &+= length
                } else {
                    runs[2 &* runCount] = memory
                    runs[2 &* runCount &+ 1] = length
                    runCount &+= 1
                }
                k &+= length
                // Advance past the run.
                if inner == 1 {
                    cursor.c &+= length
                    if cursor.c == classes {
                        cursor.c = 0
                        cursor.n &+= 1
                        if a.anyIgnored { while cursor.n < a.batch && ignored(cursor.n) { cursor.n &+= 1 } }
                    }
                } else {
                    cursor.i = kept(cursor.n, from: cursor.i &+ length)
                    if cursor.i == inner {
                        cursor.c &+= 1
                        cursor.i = kept(cursor.n, from: 0)
                        if cursor.c == classes {
                            cursor.c = 0
                            (cursor.n, cursor.i) = slab(from: cursor.n &+ 1)
                        }
                    }
                }
            }
            // The dense kernel on the block, as in the dense call: on the buffers themselves when the
            // block is one run in memory (no ignored position inside it), else on scratch copies.
            let block: CompensatedSum
            if runCount == 1 {
                let memory = runs[0]
                let dense = SigmoidKernelArguments(
                    logits: a.logits + memory, targets: UnsafePointer(t), loss: a.loss.map { $0 + memory },
                    gradient: a.gradient.map { $0 + memory }, upstream: a.upstream.map { $0 + memory },
                    scale: a.scale, accumulate: a.accumulate, alpha: a.alpha, gamma: a.gamma,
                    weights: a.weights?.shifted(by: memory), poly1: a.poly1)
                block = sigmoidChunk(dense, 0 ..< count, A.self)
            } else {
                var offset = 0
                for r in 0 ..< runCount {
                    let memory = runs[2 &* r], length = runs[2 &* r &+ 1]
                    let source = a.logits + memory, xk = x + offset
                    forEach(length) { j in xk[j] = source[j] }
                    if let u = a.upstream {
                        let uk = upstream + offset, from = u + memory
                        forEach(length) { j in uk[j] = from[j] }
                    }
                    if a.accumulate, let g = a.gradient {
                        let gk = gradient + offset, from = g + memory
                        forEach(length) { j in gk[j] = from[j] }
                    }
                    a.weights?.gather(into: weights + offset, start: memory, count: length)
                    offset &+= length
                }
                let dense = SigmoidKernelArguments(
                    logits: UnsafePointer(x), targets: UnsafePointer(t), loss: a.loss == nil ? nil : loss,
                    gradient: a.gradient == nil ? nil : gradient, upstream: a.upstream == nil ? nil : UnsafePointer(upstream),
                    scale: a.scale, accumulate: a.accumulate, alpha: a.alpha, gamma: a.gamma,
                    weights: a.weights == nil ? nil : .perElement(UnsafePointer(weights)), poly1: a.poly1)
                block = sigmoidChunk(dense, 0 ..< count, A.self)
                // Scatter the results, run by run.
                offset = 0
                for r in 0 ..< runCount {
                    let memory = runs[2 &* r], length = runs[2 &* r &+ 1]
                    if let l = a.loss {
                        let to = l + memory, from = loss + offset
                        forEach(length) { j in to[j] = from[j] }
                    }
                    if let g = a.gradient {
                        let to = g + memory, from = gradient + offset
                        forEach(length) { j in to[j] = from[j] }
                    }
                    offset &+= length
                }
            }
            // The block's sum is `0 + s` for the block's lane sum s: adding its `sum` here adds s
            // itself (only −0 would differ, and a running sum from +0 is never −0), as the dense
            // kernel adds each block's lane sum to its own total.
            total.add(block.sum)
            done &+= count
        }
        return total
    }
}

/// Runs `body` with uninitialized stack scratch for a labels block: six arrays of
/// `sigmoidBlock` values of `T` (logits, targets, upstream gradients, losses, gradients,
/// weights) and the block's runs, `sigmoidBlock` pairs (memory index, length).
@inline(__always)
func withSigmoidLabelsScratch<T: KernelScalar, R>(
    _: T.Type,
    _ body: (UnsafeMutablePointer<T>, UnsafeMutablePointer<T>, UnsafeMutablePointer<T>, UnsafeMutablePointer<T>,
             UnsafeMutablePointer<T>, UnsafeMutablePointer<T>, UnsafeMutablePointer<Int>) -> R
) -> R {
    var values: InlineArray<1536, Double> = uninitializedScratch(Double.self)  // 6 · sigmoidBlock
    var runs: InlineArray<512, Int> = uninitializedScratch(Int.self)  // 2 · sigmoidBlock
    return withUnsafeMutablePointer(to: &values) { v in
        withUnsafeMutablePointer(to: &runs) { r in
            let base = UnsafeMutableRawPointer(v).bindMemory(to: T.self, capacity: 6 * sigmoidBlock)
            return body(base, base + sigmoidBlock, base + 2 * sigmoidBlock, base + 3 * sigmoidBlock,
                        base + 4 * sigmoidBlock, base + 5 * sigmoidBlock,
                        UnsafeMutableRawPointer(r).assumingMemoryBound(to: Int.self))
        }
    }
}
