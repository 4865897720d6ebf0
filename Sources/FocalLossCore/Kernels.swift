import _CPUFeatures
import _KernelInterface
import _KernelsAVX2
import _KernelsAVX512
import _KernelsBaseline
#if canImport(Glibc)
import Glibc
#endif

/// The instruction sets the kernels are compiled for (Package.swift), best last.
///
/// Swift has no per-function target attribute, so the same kernel sources are compiled into
/// three modules with different `-Xcc -march=` flags, and the core picks one module's
/// `KernelTable` at run time from `cpuid` (`_CPUFeatures`): one library runs on any x86-64
/// and uses AVX-512 where the CPU and OS allow it.
public enum InstructionSet: Int, Sendable, CaseIterable, Comparable {
    /// x86-64 as of 2003 (SSE2), no FMA.
    case baseline = 0
    /// x86-64-v3: AVX2, FMA.
    case avx2 = 1
    /// x86-64-v4: AVX-512 F, BW, CD, DQ, VL.
    case avx512 = 2

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// What this CPU and OS support.
    public static let supported: InstructionSet =
        InstructionSet(rawValue: Int(fl_cpu_instruction_set_level())) ?? .baseline

    /// What calls use: the supported set, or a lower one named by the environment variable
    /// `FOCALLOSS_INSTRUCTION_SET` (baseline, avx2, avx512), read once, for benchmarks and
    /// for checking the other builds on one machine. A higher one than supported is ignored.
    public static let selected: InstructionSet = {
        guard let name = getenv("FOCALLOSS_INSTRUCTION_SET").map({ String(cString: $0) }),
              let requested = allCases.first(where: { "\($0)" == name }) else { return supported }
        return min(requested, supported)
    }()

    var kernels: KernelTable {
        switch self {
        case .baseline: return _KernelsBaseline.kernels
        case .avx2: return _KernelsAVX2.kernels
        case .avx512: return _KernelsAVX512.kernels
        }
    }
}

/// The precision tier of a call. `.exact` (the default): every float32 result within 2 ulps
/// (in practice about half an ulp) of the exact value, arithmetic in double. `.fast`: float32
/// arithmetic in the float32 sigmoid's blocks of hard targets and in the float32 softmax's
/// per-element exponentials and gradients, within the fast tier's stated bound
/// (docs/accuracy.md), with every other guarantee of the exact tier (log space, finite for
/// every finite logit and γ ≥ 0, limits at infinite logits, NaN local, bitwise identical for
/// every thread count). float64 calls, soft-target blocks and softmax calls with label
/// smoothing compute as in `.exact` under either tier.
public enum Precision: Int32, Sendable {
    case exact = 0
    case fast = 1
}

/// The storage types of logits, targets, losses and gradients: `Float`, `Double`, `Float16`
/// and `BFloat16`. The exact tier evaluates in `Double` whatever the storage type, the fast tier
/// in `Float` (see `KernelScalar`).
public protocol FocalScalar: BinaryFloatingPoint, Sendable {
    init(_ value: Double)
    var double: Double { get }
    static func sigmoidKernel(_ table: KernelTable, _ precision: Precision) -> SigmoidKernel<Self>
    static func sigmoidTargetCheck(_ table: KernelTable) -> SigmoidTargetCheck<Self>
    static func weightCheck(_ table: KernelTable) -> WeightCheck<Self>
    static func valueSum(_ table: KernelTable) -> ValueSum<Self>
    static func sigmoidLabelsKernel<Label: FocalTarget>(_ table: KernelTable, _ label: Label.Type, _ precision: Precision) -> SigmoidLabelsKernel<Self, Label>
    static func softmaxKernel<Target: FocalTarget>(_ table: KernelTable, _ target: Target.Type, _ precision: Precision) -> SoftmaxKernel<Self, Target>
}

extension Float: FocalScalar {
    @inline(__always) public var double: Double { Double(self) }
    public static func sigmoidKernel(_ table: KernelTable, _ precision: Precision) -> SigmoidKernel<Float> {
        precision == .fast ? table.sigmoidF32Fast : table.sigmoidF32
    }
    public static func sigmoidTargetCheck(_ table: KernelTable) -> SigmoidTargetCheck<Float> { table.sigmoidTargetsF32 }
    public static func weightCheck(_ table: KernelTable) -> WeightCheck<Float> { table.weightsF32 }
    public static func valueSum(_ table: KernelTable) -> ValueSum<Float> { table.sumF32 }
    public static func sigmoidLabelsKernel<Label: FocalTarget>(_ table: KernelTable, _: Label.Type, _ precision: Precision) -> SigmoidLabelsKernel<Float, Label> {
        Label.floatLabelsKernel(table, precision)
    }
    public static func softmaxKernel<Target: FocalTarget>(_ table: KernelTable, _: Target.Type, _ precision: Precision) -> SoftmaxKernel<Float, Target> {
        Target.floatKernel(table, precision)
    }
}

extension Double: FocalScalar {
    @inline(__always) public var double: Double { self }
    /// float64 has one tier: `.fast` runs the exact kernel (its arithmetic is the storage's).
    public static func sigmoidKernel(_ table: KernelTable, _: Precision) -> SigmoidKernel<Double> { table.sigmoidF64 }
    public static func sigmoidTargetCheck(_ table: KernelTable) -> SigmoidTargetCheck<Double> { table.sigmoidTargetsF64 }
    public static func weightCheck(_ table: KernelTable) -> WeightCheck<Double> { table.weightsF64 }
    public static func valueSum(_ table: KernelTable) -> ValueSum<Double> { table.sumF64 }
    public static func sigmoidLabelsKernel<Label: FocalTarget>(_ table: KernelTable, _: Label.Type, _: Precision) -> SigmoidLabelsKernel<Double, Label> {
        Label.doubleLabelsKernel(table)
    }
    public static func softmaxKernel<Target: FocalTarget>(_ table: KernelTable, _: Target.Type, _: Precision) -> SoftmaxKernel<Double, Target> {
        Target.doubleKernel(table)
    }
}

/// The 16-bit storage types, `Float16` and `BFloat16`: the kernels of their `HalfKernels`.
public protocol HalfScalar: FocalScalar {
    static func halfKernels(_ table: KernelTable) -> HalfKernels<Self>
}

extension HalfScalar {
    public static func sigmoidKernel(_ table: KernelTable, _ precision: Precision) -> SigmoidKernel<Self> {
        precision == .fast ? halfKernels(table).sigmoidFast : halfKernels(table).sigmoid
    }
    public static func sigmoidTargetCheck(_ table: KernelTable) -> SigmoidTargetCheck<Self> { halfKernels(table).targets }
    public static func weightCheck(_ table: KernelTable) -> WeightCheck<Self> { halfKernels(table).weights }
    public static func valueSum(_ table: KernelTable) -> ValueSum<Self> { halfKernels(table).sum }
    public static func sigmoidLabelsKernel<Label: FocalTarget>(_ table: KernelTable, _: Label.Type, _ precision: Precision) -> SigmoidLabelsKernel<Self, Label> {
        Label.halfLabelsKernel(halfKernels(table), precision)
    }
    public static func softmaxKernel<Target: FocalTarget>(_ table: KernelTable, _: Target.Type, _ precision: Precision) -> SoftmaxKernel<Self, Target> {
        Target.halfKernel(halfKernels(table), precision)
    }
}

extension Float16: FocalScalar, HalfScalar {
    @inline(__always) public var double: Double { Double(Float(self)) }
    public static func halfKernels(_ table: KernelTable) -> HalfKernels<Float16> { table.f16 }
}

extension BFloat16: FocalScalar, HalfScalar {
    @inline(__always) public var double: Double { Double(float) }
    public static func halfKernels(_ table: KernelTable) -> HalfKernels<BFloat16> { table.bf16 }
}

/// The integer types of softmax targets and sigmoid labels: `Int32` and `Int64`.
public protocol FocalTarget: FixedWidthInteger, Sendable {
    static func floatKernel(_ table: KernelTable, _ precision: Precision) -> SoftmaxKernel<Float, Self>
    static func doubleKernel(_ table: KernelTable) -> SoftmaxKernel<Double, Self>
    static func floatLabelsKernel(_ table: KernelTable, _ precision: Precision) -> SigmoidLabelsKernel<Float, Self>
    static func doubleLabelsKernel(_ table: KernelTable) -> SigmoidLabelsKernel<Double, Self>
    static func halfKernel<T>(_ kernels: HalfKernels<T>, _ precision: Precision) -> SoftmaxKernel<T, Self>
    static func halfLabelsKernel<T>(_ kernels: HalfKernels<T>, _ precision: Precision) -> SigmoidLabelsKernel<T, Self>
}

extension Int32: FocalTarget {
    public static func floatKernel(_ table: KernelTable, _ precision: Precision) -> SoftmaxKernel<Float, Int32> {
        precision == .fast ? table.softmaxF32I32Fast : table.softmaxF32I32
    }
    public static func doubleKernel(_ table: KernelTable) -> SoftmaxKernel<Double, Int32> { table.softmaxF64I32 }
    public static func floatLabelsKernel(_ table: KernelTable, _ precision: Precision) -> SigmoidLabelsKernel<Float, Int32> {
        precision == .fast ? table.sigmoidLabelsF32I32Fast : table.sigmoidLabelsF32I32
    }
    public static func doubleLabelsKernel(_ table: KernelTable) -> SigmoidLabelsKernel<Double, Int32> { table.sigmoidLabelsF64I32 }
    public static func halfKernel<T>(_ k: HalfKernels<T>, _ precision: Precision) -> SoftmaxKernel<T, Int32> {
        precision == .fast ? k.softmaxI32Fast : k.softmaxI32
    }
    public static func halfLabelsKernel<T>(_ k: HalfKernels<T>, _ precision: Precision) -> SigmoidLabelsKernel<T, Int32> {
        precision == .fast ? k.labelsI32Fast : k.labelsI32
    }
}

extension Int64: FocalTarget {
    public static func floatKernel(_ table: KernelTable, _ precision: Precision) -> SoftmaxKernel<Float, Int64> {
        precision == .fast ? table.softmaxF32I64Fast : table.softmaxF32I64
    }
    public static func doubleKernel(_ table: KernelTable) -> SoftmaxKernel<Double, Int64> { table.softmaxF64I64 }
    public static func floatLabelsKernel(_ table: KernelTable, _ precision: Precision) -> SigmoidLabelsKernel<Float, Int64> {
        precision == .fast ? table.sigmoidLabelsF32I64Fast : table.sigmoidLabelsF32I64
    }
    public static func doubleLabelsKernel(_ table: KernelTable) -> SigmoidLabelsKernel<Double, Int64> { table.sigmoidLabelsF64I64 }
    public static func halfKernel<T>(_ k: HalfKernels<T>, _ precision: Precision) -> SoftmaxKernel<T, Int64> {
        precision == .fast ? k.softmaxI64Fast : k.softmaxI64
    }
    public static func halfLabelsKernel<T>(_ k: HalfKernels<T>, _ precision: Precision) -> SigmoidLabelsKernel<T, Int64> {
        precision == .fast ? k.labelsI64Fast : k.labelsI64
    }
}
