import _KernelInterface

/// How a sigmoid call's weights map onto its logits `(batch, classes, inner)`.
public enum WeightsLayout: Int32, Sendable, CaseIterable {
    /// One weight per logit, the logits' layout.
    case perElement = 0
    /// One weight per position `(n, i)`, `weights[n · inner + i]`, the same for every class.
    case perPosition = 1
}

/// What a call reports besides its loss, for a data-parallel trainer that all-reduces its
/// counts once (DESIGN §1.3): the positives, the weights' sum over what the loss covers, and
/// the divisor the loss was divided by (1 for `.none` and `.sum`).
public struct FocalStats: Sendable, Equatable {
    /// Sigmoid: Σ t. Sigmoid from labels: the positions whose label is a class. Softmax:
    /// Σ w·α_y over the positions not ignored (the mean's own divisor).
    public var positives: Double
    /// The weights of the elements (sigmoid) or non-ignored positions (softmax) the loss
    /// covers, a per-position sigmoid weight counted once per class; without weights, their count.
    public var weightSum: Double
    /// The mean's divisor (the normalizer, or the default; 0 where that mean is undefined),
    /// or 1 for `.none` and `.sum`.
    public var divisor: Double

    public init(positives: Double, weightSum: Double, divisor: Double) {
        self.positives = positives; self.weightSum = weightSum; self.divisor = divisor
    }
}

/// A sigmoid call's weights as the core receives them: the values and their layout over logits
/// of `classes` classes and `inner` positions per batch item.
struct SigmoidWeights<T: FocalScalar> {
    let values: UnsafeBufferPointer<T>
    let layout: WeightsLayout
    let classes: Int
    let inner: Int

    /// The kernels' view, in memory's index space.
    var elementWeights: ElementWeights<T>? {
        guard let base = values.baseAddress else { return nil }
        return layout == .perElement ? .perElement(base) : ElementWeights(base: base, classes: classes, inner: inner, offset: 0)
    }

    /// How many values the layout needs for `elements` logits over `positions` positions.
    func expectedCount(elements: Int, positions: Int) -> Int { layout == .perElement ? elements : positions }

    /// The weights of the elements whose weight indices `ranges` hands out (see `sumValues`),
    /// a per-position weight counted once per class.
    func elementSum(kernels: KernelTable, threads: Int, ranges: ((Range<Int>) -> Void) -> Void) -> Double {
        sumValues(values, kernels: kernels, threads: threads, ranges: ranges) * Double(layout == .perElement ? 1 : classes)
    }
}

/// Checks `weights[range]` for every range `ranges` hands out, in order (each chunk of a large
/// range counted by the vectorized kernel, in parallel), and throws naming the first weight that
/// is negative, NaN or infinite.
func validateWeights<T: FocalScalar>(
    _ weights: UnsafeBufferPointer<T>, kernels: KernelTable, threads: Int,
    ranges: ((Range<Int>) -> Void) -> Void
) throws(FocalError) {
    guard let w = weights.baseAddress else { return }
    let check = T.weightCheck(kernels)
    var bad = 0.0
    ranges { range in
        bad += Parallel.sum(count: range.count, grain: SigmoidFocalLoss.grain, threads: threads) { chunk in
            var count = CompensatedSum()
            count.add(Double(check(w + range.lowerBound, chunk)))
            return count
        }
    }
    guard bad > 0 else { return }
    var first: Int? = nil
    ranges { range in
        if first == nil, let i = range.first(where: { !(weights[$0].isFinite && weights[$0] >= 0) }) { first = i }
    }
    if let i = first {
        throw FocalError(.invalidWeight, "weights[\(i)] = \(weights[i]) must be finite and >= 0")
    }
}

/// The sum of `values[range]` over the ranges `ranges` hands out, in order, by fixed chunks and
/// compensated: the same value for every thread count.
func sumValues<T: FocalScalar>(
    _ values: UnsafeBufferPointer<T>, kernels: KernelTable, threads: Int,
    ranges: ((Range<Int>) -> Void) -> Void
) -> Double {
    guard let v = values.baseAddress else { return 0 }
    let sum = T.valueSum(kernels)
    var total = CompensatedSum()
    ranges { range in
        total.add(Parallel.sum(count: range.count, grain: SigmoidFocalLoss.grain, threads: threads) { chunk in
            sum(v + range.lowerBound, chunk)
        })
    }
    return total.value
}
