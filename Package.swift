// swift-tools-version:6.0
//
// focalloss: the focal loss and its gradient, in Swift, behind a hand-written C header.
//
//   CFocalLoss        include/focalloss.h, the public C header (a header-only C target)
//   FocalLossCore     options, validation, reductions, threading and the run-time choice of
//                     kernels; pure Swift, no C pointers
//   _KernelInterface  the plain data the core hands the kernels
//   _KernelsBaseline  the vectorizable math and kernels (FastMath, sigmoid, softmax), compiled
//   _KernelsAVX2      three times from the same files (the AVX2 and AVX-512 folders hold
//   _KernelsAVX512    symlinks to _KernelsBaseline): x86-64 baseline, x86-64-v3, x86-64-v4
//   _CPUFeatures      which of the three the CPU and OS support (cpuid, xgetbv)
//   focalloss         the C-ABI layer: `@c @implementation` of every function in the header
//
// The shipping build (static Swift runtime, exported-symbol list, --no-undefined) takes its
// flags from the Makefile, never from here: linker flags in the manifest also reach the
// test runner and break `swift test`.
import PackageDescription

/// Compiler flags of one kernel build. `-Xcc -march` sets the instruction set Swift code is
/// generated for (TOOLCHAIN.md); FOCAL_FMA makes `mulAdd` a fused multiply-add. The kernels
/// are optimized even in debug builds, so that `swift test` checks the code that ships and
/// the exhaustive FastMath tests run in seconds.
func kernelSettings(march: String?) -> [SwiftSetting] {
    var flags = ["-O"]
    #if arch(x86_64)
    if let march { flags += ["-Xcc", "-march=\(march)", "-Xcc", "-mprefer-vector-width=512"] }
    #endif
    return [.unsafeFlags(flags)] + (march == nil ? [] : [.define("FOCAL_FMA")])
}

let package = Package(
    name: "focalloss",
    products: [
        .library(name: "focalloss", type: .dynamic, targets: ["focalloss"]),
    ],
    targets: [
        .target(name: "CFocalLoss", path: "include", publicHeadersPath: "."),
        .target(name: "_CPUFeatures"),
        .target(name: "_KernelInterface"),
        .target(name: "_KernelsBaseline", dependencies: ["_KernelInterface"],
                swiftSettings: kernelSettings(march: nil)),
        .target(name: "_KernelsAVX2", dependencies: ["_KernelInterface"],
                swiftSettings: kernelSettings(march: "x86-64-v3")),
        .target(name: "_KernelsAVX512", dependencies: ["_KernelInterface"],
                swiftSettings: kernelSettings(march: "x86-64-v4")),
        .target(name: "FocalLossCore",
                dependencies: ["_CPUFeatures", "_KernelInterface", "_KernelsBaseline", "_KernelsAVX2", "_KernelsAVX512"]),
        .target(name: "focalloss", dependencies: ["CFocalLoss", "FocalLossCore"]),
        // Optimized even in debug builds, for FastMathTests' exhaustive float32 sweeps.
        .testTarget(name: "FocalLossCoreTests",
                    dependencies: ["FocalLossCore", "_KernelsBaseline", "_KernelsAVX2", "_KernelsAVX512"],
                    swiftSettings: [.unsafeFlags(["-O"])]),
    ]
)
