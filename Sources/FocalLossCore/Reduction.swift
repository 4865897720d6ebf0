import _KernelInterface

/// How per-element losses become the output (DESIGN §1.3).
public enum Reduction: Int32, Sendable, CaseIterable {
    /// One loss per element (sigmoid) or per target position (softmax).
    case none = 0
    /// The sum of the losses.
    case sum = 1
    /// The sum over a divisor: the element count (sigmoid), the sum of the targets' class
    /// weights (softmax), or the caller's normalizer.
    case mean = 2
}

/// The divisor that turns a sum into the requested reduction, and the factor that scales
/// each element's derivative into the gradient of the returned loss.
struct ReductionPlan {
    let reduction: Reduction
    let normalizer: Double?

    /// Validates the normalizer against the reduction (DESIGN §1.3).
    init(reduction: Reduction, normalizer: Double?) throws(FocalError) {
        if let normalizer {
            guard normalizer.isFinite, normalizer > 0 else {
                throw FocalError(.invalidNormalizer,
                                 "normalizer = \(normalizer) must be finite and > 0")
            }
            guard reduction == .mean else {
                throw FocalError(.invalidNormalizer,
                                 "normalizer = \(normalizer) is set but reduction is \(reduction); a normalizer replaces the divisor of reduction mean only")
            }
        }
        self.reduction = reduction
        self.normalizer = normalizer
    }

    /// The divisor of `mean` given the default one (count or weight sum); 1 otherwise.
    func divisor(default defaultDivisor: Double) -> Double {
        switch reduction {
        case .none, .sum: return 1
        case .mean: return normalizer ?? defaultDivisor
        }
    }

    /// The reduced loss. A mean over nothing (no elements, every target ignored, or zero
    /// total weight) is undefined: NaN, as PyTorch's 0 / 0, even where the sum is not 0.
    func reduce(_ total: Double, divisor: Double) -> Double {
        divisor == 0 ? .nan : total / divisor
    }

    /// The factor from an element's derivative to the gradient of the reduced loss under the
    /// scalar upstream gradient; NaN for an undefined mean, so every contributing element's
    /// gradient is NaN as in PyTorch (ignored positions still get 0).
    func gradientScale(upstream: Double, divisor: Double) -> Double {
        divisor == 0 ? .nan : upstream / divisor
    }
}

/// The thread count a call runs with: 0 asks for the library default.
func validatedThreadCount(_ requested: Int) throws(FocalError) -> Int {
    guard requested >= 0 else {
        throw FocalError(.invalidThreadCount, "num_threads = \(requested) must be >= 0 (0 = library default)")
    }
    return requested == 0 ? Parallel.defaultThreadCount : requested
}
