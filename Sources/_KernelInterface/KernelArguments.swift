// What the core hands a kernel, and what a kernel hands back.
//
// The kernels are compiled three times, once per instruction set (see Package.swift); each
// build is its own module with the same public functions. This module holds the types they
// share with the core: plain data, validated by the core before any kernel runs.

/// The weights of a sigmoid call's elements: element `j` of a kernel's index space is element
/// `m = offset + j` of the logits `(batch, classes, inner)` in memory, whose weight is
/// `base[m]` per element (`classes = inner = 1`), or `base[(m / (classes·inner))·inner + m % inner]`
/// per position (one weight per `(n, i)`, broadcast over the classes).
public struct ElementWeights<T>: @unchecked Sendable {
    public var base: UnsafePointer<T>
    public var classes: Int
    public var inner: Int
    public var offset: Int

    public init(base: UnsafePointer<T>, classes: Int, inner: Int, offset: Int) {
        self.base = base; self.classes = classes; self.inner = inner; self.offset = offset
    }

    /// One weight per element, `base[offset + j]`.
    public static func perElement(_ base: UnsafePointer<T>, offset: Int = 0) -> Self {
        Self(base: base, classes: 1, inner: 1, offset: offset)
    }

    /// The same weights for an index space that starts `by` elements later in memory.
    public func shifted(by elements: Int) -> Self {
        Self(base: base, classes: classes, inner: inner, offset: offset + elements)
    }
}

/// A relative of the sigmoid focal loss (issue 14), elementwise in a logit and a target in
/// [0, 1], with its parameters (validated by the core). The kernels compute each in double in
/// both tiers; the derivations are beside their element functions (FamilyKernel.swift).
public enum SigmoidFamilyLoss: Sendable, Equatable {
    /// FL* (Lin et al. 2017, appendix A): `α_t·softplus(−(γ·x_t + β))/γ`, γ > 0.
    case focalStar(alpha: Double?, gamma: Double, beta: Double)
    /// The asymmetric loss (Ridnik et al. 2021; timm's AsymmetricLossMultiLabel): focusing γ+
    /// and γ−, probability margin m ∈ [0, 1].
    case asymmetric(gammaPositive: Double, gammaNegative: Double, margin: Double)
    /// The quality focal loss (Li et al. 2020): `|y − σ(x)|^β·BCE(x, y)`, β ≥ 0.
    case quality(beta: Double)
    /// The varifocal loss (Zhang et al. 2021): `w·BCE(x, q)` for q > 0 (w = q or 1),
    /// `α·σ(x)^γ·BCE(x, 0)` for q = 0.
    case varifocal(alpha: Double, gamma: Double, iouWeighted: Bool)
}

/// One sigmoid call's buffers and parameters; a kernel computes elements `range` of it.
public struct SigmoidKernelArguments<T>: @unchecked Sendable {
    public var logits: UnsafePointer<T>
    public var targets: UnsafePointer<T>
    /// Per-element losses (reduction none), or nil: the kernel returns their sum.
    public var loss: UnsafeMutablePointer<T>?
    public var gradient: UnsafeMutablePointer<T>?
    /// Per-element upstream gradient (reduction none), or nil: `scale` for every element.
    public var upstream: UnsafePointer<T>?
    public var scale: Double
    public var accumulate: Bool
    /// α ∈ [0, 1], or nil when weighting is disabled.
    public var alpha: Double?
    public var gamma: Double
    /// Each element's weight, multiplying its loss and derivative, or nil for none (all ones).
    public var weights: ElementWeights<T>?
    /// Poly-1's ε (the term `ε·(1 − p_t)^{γ+1}`), or nil for the plain focal loss (ε = 0).
    public var poly1: Double?
    /// Another loss of the family instead of the focal loss (alpha, gamma and poly1 unused), or nil.
    public var family: SigmoidFamilyLoss?

    public init(logits: UnsafePointer<T>, targets: UnsafePointer<T>, loss: UnsafeMutablePointer<T>?,
                gradient: UnsafeMutablePointer<T>?, upstream: UnsafePointer<T>?, scale: Double,
                accumulate: Bool, alpha: Double?, gamma: Double, weights: ElementWeights<T>? = nil,
                poly1: Double? = nil, family: SigmoidFamilyLoss? = nil) {
        self.logits = logits; self.targets = targets; self.loss = loss; self.gradient = gradient
        self.upstream = upstream; self.scale = scale; self.accumulate = accumulate
        self.alpha = alpha; self.gamma = gamma; self.weights = weights; self.poly1 = poly1; self.family = family
    }
}

/// One softmax call's buffers and parameters, logits `(batch, classes, inner)`; a kernel
/// computes target positions `range` (position `n * inner + i`) of it.
public struct SoftmaxKernelArguments<T, Target>: @unchecked Sendable {
    public var logits: UnsafePointer<T>
    public var targets: UnsafePointer<Target>
    public var classes: Int
    public var inner: Int
    /// Per-class weights α_c, or nil for all ones.
    public var weights: UnsafePointer<Double>?
    public var labelSmoothing: Double
    public var ignoreIndex: Int64
    public var gamma: Double
    /// Per-position losses (reduction none), or nil: the kernel returns their sum.
    public var loss: UnsafeMutablePointer<T>?
    public var gradient: UnsafeMutablePointer<T>?
    /// Per-position upstream gradient (reduction none), or nil: `scale` for every position.
    public var upstream: UnsafePointer<T>?
    public var scale: Double
    public var accumulate: Bool
    /// One weight per position (the targets' layout) multiplying its loss and gradient, or nil
    /// for none; a weight of 0 leaves the position out as `ignoreIndex` does.
    public var positionWeights: UnsafePointer<T>?
    /// Poly-1's ε (the term `ε·(1 − p_y)^{γ+1}`, label smoothing 0), or nil for ε = 0.
    public var poly1: Double?

    public init(logits: UnsafePointer<T>, targets: UnsafePointer<Target>, classes: Int, inner: Int,
                weights: UnsafePointer<Double>?, labelSmoothing: Double, ignoreIndex: Int64, gamma: Double,
                loss: UnsafeMutablePointer<T>?, gradient: UnsafeMutablePointer<T>?, upstream: UnsafePointer<T>?,
                scale: Double, accumulate: Bool, positionWeights: UnsafePointer<T>? = nil, poly1: Double? = nil) {
        self.logits = logits; self.targets = targets; self.classes = classes; self.inner = inner
        self.weights = weights; self.labelSmoothing = labelSmoothing; self.ignoreIndex = ignoreIndex
        self.gamma = gamma; self.loss = loss; self.gradient = gradient; self.upstream = upstream
        self.scale = scale; self.accumulate = accumulate; self.positionWeights = positionWeights; self.poly1 = poly1
    }
}

/// One sigmoid call from integer labels (mmdet's convention): logits `(batch, classes, inner)`,
/// labels `(batch, inner)`; a label in `[0, classes)` makes that class of its position
/// positive, `classes` makes every class negative (background), `ignoreIndex` leaves the
/// position out. A kernel computes the elements `range` of the *kept* elements (those of
/// positions that are not ignored, in memory order), so that its blocks are those of the dense
/// call on the kept elements alone.
public struct SigmoidLabelsKernelArguments<T, Label>: @unchecked Sendable {
    public var logits: UnsafePointer<T>
    public var labels: UnsafePointer<Label>
    public var batch: Int
    public var classes: Int
    public var inner: Int
    public var ignoreIndex: Int64
    /// Whether any position is ignored (otherwise the kept elements are all of them).
    public var anyIgnored: Bool
    /// Per-element losses (reduction none), or nil: the kernel returns their sum.
    public var loss: UnsafeMutablePointer<T>?
    public var gradient: UnsafeMutablePointer<T>?
    /// Per-element upstream gradient (reduction none), or nil: `scale` for every element.
    public var upstream: UnsafePointer<T>?
    public var scale: Double
    public var accumulate: Bool
    public var alpha: Double?
    public var gamma: Double
    /// The elements' weights in memory's index space (offset 0), or nil for none.
    public var weights: ElementWeights<T>?
    /// Poly-1's ε, or nil for ε = 0 (as `SigmoidKernelArguments.poly1`).
    public var poly1: Double?

    public init(logits: UnsafePointer<T>, labels: UnsafePointer<Label>, batch: Int, classes: Int, inner: Int,
                ignoreIndex: Int64, anyIgnored: Bool, loss: UnsafeMutablePointer<T>?,
                gradient: UnsafeMutablePointer<T>?, upstream: UnsafePointer<T>?, scale: Double, accumulate: Bool,
                alpha: Double?, gamma: Double, weights: ElementWeights<T>? = nil, poly1: Double? = nil) {
        self.logits = logits; self.labels = labels; self.batch = batch; self.classes = classes
        self.inner = inner; self.ignoreIndex = ignoreIndex; self.anyIgnored = anyIgnored; self.loss = loss
        self.gradient = gradient; self.upstream = upstream; self.scale = scale; self.accumulate = accumulate
        self.alpha = alpha; self.gamma = gamma; self.weights = weights; self.poly1 = poly1
    }
}

/// A kept element of a labels call: logit `(n, c, i)`, whose position `(n, i)` is not ignored.
public struct LabelCursor: Sendable, Equatable {
    public var n: Int
    public var c: Int
    public var i: Int
    @inlinable public init(n: Int, c: Int, i: Int) { self.n = n; self.c = c; self.i = i }
}

public typealias SigmoidKernel<T> = @Sendable (SigmoidKernelArguments<T>, Range<Int>) -> CompensatedSum
/// How many of sigmoid targets `range` are outside [0, 1] (or NaN), and, when asked (the
/// statistics' positives), their sum in the same pass.
public typealias SigmoidTargetCheck<T> = @Sendable (UnsafePointer<T>, Range<Int>, _ sum: Bool) -> TargetCheck

/// What `SigmoidTargetCheck` returns: the count of bad targets, and their sum when asked.
public struct TargetCheck: Sendable {
    public var outOfRange: Int
    public var sum: CompensatedSum
    @inlinable public init(outOfRange: Int, sum: CompensatedSum) { self.outOfRange = outOfRange; self.sum = sum }
}
/// How many of weights `range` are negative, NaN or infinite.
public typealias WeightCheck<T> = @Sendable (UnsafePointer<T>, Range<Int>) -> Int
/// The sum of values `range`, in blocks of lane sums added in a fixed order.
public typealias ValueSum<T> = @Sendable (UnsafePointer<T>, Range<Int>) -> CompensatedSum
/// Kept elements `range` of a labels call, the first of which is at the cursor.
public typealias SigmoidLabelsKernel<T, Label> = @Sendable (SigmoidLabelsKernelArguments<T, Label>, Range<Int>, LabelCursor) -> CompensatedSum
public typealias SoftmaxKernel<T, Target> = @Sendable (SoftmaxKernelArguments<T, Target>, Range<Int>) -> CompensatedSum

/// Every kernel of one 16-bit storage type (`Float16`, `BFloat16`), per family, label or
/// target type and tier, in one instruction-set build.
public final class HalfKernels<T>: Sendable {
    public let sigmoid: SigmoidKernel<T>
    public let sigmoidFast: SigmoidKernel<T>
    public let labelsI32: SigmoidLabelsKernel<T, Int32>
    public let labelsI64: SigmoidLabelsKernel<T, Int64>
    public let labelsI32Fast: SigmoidLabelsKernel<T, Int32>
    public let labelsI64Fast: SigmoidLabelsKernel<T, Int64>
    public let targets: SigmoidTargetCheck<T>
    public let weights: WeightCheck<T>
    public let sum: ValueSum<T>
    public let softmaxI32: SoftmaxKernel<T, Int32>
    public let softmaxI64: SoftmaxKernel<T, Int64>
    public let softmaxI32Fast: SoftmaxKernel<T, Int32>
    public let softmaxI64Fast: SoftmaxKernel<T, Int64>

    public init(sigmoid: @escaping SigmoidKernel<T>, sigmoidFast: @escaping SigmoidKernel<T>,
                labelsI32: @escaping SigmoidLabelsKernel<T, Int32>, labelsI64: @escaping SigmoidLabelsKernel<T, Int64>,
                labelsI32Fast: @escaping SigmoidLabelsKernel<T, Int32>, labelsI64Fast: @escaping SigmoidLabelsKernel<T, Int64>,
                targets: @escaping SigmoidTargetCheck<T>, weights: @escaping WeightCheck<T>, sum: @escaping ValueSum<T>,
                softmaxI32: @escaping SoftmaxKernel<T, Int32>, softmaxI64: @escaping SoftmaxKernel<T, Int64>,
                softmaxI32Fast: @escaping SoftmaxKernel<T, Int32>, softmaxI64Fast: @escaping SoftmaxKernel<T, Int64>) {
        self.sigmoid = sigmoid; self.sigmoidFast = sigmoidFast
        self.labelsI32 = labelsI32; self.labelsI64 = labelsI64; self.labelsI32Fast = labelsI32Fast; self.labelsI64Fast = labelsI64Fast
        self.targets = targets; self.weights = weights; self.sum = sum
        self.softmaxI32 = softmaxI32; self.softmaxI64 = softmaxI64
        self.softmaxI32Fast = softmaxI32Fast; self.softmaxI64Fast = softmaxI64Fast
    }
}

/// Every kernel of one instruction-set build, one per storage and target type.
///
/// A class, as are `HalfKernels` and `GradHessKernels`: a call takes its table by one
/// reference, where copying a struct of some sixty closures retained and released each of them
/// (a third of an 8-element call's cost by `perf record`).
public final class KernelTable: Sendable {
    public let sigmoidF32: SigmoidKernel<Float>
    /// The fast tier (float32 arithmetic) of `sigmoidF32`.
    public let sigmoidF32Fast: SigmoidKernel<Float>
    public let sigmoidF64: SigmoidKernel<Double>
    /// The sigmoid from integer labels, per storage type, label type and tier.
    public let sigmoidLabelsF32I32: SigmoidLabelsKernel<Float, Int32>
    public let sigmoidLabelsF32I64: SigmoidLabelsKernel<Float, Int64>
    public let sigmoidLabelsF32I32Fast: SigmoidLabelsKernel<Float, Int32>
    public let sigmoidLabelsF32I64Fast: SigmoidLabelsKernel<Float, Int64>
    public let sigmoidLabelsF64I32: SigmoidLabelsKernel<Double, Int32>
    public let sigmoidLabelsF64I64: SigmoidLabelsKernel<Double, Int64>
    public let sigmoidTargetsF32: SigmoidTargetCheck<Float>
    public let sigmoidTargetsF64: SigmoidTargetCheck<Double>
    public let weightsF32: WeightCheck<Float>
    public let weightsF64: WeightCheck<Double>
    public let sumF32: ValueSum<Float>
    public let sumF64: ValueSum<Double>
    public let softmaxF32I32: SoftmaxKernel<Float, Int32>
    public let softmaxF32I64: SoftmaxKernel<Float, Int64>
    /// The fast tier (float32 per-element arithmetic) of `softmaxF32I32` and `softmaxF32I64`.
    public let softmaxF32I32Fast: SoftmaxKernel<Float, Int32>
    public let softmaxF32I64Fast: SoftmaxKernel<Float, Int64>
    public let softmaxF64I32: SoftmaxKernel<Double, Int32>
    public let softmaxF64I64: SoftmaxKernel<Double, Int64>
    /// The 16-bit storage types' kernels.
    public let f16: HalfKernels<Float16>
    public let bf16: HalfKernels<BFloat16>
    /// The gradient-and-Hessian kernels (gradient boosting).
    public let gradHess: GradHessKernels

    public init(sigmoidF32: @escaping SigmoidKernel<Float>, sigmoidF32Fast: @escaping SigmoidKernel<Float>, sigmoidF64: @escaping SigmoidKernel<Double>,
                sigmoidLabelsF32I32: @escaping SigmoidLabelsKernel<Float, Int32>, sigmoidLabelsF32I64: @escaping SigmoidLabelsKernel<Float, Int64>,
                sigmoidLabelsF32I32Fast: @escaping SigmoidLabelsKernel<Float, Int32>, sigmoidLabelsF32I64Fast: @escaping SigmoidLabelsKernel<Float, Int64>,
                sigmoidLabelsF64I32: @escaping SigmoidLabelsKernel<Double, Int32>, sigmoidLabelsF64I64: @escaping SigmoidLabelsKernel<Double, Int64>,
                sigmoidTargetsF32: @escaping SigmoidTargetCheck<Float>, sigmoidTargetsF64: @escaping SigmoidTargetCheck<Double>,
                weightsF32: @escaping WeightCheck<Float>, weightsF64: @escaping WeightCheck<Double>,
                sumF32: @escaping ValueSum<Float>, sumF64: @escaping ValueSum<Double>,
                softmaxF32I32: @escaping SoftmaxKernel<Float, Int32>, softmaxF32I64: @escaping SoftmaxKernel<Float, Int64>,
                softmaxF32I32Fast: @escaping SoftmaxKernel<Float, Int32>, softmaxF32I64Fast: @escaping SoftmaxKernel<Float, Int64>,
                softmaxF64I32: @escaping SoftmaxKernel<Double, Int32>, softmaxF64I64: @escaping SoftmaxKernel<Double, Int64>,
                f16: HalfKernels<Float16>, bf16: HalfKernels<BFloat16>, gradHess: GradHessKernels) {
        self.f16 = f16; self.bf16 = bf16; self.gradHess = gradHess
        self.sigmoidF32 = sigmoidF32; self.sigmoidF32Fast = sigmoidF32Fast; self.sigmoidF64 = sigmoidF64
        self.sigmoidLabelsF32I32 = sigmoidLabelsF32I32; self.sigmoidLabelsF32I64 = sigmoidLabelsF32I64
        self.sigmoidLabelsF32I32Fast = sigmoidLabelsF32I32Fast; self.sigmoidLabelsF32I64Fast = sigmoidLabelsF32I64Fast
        self.sigmoidLabelsF64I32 = sigmoidLabelsF64I32; self.sigmoidLabelsF64I64 = sigmoidLabelsF64I64
        self.sigmoidTargetsF32 = sigmoidTargetsF32; self.sigmoidTargetsF64 = sigmoidTargetsF64
        self.weightsF32 = weightsF32; self.weightsF64 = weightsF64; self.sumF32 = sumF32; self.sumF64 = sumF64
        self.softmaxF32I32 = softmaxF32I32; self.softmaxF32I64 = softmaxF32I64
        self.softmaxF32I32Fast = softmaxF32I32Fast; self.softmaxF32I64Fast = softmaxF32I64Fast
        self.softmaxF64I32 = softmaxF64I32; self.softmaxF64I64 = softmaxF64I64
    }
}

// MARK: Gradient and Hessian (gradient boosting)

/// Which second derivative a gradient-and-Hessian kernel stores (the header's focal_hessian).
public enum HessianMode: Int32, Sendable, CaseIterable {
    /// The true second derivative (negative for confidently wrong hard examples).
    case exact = 0
    /// The exact value floored at `HessianMode.floor` (before any weight multiplies it).
    case clipped = 1
    /// The focal weight times the cross-entropy Hessian: always ≥ 0, exact at γ = 0.
    case approximate = 2

    /// The floor of `.clipped`: it raises the negative Hessians of confidently wrong examples and
    /// the tiny ones of well-fit examples (XGBoost floors its own logistic Hessian at 1e-16).
    public static let floor = 1e-6
}

/// One sigmoid gradient-and-Hessian call: per element, `w·∂ℓ/∂x` and `w·∂²ℓ/∂x²` (or the
/// Hessian `mode` asks for) of the unreduced loss; a kernel computes elements `range`.
public struct SigmoidGradHessArguments<T>: @unchecked Sendable {
    public var logits: UnsafePointer<T>
    public var targets: UnsafePointer<T>
    public var gradient: UnsafeMutablePointer<T>?
    public var hessian: UnsafeMutablePointer<T>?
    public var alpha: Double?
    public var gamma: Double
    public var weights: ElementWeights<T>?
    public var mode: HessianMode

    public init(logits: UnsafePointer<T>, targets: UnsafePointer<T>, gradient: UnsafeMutablePointer<T>?,
                hessian: UnsafeMutablePointer<T>?, alpha: Double?, gamma: Double, weights: ElementWeights<T>?,
                mode: HessianMode) {
        self.logits = logits; self.targets = targets; self.gradient = gradient; self.hessian = hessian
        self.alpha = alpha; self.gamma = gamma; self.weights = weights; self.mode = mode
    }
}

/// One softmax gradient-and-Hessian call, logits `(batch, classes, inner)`, targets and
/// weights `(batch, inner)`: per element the gradient and the diagonal Hessian `∂²ℓ/∂x_c²` of
/// the unreduced loss, times the position's weight; a kernel computes positions `range`.
public struct SoftmaxGradHessArguments<T, Target>: @unchecked Sendable {
    public var logits: UnsafePointer<T>
    public var targets: UnsafePointer<Target>
    public var classes: Int
    public var inner: Int
    /// Per-class weights α_c, or nil for all ones.
    public var alpha: UnsafePointer<Double>?
    public var ignoreIndex: Int64
    public var gamma: Double
    public var gradient: UnsafeMutablePointer<T>?
    public var hessian: UnsafeMutablePointer<T>?
    public var positionWeights: UnsafePointer<T>?
    public var mode: HessianMode

    public init(logits: UnsafePointer<T>, targets: UnsafePointer<Target>, classes: Int, inner: Int,
                alpha: UnsafePointer<Double>?, ignoreIndex: Int64, gamma: Double, gradient: UnsafeMutablePointer<T>?,
                hessian: UnsafeMutablePointer<T>?, positionWeights: UnsafePointer<T>?, mode: HessianMode) {
        self.logits = logits; self.targets = targets; self.classes = classes; self.inner = inner
        self.alpha = alpha; self.ignoreIndex = ignoreIndex; self.gamma = gamma; self.gradient = gradient
        self.hessian = hessian; self.positionWeights = positionWeights; self.mode = mode
    }
}

public typealias SigmoidGradHessKernel<T> = @Sendable (SigmoidGradHessArguments<T>, Range<Int>) -> Void
public typealias SoftmaxGradHessKernel<T, Target> = @Sendable (SoftmaxGradHessArguments<T, Target>, Range<Int>) -> Void

/// The gradient-and-Hessian kernels of one instruction-set build (float32 in both tiers, float64).
public final class GradHessKernels: Sendable {
    public let sigmoidF32: SigmoidGradHessKernel<Float>
    public let sigmoidF32Fast: SigmoidGradHessKernel<Float>
    public let sigmoidF64: SigmoidGradHessKernel<Double>
    public let softmaxF32I32: SoftmaxGradHessKernel<Float, Int32>
    public let softmaxF32I64: SoftmaxGradHessKernel<Float, Int64>
    public let softmaxF64I32: SoftmaxGradHessKernel<Double, Int32>
    public let softmaxF64I64: SoftmaxGradHessKernel<Double, Int64>

    public init(sigmoidF32: @escaping SigmoidGradHessKernel<Float>, sigmoidF32Fast: @escaping SigmoidGradHessKernel<Float>,
                sigmoidF64: @escaping SigmoidGradHessKernel<Double>,
                softmaxF32I32: @escaping SoftmaxGradHessKernel<Float, Int32>, softmaxF32I64: @escaping SoftmaxGradHessKernel<Float, Int64>,
                softmaxF64I32: @escaping SoftmaxGradHessKernel<Double, Int32>, softmaxF64I64: @escaping SoftmaxGradHessKernel<Double, Int64>) {
        self.sigmoidF32 = sigmoidF32; self.sigmoidF32Fast = sigmoidF32Fast; self.sigmoidF64 = sigmoidF64
        self.softmaxF32I32 = softmaxF32I32; self.softmaxF32I64 = softmaxF32I64
        self.softmaxF64I32 = softmaxF64I32; self.softmaxF64I64 = softmaxF64I64
    }
}
