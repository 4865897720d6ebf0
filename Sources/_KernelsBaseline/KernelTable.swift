import _KernelInterface

// This module's kernels, one concrete instantiation per storage and target type, so the core
// calls code specialized and compiled for this module's instruction set. The same source is
// compiled as _KernelsBaseline, _KernelsAVX2 and _KernelsAVX512 (Package.swift).

@inline(never) func sigmoidF32(_ a: SigmoidKernelArguments<Float>, _ r: Range<Int>) -> CompensatedSum { sigmoidChunk(a, r, ExactArithmetic<Float>.self) }
@inline(never) func sigmoidF32Fast(_ a: SigmoidKernelArguments<Float>, _ r: Range<Int>) -> CompensatedSum { sigmoidChunk(a, r, FastArithmetic.self) }
@inline(never) func sigmoidF64(_ a: SigmoidKernelArguments<Double>, _ r: Range<Int>) -> CompensatedSum { sigmoidChunk(a, r, ExactArithmetic<Double>.self) }
@inline(never) func sigmoidLabelsF32I32(_ a: SigmoidLabelsKernelArguments<Float, Int32>, _ r: Range<Int>, _ c: LabelCursor) -> CompensatedSum { sigmoidLabelsChunk(a, r, c, ExactArithmetic<Float>.self) }
@inline(never) func sigmoidLabelsF32I64(_ a: SigmoidLabelsKernelArguments<Float, Int64>, _ r: Range<Int>, _ c: LabelCursor) -> CompensatedSum { sigmoidLabelsChunk(a, r, c, ExactArithmetic<Float>.self) }
@inline(never) func sigmoidLabelsF32I32Fast(_ a: SigmoidLabelsKernelArguments<Float, Int32>, _ r: Range<Int>, _ c: LabelCursor) -> CompensatedSum { sigmoidLabelsChunk(a, r, c, FastArithmetic.self) }
@inline(never) func sigmoidLabelsF32I64Fast(_ a: SigmoidLabelsKernelArguments<Float, Int64>, _ r: Range<Int>, _ c: LabelCursor) -> CompensatedSum { sigmoidLabelsChunk(a, r, c, FastArithmetic.self) }
@inline(never) func sigmoidLabelsF64I32(_ a: SigmoidLabelsKernelArguments<Double, Int32>, _ r: Range<Int>, _ c: LabelCursor) -> CompensatedSum { sigmoidLabelsChunk(a, r, c, ExactArithmetic<Double>.self) }
@inline(never) func sigmoidLabelsF64I64(_ a: SigmoidLabelsKernelArguments<Double, Int64>, _ r: Range<Int>, _ c: LabelCursor) -> CompensatedSum { sigmoidLabelsChunk(a, r, c, ExactArithmetic<Double>.self) }
@inline(never) func sigmoidTargetsF32(_ t: UnsafePointer<Float>, _ r: Range<Int>, _ s: Bool) -> TargetCheck { sigmoidTargetCheck(t, r, sum: s) }
@inline(never) func sigmoidTargetsF64(_ t: UnsafePointer<Double>, _ r: Range<Int>, _ s: Bool) -> TargetCheck { sigmoidTargetCheck(t, r, sum: s) }
@inline(never) func weightsF32(_ w: UnsafePointer<Float>, _ r: Range<Int>) -> Int { weightsOutOfRange(w, r) }
@inline(never) func weightsF64(_ w: UnsafePointer<Double>, _ r: Range<Int>) -> Int { weightsOutOfRange(w, r) }
@inline(never) func sumF32(_ v: UnsafePointer<Float>, _ r: Range<Int>) -> CompensatedSum { blockSum(v, r) }
@inline(never) func sumF64(_ v: UnsafePointer<Double>, _ r: Range<Int>) -> CompensatedSum { blockSum(v, r) }
@inline(never) func softmaxF32I32(_ a: SoftmaxKernelArguments<Float, Int32>, _ r: Range<Int>) -> CompensatedSum { softmaxChunk(a, r, ExactArithmetic<Float>.self) }
@inline(never) func softmaxF32I64(_ a: SoftmaxKernelArguments<Float, Int64>, _ r: Range<Int>) -> CompensatedSum { softmaxChunk(a, r, ExactArithmetic<Float>.self) }
@inline(never) func softmaxF32I32Fast(_ a: SoftmaxKernelArguments<Float, Int32>, _ r: Range<Int>) -> CompensatedSum { softmaxChunk(a, r, FastArithmetic.self) }
@inline(never) func softmaxF32I64Fast(_ a: SoftmaxKernelArguments<Float, Int64>, _ r: Range<Int>) -> CompensatedSum { softmaxChunk(a, r, FastArithmetic.self) }
@inline(never) func softmaxF64I32(_ a: SoftmaxKernelArguments<Double, Int32>, _ r: Range<Int>) -> CompensatedSum { softmaxChunk(a, r, ExactArithmetic<Double>.self) }
@inline(never) func softmaxF64I64(_ a: SoftmaxKernelArguments<Double, Int64>, _ r: Range<Int>) -> CompensatedSum { softmaxChunk(a, r, ExactArithmetic<Double>.self) }

// The 16-bit storage types: the same generic kernels, reading and writing Float16 / BFloat16
// (each read exact in Float, each result rounded once), the exact tier in double, the fast in float.
@inline(never) func sigmoidF16(_ a: SigmoidKernelArguments<Float16>, _ r: Range<Int>) -> CompensatedSum { sigmoidChunk(a, r, ExactArithmetic<Float16>.self) }
@inline(never) func sigmoidF16Fast(_ a: SigmoidKernelArguments<Float16>, _ r: Range<Int>) -> CompensatedSum { sigmoidChunk(a, r, FastArithmetic.self) }
@inline(never) func sigmoidLabelsF16I32(_ a: SigmoidLabelsKernelArguments<Float16, Int32>, _ r: Range<Int>, _ c: LabelCursor) -> CompensatedSum { sigmoidLabelsChunk(a, r, c, ExactArithmetic<Float16>.self) }
@inline(never) func sigmoidLabelsF16I32Fast(_ a: SigmoidLabelsKernelArguments<Float16, Int32>, _ r: Range<Int>, _ c: LabelCursor) -> CompensatedSum { sigmoidLabelsChunk(a, r, c, FastArithmetic.self) }
@inline(never) func softmaxF16I32(_ a: SoftmaxKernelArguments<Float16, Int32>, _ r: Range<Int>) -> CompensatedSum { softmaxChunk(a, r, ExactArithmetic<Float16>.self) }
@inline(never) func softmaxF16I32Fast(_ a: SoftmaxKernelArguments<Float16, Int32>, _ r: Range<Int>) -> CompensatedSum { softmaxChunk(a, r, FastArithmetic.self) }
@inline(never) func sigmoidLabelsF16I64(_ a: SigmoidLabelsKernelArguments<Float16, Int64>, _ r: Range<Int>, _ c: LabelCursor) -> CompensatedSum { sigmoidLabelsChunk(a, r, c, ExactArithmetic<Float16>.self) }
@inline(never) func sigmoidLabelsF16I64Fast(_ a: SigmoidLabelsKernelArguments<Float16, Int64>, _ r: Range<Int>, _ c: LabelCursor) -> CompensatedSum { sigmoidLabelsChunk(a, r, c, FastArithmetic.self) }
@inline(never) func softmaxF16I64(_ a: SoftmaxKernelArguments<Float16, Int64>, _ r: Range<Int>) -> CompensatedSum { softmaxChunk(a, r, ExactArithmetic<Float16>.self) }
@inline(never) func softmaxF16I64Fast(_ a: SoftmaxKernelArguments<Float16, Int64>, _ r: Range<Int>) -> CompensatedSum { softmaxChunk(a, r, FastArithmetic.self) }
@inline(never) func sigmoidTargetsF16(_ t: UnsafePointer<Float16>, _ r: Range<Int>, _ s: Bool) -> TargetCheck { sigmoidTargetCheck(t, r, sum: s) }
@inline(never) func weightsF16(_ w: UnsafePointer<Float16>, _ r: Range<Int>) -> Int { weightsOutOfRange(w, r) }
@inline(never) func sumF16(_ v: UnsafePointer<Float16>, _ r: Range<Int>) -> CompensatedSum { blockSum(v, r) }
@inline(never) func sigmoidBF16(_ a: SigmoidKernelArguments<BFloat16>, _ r: Range<Int>) -> CompensatedSum { sigmoidChunk(a, r, ExactArithmetic<BFloat16>.self) }
@inline(never) func sigmoidBF16Fast(_ a: SigmoidKernelArguments<BFloat16>, _ r: Range<Int>) -> CompensatedSum { sigmoidChunk(a, r, FastArithmetic.self) }
@inline(never) func sigmoidLabelsBF16I32(_ a: SigmoidLabelsKernelArguments<BFloat16, Int32>, _ r: Range<Int>, _ c: LabelCursor) -> CompensatedSum { sigmoidLabelsChunk(a, r, c, ExactArithmetic<BFloat16>.self) }
@inline(never) func sigmoidLabelsBF16I32Fast(_ a: SigmoidLabelsKernelArguments<BFloat16, Int32>, _ r: Range<Int>, _ c: LabelCursor) -> CompensatedSum { sigmoidLabelsChunk(a, r, c, FastArithmetic.self) }
@inline(never) func softmaxBF16I32(_ a: SoftmaxKernelArguments<BFloat16, Int32>, _ r: Range<Int>) -> CompensatedSum { softmaxChunk(a, r, ExactArithmetic<BFloat16>.self) }
@inline(never) func softmaxBF16I32Fast(_ a: SoftmaxKernelArguments<BFloat16, Int32>, _ r: Range<Int>) -> CompensatedSum { softmaxChunk(a, r, FastArithmetic.self) }
@inline(never) func sigmoidLabelsBF16I64(_ a: SigmoidLabelsKernelArguments<BFloat16, Int64>, _ r: Range<Int>, _ c: LabelCursor) -> CompensatedSum { sigmoidLabelsChunk(a, r, c, ExactArithmetic<BFloat16>.self) }
@inline(never) func sigmoidLabelsBF16I64Fast(_ a: SigmoidLabelsKernelArguments<BFloat16, Int64>, _ r: Range<Int>, _ c: LabelCursor) -> CompensatedSum { sigmoidLabelsChunk(a, r, c, FastArithmetic.self) }
@inline(never) func softmaxBF16I64(_ a: SoftmaxKernelArguments<BFloat16, Int64>, _ r: Range<Int>) -> CompensatedSum { softmaxChunk(a, r, ExactArithmetic<BFloat16>.self) }
@inline(never) func softmaxBF16I64Fast(_ a: SoftmaxKernelArguments<BFloat16, Int64>, _ r: Range<Int>) -> CompensatedSum { softmaxChunk(a, r, FastArithmetic.self) }
@inline(never) func sigmoidTargetsBF16(_ t: UnsafePointer<BFloat16>, _ r: Range<Int>, _ s: Bool) -> TargetCheck { sigmoidTargetCheck(t, r, sum: s) }
@inline(never) func weightsBF16(_ w: UnsafePointer<BFloat16>, _ r: Range<Int>) -> Int { weightsOutOfRange(w, r) }
@inline(never) func sumBF16(_ v: UnsafePointer<BFloat16>, _ r: Range<Int>) -> CompensatedSum { blockSum(v, r) }

// Gradient and Hessian (gradient boosting): float32 in both tiers, float64; the softmax's in double.
@inline(never) func sigmoidGradHessF32(_ a: SigmoidGradHessArguments<Float>, _ r: Range<Int>) { sigmoidGradHessChunk(a, r, ExactArithmetic<Float>.self) }
@inline(never) func sigmoidGradHessF32Fast(_ a: SigmoidGradHessArguments<Float>, _ r: Range<Int>) { sigmoidGradHessChunk(a, r, FastArithmetic.self) }
@inline(never) func sigmoidGradHessF64(_ a: SigmoidGradHessArguments<Double>, _ r: Range<Int>) { sigmoidGradHessChunk(a, r, ExactArithmetic<Double>.self) }
@inline(never) func softmaxGradHessF32I32(_ a: SoftmaxGradHessArguments<Float, Int32>, _ r: Range<Int>) { softmaxGradHessChunk(a, r) }
@inline(never) func softmaxGradHessF32I64(_ a: SoftmaxGradHessArguments<Float, Int64>, _ r: Range<Int>) { softmaxGradHessChunk(a, r) }
@inline(never) func softmaxGradHessF64I32(_ a: SoftmaxGradHessArguments<Double, Int32>, _ r: Range<Int>) { softmaxGradHessChunk(a, r) }
@inline(never) func softmaxGradHessF64I64(_ a: SoftmaxGradHessArguments<Double, Int64>, _ r: Range<Int>) { softmaxGradHessChunk(a, r) }

/// Every kernel of this instruction-set build.
public let kernels = KernelTable(
    sigmoidF32: sigmoidF32, sigmoidF32Fast: sigmoidF32Fast, sigmoidF64: sigmoidF64,
    sigmoidLabelsF32I32: sigmoidLabelsF32I32, sigmoidLabelsF32I64: sigmoidLabelsF32I64,
    sigmoidLabelsF32I32Fast: sigmoidLabelsF32I32Fast, sigmoidLabelsF32I64Fast: sigmoidLabelsF32I64Fast,
    sigmoidLabelsF64I32: sigmoidLabelsF64I32, sigmoidLabelsF64I64: sigmoidLabelsF64I64,
    sigmoidTargetsF32: sigmoidTargetsF32, sigmoidTargetsF64: sigmoidTargetsF64,
    weightsF32: weightsF32, weightsF64: weightsF64, sumF32: sumF32, sumF64: sumF64,
    softmaxF32I32: softmaxF32I32, softmaxF32I64: softmaxF32I64,
    softmaxF32I32Fast: softmaxF32I32Fast, softmaxF32I64Fast: softmaxF32I64Fast,
    softmaxF64I32: softmaxF64I32, softmaxF64I64: softmaxF64I64,
    f16: HalfKernels(
        sigmoid: sigmoidF16, sigmoidFast: sigmoidF16Fast, labelsI32: sigmoidLabelsF16I32, labelsI64: sigmoidLabelsF16I64,
        labelsI32Fast: sigmoidLabelsF16I32Fast, labelsI64Fast: sigmoidLabelsF16I64Fast, targets: sigmoidTargetsF16,
        weights: weightsF16, sum: sumF16, softmaxI32: softmaxF16I32, softmaxI64: softmaxF16I64,
        softmaxI32Fast: softmaxF16I32Fast, softmaxI64Fast: softmaxF16I64Fast),
    bf16: HalfKernels(
        sigmoid: sigmoidBF16, sigmoidFast: sigmoidBF16Fast, labelsI32: sigmoidLabelsBF16I32, labelsI64: sigmoidLabelsBF16I64,
        labelsI32Fast: sigmoidLabelsBF16I32Fast, labelsI64Fast: sigmoidLabelsBF16I64Fast, targets: sigmoidTargetsBF16,
        weights: weightsBF16, sum: sumBF16, softmaxI32: softmaxBF16I32, softmaxI64: softmaxBF16I64,
        softmaxI32Fast: softmaxBF16I32Fast, softmaxI64Fast: softmaxBF16I64Fast),
    gradHess: GradHessKernels(
        sigmoidF32: sigmoidGradHessF32, sigmoidF32Fast: sigmoidGradHessF32Fast, sigmoidF64: sigmoidGradHessF64,
        softmaxF32I32: softmaxGradHessF32I32, softmaxF32I64: softmaxGradHessF32I64,
        softmaxF64I32: softmaxGradHessF64I32, softmaxF64I64: softmaxGradHessF64I64))
