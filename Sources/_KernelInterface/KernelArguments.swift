// What the core hands a kernel, and what a kernel hands back.
//
// The kernels are compiled three times, once per instruction set (see Package.swift); each
// build is its own module with the same public functions. This module holds the types they
// share with the core: plain data, validated by the core before any kernel runs.

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

    public init(logits: UnsafePointer<T>, targets: UnsafePointer<T>, loss: UnsafeMutablePointer<T>?,
                gradient: UnsafeMutablePointer<T>?, upstream: UnsafePointer<T>?, scale: Double,
                accumulate: Bool, alpha: Double?, gamma: Double) {
        self.logits = logits; self.targets = targets; self.loss = loss; self.gradient = gradient
        self.upstream = upstream; self.scale = scale; self.accumulate = accumulate
        self.alpha = alpha; self.gamma = gamma
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

    public init(logits: UnsafePointer<T>, targets: UnsafePointer<Target>, classes: Int, inner: Int,
                weights: UnsafePointer<Double>?, labelSmoothing: Double, ignoreIndex: Int64, gamma: Double,
                loss: UnsafeMutablePointer<T>?, gradient: UnsafeMutablePointer<T>?, upstream: UnsafePointer<T>?,
                scale: Double, accumulate: Bool) {
        self.logits = logits; self.targets = targets; self.classes = classes; self.inner = inner
        self.weights = weights; self.labelSmoothing = labelSmoothing; self.ignoreIndex = ignoreIndex
        self.gamma = gamma; self.loss = loss; self.gradient = gradient; self.upstream = upstream
        self.scale = scale; self.accumulate = accumulate
    }
}

public typealias SigmoidKernel<T> = @Sendable (SigmoidKernelArguments<T>, Range<Int>) -> CompensatedSum
/// How many of sigmoid targets `range` are outside [0, 1] (or NaN).
public typealias SigmoidTargetCheck<T> = @Sendable (UnsafePointer<T>, Range<Int>) -> Int
public typealias SoftmaxKernel<T, Target> = @Sendable (SoftmaxKernelArguments<T, Target>, Range<Int>) -> CompensatedSum

/// Every kernel of one instruction-set build, one per storage and target type.
public struct KernelTable: Sendable {
    public let sigmoidF32: SigmoidKernel<Float>
    /// The fast tier (float32 arithmetic) of `sigmoidF32`.
    public let sigmoidF32Fast: SigmoidKernel<Float>
    public let sigmoidF64: SigmoidKernel<Double>
    public let sigmoidTargetsF32: SigmoidTargetCheck<Float>
    public let sigmoidTargetsF64: SigmoidTargetCheck<Double>
    public let softmaxF32I32: SoftmaxKernel<Float, Int32>
    public let softmaxF32I64: SoftmaxKernel<Float, Int64>
    /// The fast tier (float32 per-element arithmetic) of `softmaxF32I32` and `softmaxF32I64`.
    public let softmaxF32I32Fast: SoftmaxKernel<Float, Int32>
    public let softmaxF32I64Fast: SoftmaxKernel<Float, Int64>
    public let softmaxF64I32: SoftmaxKernel<Double, Int32>
    public let softmaxF64I64: SoftmaxKernel<Double, Int64>

    public init(sigmoidF32: @escaping SigmoidKernel<Float>, sigmoidF32Fast: @escaping SigmoidKernel<Float>, sigmoidF64: @escaping SigmoidKernel<Double>,
                sigmoidTargetsF32: @escaping SigmoidTargetCheck<Float>, sigmoidTargetsF64: @escaping SigmoidTargetCheck<Double>,
                softmaxF32I32: @escaping SoftmaxKernel<Float, Int32>, softmaxF32I64: @escaping SoftmaxKernel<Float, Int64>,
                softmaxF32I32Fast: @escaping SoftmaxKernel<Float, Int32>, softmaxF32I64Fast: @escaping SoftmaxKernel<Float, Int64>,
                softmaxF64I32: @escaping SoftmaxKernel<Double, Int32>, softmaxF64I64: @escaping SoftmaxKernel<Double, Int64>) {
        self.sigmoidF32 = sigmoidF32; self.sigmoidF32Fast = sigmoidF32Fast; self.sigmoidF64 = sigmoidF64
        self.sigmoidTargetsF32 = sigmoidTargetsF32; self.sigmoidTargetsF64 = sigmoidTargetsF64
        self.softmaxF32I32 = softmaxF32I32; self.softmaxF32I64 = softmaxF32I64
        self.softmaxF32I32Fast = softmaxF32I32Fast; self.softmaxF32I64Fast = softmaxF32I64Fast
        self.softmaxF64I32 = softmaxF64I32; self.softmaxF64I64 = softmaxF64I64
    }
}
