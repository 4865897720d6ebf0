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
@inline(never) func sigmoidTargetsF32(_ t: UnsafePointer<Float>, _ r: Range<Int>) -> Int { sigmoidTargetsOutOfRange(t, r) }
@inline(never) func sigmoidTargetsF64(_ t: UnsafePointer<Double>, _ r: Range<Int>) -> Int { sigmoidTargetsOutOfRange(t, r) }
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
    softmaxF64I32: softmaxF64I32, softmaxF64I64: softmaxF64I64)
