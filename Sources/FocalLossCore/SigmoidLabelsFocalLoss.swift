import _KernelInterface

extension SigmoidFocalLoss {
    /// The sigmoid focal loss from integer labels (mmdet/mmcv's convention), no one-hot formed.
    ///
    /// - `logits`: `(batch, classes, inner)`, the classes on axis 1 (inner = 1 for `(N, C)`).
    /// - `labels`: `(batch, inner)`; label `y ∈ [0, classes)` makes class y of its position
    ///   positive and the others negative, `y = classes` is background (every class negative),
    ///   `y = options.ignoreIndex` leaves the position out: its elements' losses and gradients
    ///   are 0 (with `accumulateGradient`, its gradients are left as they were) and the mean does
    ///   not count them.
    /// - `loss`, `gradLoss`: one per logit for `.none`, one otherwise; `gradLogits` one per logit.
    ///
    /// The results equal `compute(logits:targets:…)` on the one-hot targets with the ignored
    /// positions' elements removed, bit for bit (every reduction; the mean divides by the kept
    /// elements' count). Throws before writing anything if an option, a size or a label is invalid.
    ///
    /// Generic over the storage and label types, for generic callers (the tests); the four
    /// concrete overloads below are the same function specialized, which the C API calls.
    public static func compute<T: FocalScalar, Label: FocalTarget>(
        logits: UnsafeBufferPointer<T>, labels: UnsafeBufferPointer<Label>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<T>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<T>, gradLogits: UnsafeMutableBufferPointer<T>?
    ) throws(FocalError) {
        _ = try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int64>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Float>, gradLogits: UnsafeMutableBufferPointer<Float>?
    ) throws(FocalError) {
        _ = try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Float>, gradLogits: UnsafeMutableBufferPointer<Float>?
    ) throws(FocalError) {
        _ = try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Double>, labels: UnsafeBufferPointer<Int64>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Double>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Double>, gradLogits: UnsafeMutableBufferPointer<Double>?
    ) throws(FocalError) {
        _ = try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Double>, labels: UnsafeBufferPointer<Int32>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Double>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Double>, gradLogits: UnsafeMutableBufferPointer<Double>?
    ) throws(FocalError) {
        _ = try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    /// The labels call with weights and statistics: `weights` (nil: all ones, the results of
    /// `compute(logits:labels:…)` bit for bit) per element (the logits' layout) or per position
    /// (the labels'), each finite and ≥ 0 where its position is not ignored (an ignored
    /// position's weights are neither checked nor used), multiplying each kept element's loss and
    /// derivative; the mean still divides by the kept elements' count. Returns the statistics
    /// when `statistics` is set (positives: the positions whose label is a class), else nil.
    public static func compute<T: FocalScalar, Label: FocalTarget>(
        logits: UnsafeBufferPointer<T>, labels: UnsafeBufferPointer<Label>,
        weights: UnsafeBufferPointer<T>?, layout: WeightsLayout,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<T>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<T>, gradLogits: UnsafeMutableBufferPointer<T>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits,
                      weights: weights, layout: layout, statistics: statistics)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int64>,
        weights: UnsafeBufferPointer<Float>?, layout: WeightsLayout,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Float>, gradLogits: UnsafeMutableBufferPointer<Float>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits,
                      weights: weights, layout: layout, statistics: statistics)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>,
        weights: UnsafeBufferPointer<Float>?, layout: WeightsLayout,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Float>, gradLogits: UnsafeMutableBufferPointer<Float>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits,
                      weights: weights, layout: layout, statistics: statistics)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Double>, labels: UnsafeBufferPointer<Int64>,
        weights: UnsafeBufferPointer<Double>?, layout: WeightsLayout,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Double>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Double>, gradLogits: UnsafeMutableBufferPointer<Double>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits,
                      weights: weights, layout: layout, statistics: statistics)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Double>, labels: UnsafeBufferPointer<Int32>,
        weights: UnsafeBufferPointer<Double>?, layout: WeightsLayout,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Double>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Double>, gradLogits: UnsafeMutableBufferPointer<Double>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits,
                      weights: weights, layout: layout, statistics: statistics)
    }

    @discardableResult
    static func runLabels<T: FocalScalar, Label: FocalTarget>(
        _ logits: UnsafeBufferPointer<T>, _ labels: UnsafeBufferPointer<Label>,
        _ batch: Int64, _ classes64: Int64, _ inner64: Int64, _ gradLoss: UnsafeBufferPointer<T>?,
        _ options: SigmoidFocalOptions,
        _ loss: UnsafeMutableBufferPointer<T>, _ gradLogits: UnsafeMutableBufferPointer<T>?,
        weights weightValues: UnsafeBufferPointer<T>? = nil, layout: WeightsLayout = .perElement, statistics: Bool = false
    ) throws(FocalError) -> FocalStats? {
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes64, inner: inner64)
        let classes = Int(classes64), inner = Int(inner64), positions = counts.targets, n = counts.logits
        let reduction = options.reduction
        let (plan, threads) = try validated(options)
        guard options.family == nil else {
            throw FocalError(.invalidParameter, "the labels functions compute the focal loss: no family loss")
        }
        let reducedCount = reduction == .none ? n : 1
        try expectCount(logits.count, n, "logits")
        try expectCount(labels.count, positions, "labels")
        try expectCount(loss.count, reducedCount, "loss")
        if let gradLogits { try expectCount(gradLogits.count, n, "grad_logits") }
        if let gradLoss, gradLogits != nil { try expectCount(gradLoss.count, reducedCount, "grad_loss") }
        let weights = weightValues.map { SigmoidWeights(values: $0, layout: layout, classes: classes, inner: inner) }
        if let weights { try expectCount(weights.values.count, weights.expectedCount(elements: n, positions: positions), "weights") }

        // Labels: counted in one branch-free pass; the first bad one is looked for only when
        // that pass found one.
        let ignoreIndex = options.ignoreIndex
        // 0 ... classes, classes being background.
        let (keptPositions, outOfRange) = countTargets(labels, below: UInt64(classes64) + 1, ignoreIndex: ignoreIndex)
        let ignored = positions - keptPositions
        if outOfRange > 0 {
            for p in 0 ..< positions {
                let label = Int64(labels[p])
                if label != ignoreIndex && !(label >= 0 && label <= classes64) {
                    throw FocalError(.targetOutOfRange,
                                     "labels[\(p)] = \(label) is out of range: expected 0 <= label < \(classes), "
                                         + "\(classes) for background, or ignore_index (\(ignoreIndex))")
                }
            }
        }

        // Weights: those of the kept positions, checked (and summed for the statistics) run by run.
        let kernels = options.instructionSet.kernels
        let keptRanges = { (body: (Range<Int>) -> Void) in
            guard let weights else { return }
            keptWeightRanges(labels, batch: Int(batch), classes: classes, inner: inner, ignoreIndex: ignoreIndex,
                             anyIgnored: ignored > 0, perElement: weights.layout == .perElement, body)
        }
        if let weights {
            try validateWeights(weights.values, kernels: kernels, threads: threads, ranges: keptRanges)
        }
        let kept = keptPositions * classes
        let divisor = plan.divisor(default: Double(kept))
        var stats: FocalStats? = nil
        if statistics {
            // Labels below `classes` among the kept ones are the positives (the rest is background).
            let (_, background) = countTargets(labels, below: UInt64(classes64), ignoreIndex: ignoreIndex)
            let weightSum = weights?.elementSum(kernels: kernels, threads: threads, ranges: keptRanges) ?? Double(kept)
            stats = FocalStats(positives: Double(keptPositions - background), weightSum: weightSum, divisor: divisor)
        }

        // Nothing was written so far; from here on nothing can fail.
        let scalarUpstream = reduction == .none ? 1 : (gradLoss?[0].double ?? 1)
        guard let x = logits.baseAddress, let y = labels.baseAddress else {
            if reduction != .none { loss[0] = T(plan.reduce(0, divisor: divisor)) }
            return stats
        }
        let arguments = SigmoidLabelsKernelArguments(
            logits: x, labels: y, batch: Int(batch), classes: classes, inner: inner, ignoreIndex: ignoreIndex,
            anyIgnored: ignored > 0, loss: reduction == .none ? loss.baseAddress : nil,
            gradient: gradLogits?.baseAddress, upstream: reduction == .none ? gradLoss?.baseAddress : nil,
            scale: plan.gradientScale(upstream: scalarUpstream, divisor: divisor),
            accumulate: options.accumulateGradient, alpha: options.alpha, gamma: options.gamma,
            weights: weights?.elementWeights, poly1: options.poly1)
        let kernel = T.sigmoidLabelsKernel(options.instructionSet.kernels, Label.self, options.precision)
        // The dense call's chunks over the kept elements; each chunk's first element located.
        let chunks = Parallel.chunking(count: kept, grain: grain)
        let total: Double
        if chunks.count <= 1 {
            // Every small call: one chunk, one cursor, no table to fill.
            var first = LabelCursor(n: 0, c: 0, i: 0)
            locateChunks(arguments, chunkSize: chunks.size, chunkCount: chunks.count, into: &first)
            let start = first
            total = Parallel.sum(count: kept, grain: grain, threads: threads) { kernel(arguments, $0, start) }
        } else {
            var starts = InlineArray<1024, LabelCursor>(repeating: LabelCursor(n: 0, c: 0, i: 0))  // Parallel.maxChunks
            total = withUnsafeMutablePointer(to: &starts) { storage in
                let starts = UnsafeMutableRawPointer(storage).assumingMemoryBound(to: LabelCursor.self)
                locateChunks(arguments, chunkSize: chunks.size, chunkCount: chunks.count, into: starts)
                return Parallel.sum(count: kept, grain: grain, threads: threads) { range in
                    kernel(arguments, range, starts[range.lowerBound / chunks.size])
                }
            }
        }
        // The ignored positions' elements: loss 0 and gradient 0.
        if ignored > 0 {
            zeroIgnored(arguments, loss: reduction == .none ? loss.baseAddress : nil,
                        gradient: options.accumulateGradient ? nil : gradLogits?.baseAddress)
        }
        if reduction != .none {
            loss[0] = T(plan.reduce(total, divisor: divisor))
        }
        return stats
    }

    /// Hands `body` the ranges of weight indices that belong to kept positions, in memory order:
    /// everything at once when nothing is ignored; else, per batch item, each run of kept
    /// positions (per position), or that run in every class plane (per element).
    static func keptWeightRanges<Label: FocalTarget>(
        _ labels: UnsafeBufferPointer<Label>, batch: Int, classes: Int, inner: Int, ignoreIndex: Int64,
        anyIgnored: Bool, perElement: Bool, _ body: (Range<Int>) -> Void
    ) {
        let positions = batch * inner
        guard anyIgnored else {
            body(0 ..< (perElement ? positions * classes : positions))
            return
        }
        if inner == 1 {
            // Rows: a run of kept rows is one range in either layout.
            var n = 0
            while n < batch {
                if Int64(labels[n]) == ignoreIndex { n += 1; continue }
                let start = n
                while n < batch && Int64(labels[n]) != ignoreIndex { n += 1 }
                body(perElement ? start * classes ..< n * classes : start ..< n)
            }
            return
        }
        for n in 0 ..< batch {
            var i = 0
            while i < inner {
                if Int64(labels[n * inner + i]) == ignoreIndex { i += 1; continue }
                let start = i
                while i < inner && Int64(labels[n * inner + i]) != ignoreIndex { i += 1 }
                if perElement {
                    for c in 0 ..< classes {
                        let base = (n * classes + c) * inner
                        body(base + start ..< base + i)
                    }
                } else {
                    body(n * inner + start ..< n * inner + i)
                }
            }
        }
    }

    /// Zeros the elements of the ignored positions in `loss` and `gradient` (each optional), plane
    /// by plane in memory order: a slab's ignored positions are found once, as runs, and each class
    /// plane gets those runs cleared (a slab of more than `maxRuns` runs is scanned once per plane).
    static func zeroIgnored<T: FocalScalar, Label: FocalTarget>(
        _ a: SigmoidLabelsKernelArguments<T, Label>, loss: UnsafeMutablePointer<T>?, gradient: UnsafeMutablePointer<T>?
    ) {
        guard loss != nil || gradient != nil else { return }
        let classes = a.classes, inner = a.inner, labels = a.labels, ignore = a.ignoreIndex
        let maxRuns = 256
        var storage = InlineArray<512, Int>(repeating: 0)  // 2 · maxRuns
        withUnsafeMutablePointer(to: &storage) { storage in
            let runs = UnsafeMutableRawPointer(storage).assumingMemoryBound(to: Int.self)
            for n in 0 ..< a.batch {
                let slab = labels + n * inner
                var count = 0, i = 0
                while i < inner && count <= maxRuns {
                    if Int64(slab[i]) != ignore { i += 1; continue }
                    let start = i
                    while i < inner && Int64(slab[i]) == ignore { i += 1 }
                    if count < maxRuns { runs[2 * count] = start; runs[2 * count + 1] = i }
                    count += 1
                }
                if count == 0 { continue }
                for c in 0 ..< classes {
                    let base = (n * classes + c) * inner
                    @inline(__always) func clear(_ from: Int, _ to: Int) {
                        if let loss { for j in from ..< to { loss[base + j] = 0 } }
                        if let gradient { for j in from ..< to { gradient[base + j] = 0 } }
                    }
                    if count <= maxRuns {
                        for r in 0 ..< count { clear(runs[2 * r], runs[2 * r + 1]) }
                    } else {
                        for j in 0 ..< inner where Int64(slab[j]) == ignore { clear(j, j + 1) }
                    }
                }
            }
        }
    }

    /// The cursor of the first kept element of each chunk (kept element `j · chunkSize`): by
    /// arithmetic when nothing is ignored, else by one walk over the labels, slab by slab.
    static func locateChunks<T, Label: FocalTarget>(
        _ a: SigmoidLabelsKernelArguments<T, Label>, chunkSize: Int, chunkCount: Int,
        into starts: UnsafeMutablePointer<LabelCursor>
    ) {
        let classes = a.classes, inner = a.inner, slabSize = classes * inner
        if !a.anyIgnored {
            for j in 0 ..< chunkCount {
                let k = j * chunkSize, r = k % slabSize
                starts[j] = LabelCursor(n: k / slabSize, c: r / inner, i: r % inner)
            }
            return
        }
        func isKept(_ p: Int) -> Bool { Int64(a.labels[p]) != a.ignoreIndex }
        var j = 0, before = 0  // kept elements in the slabs before n
        var n = 0
        while j < chunkCount && n < a.batch {
            var keptHere = 0
            for i in 0 ..< inner where isKept(n * inner + i) { keptHere += 1 }
            let here = keptHere * classes
            // Chunks whose first element lies in slab n: element c·keptHere + r of the slab is
            // class c at its r-th kept position.
            while j < chunkCount && j * chunkSize < before + here {
                let k = j * chunkSize - before
                let c = k / keptHere
                // The r-th kept position of the slab: whole blocks of 64 counted (a vectorizable
                // count) while they hold fewer than r + 1, then one by one.
                var r = k % keptHere, i = 0
                while i + 64 <= inner {
                    var here = 0
                    for q in i ..< i + 64 { here &+= isKept(n * inner + q) ? 1 : 0 }
                    if here > r { break }
                    r -= here
                    i += 64
                }
                while true {
                    if isKept(n * inner + i) {
                        if r == 0 { break }
                        r -= 1
                    }
                    i += 1
                }
                starts[j] = LabelCursor(n: n, c: c, i: i)
                j += 1
            }
            before += here
            n += 1
        }
    }
}
