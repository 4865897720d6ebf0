// swift-tools-version:6.0
//
// focalloss: the focal loss and its gradient, in Swift, behind a hand-written C header.
//
//   CFocalLoss     include/focalloss.h, the public C header (a header-only C target)
//   FocalLossCore  the math, kernels, reductions and threading; pure Swift, no C pointers
//   focalloss      the C-ABI layer: `@c @implementation` of every function in the header
//
// The shipping build (static Swift runtime, exported-symbol list, --no-undefined) takes its
// flags from the Makefile, never from here: linker flags in the manifest also reach the
// test runner and break `swift test`.
import PackageDescription

let package = Package(
    name: "focalloss",
    products: [
        .library(name: "focalloss", type: .dynamic, targets: ["focalloss"]),
    ],
    targets: [
        .target(name: "CFocalLoss", path: "include", publicHeadersPath: "."),
        .target(name: "FocalLossCore"),
        .target(name: "focalloss", dependencies: ["CFocalLoss", "FocalLossCore"]),
        .testTarget(name: "FocalLossCoreTests", dependencies: ["FocalLossCore"]),
    ]
)
