import FocalLossCore
import Testing
import _KernelInterface

// float16 and bfloat16 storage: every finite logit of each type against the Float80 reference
// (loss and gradient within 1 ulp of the storage type, hard targets, a γ grid, both tiers), the
// danger points of float16, the softmax against its reference, the labels and weighted paths
// against their float16 dense twins, thread counts, and BFloat16's own conversions.

extension Float16: Storage {
    static func sigmoid(_ x: UnsafeBufferPointer<Float16>, _ t: UnsafeBufferPointer<Float16>, _ g: UnsafeBufferPointer<Float16>?,
                        _ o: SigmoidFocalOptions, _ l: UnsafeMutableBufferPointer<Float16>,
                        _ d: UnsafeMutableBufferPointer<Float16>?) throws(FocalError) {
        try SigmoidFocalLoss.compute(logits: x, targets: t, gradLoss: g, options: o, loss: l, gradLogits: d)
    }
    static func softmax(_ x: UnsafeBufferPointer<Float16>, _ y: UnsafeBufferPointer<Int64>, _ b: Int64, _ c: Int64, _ i: Int64,
                        _ g: UnsafeBufferPointer<Float16>?, _ o: SoftmaxFocalOptions, _ l: UnsafeMutableBufferPointer<Float16>,
                        _ d: UnsafeMutableBufferPointer<Float16>?) throws(FocalError) {
        try SoftmaxFocalLoss.compute(logits: x, targets: y, batch: b, classes: c, inner: i, gradLoss: g, options: o, loss: l, gradLogits: d)
    }
    static func softmax(_ x: UnsafeBufferPointer<Float16>, _ y: UnsafeBufferPointer<Int32>, _ b: Int64, _ c: Int64, _ i: Int64,
                        _ g: UnsafeBufferPointer<Float16>?, _ o: SoftmaxFocalOptions, _ l: UnsafeMutableBufferPointer<Float16>,
                        _ d: UnsafeMutableBufferPointer<Float16>?) throws(FocalError) {
        try SoftmaxFocalLoss.compute(logits: x, targets: y, batch: b, classes: c, inner: i, gradLoss: g, options: o, loss: l, gradLogits: d)
    }
}

extension BFloat16: Storage {
    static func sigmoid(_ x: UnsafeBufferPointer<BFloat16>, _ t: UnsafeBufferPointer<BFloat16>, _ g: UnsafeBufferPointer<BFloat16>?,
                        _ o: SigmoidFocalOptions, _ l: UnsafeMutableBufferPointer<BFloat16>,
                        _ d: UnsafeMutableBufferPointer<BFloat16>?) throws(FocalError) {
        try SigmoidFocalLoss.compute(logits: x, targets: t, gradLoss: g, options: o, loss: l, gradLogits: d)
    }
    static func softmax(_ x: UnsafeBufferPointer<BFloat16>, _ y: UnsafeBufferPointer<Int64>, _ b: Int64, _ c: Int64, _ i: Int64,
                        _ g: UnsafeBufferPointer<BFloat16>?, _ o: SoftmaxFocalOptions, _ l: UnsafeMutableBufferPointer<BFloat16>,
                        _ d: UnsafeMutableBufferPointer<BFloat16>?) throws(FocalError) {
        try SoftmaxFocalLoss.compute(logits: x, targets: y, batch: b, classes: c, inner: i, gradLoss: g, options: o, loss: l, gradLogits: d)
    }
    static func softmax(_ x: UnsafeBufferPointer<BFloat16>, _ y: UnsafeBufferPointer<Int32>, _ b: Int64, _ c: Int64, _ i: Int64,
                        _ g: UnsafeBufferPointer<BFloat16>?, _ o: SoftmaxFocalOptions, _ l: UnsafeMutableBufferPointer<BFloat16>,
                        _ d: UnsafeMutableBufferPointer<BFloat16>?) throws(FocalError) {
        try SoftmaxFocalLoss.compute(logits: x, targets: y, batch: b, classes: c, inner: i, gradLoss: g, options: o, loss: l, gradLogits: d)
    }
}

/// Every finite value of a 16-bit type, as Doubles (exactly).
func everyFinite<T: Storage>(_: T.Type, bits: (UInt16) -> T) -> [Double] {
    (0 ... UInt16.max).compactMap { b in
        let v = bits(b)
        return v.isFinite ? v.double : nil
    }
}

struct HalfPrecisionTests {
    /// The worst ulps of the loss and gradient over every finite logit of T, t = 0 and 1.
    func sweep<T: Storage>(_: T.Type, bits: (UInt16) -> T, gamma: Double, alpha: Double?, precision: Precision) throws -> (loss: Double, grad: Double) {
        let x = everyFinite(T.self, bits: bits)
        var worst = (loss: 0.0, grad: 0.0)
        for target in [0.0, 1.0] {
            var options = SigmoidFocalOptions()
            options.gamma = gamma; options.alpha = alpha; options.precision = precision
            let out = try sigmoid(T.self, logits: x, targets: [Double](repeating: target, count: x.count), options: options)
            for e in x.indices {
                let r = sigmoidReference(x: Wide(x[e]), t: Wide(target), alpha: alpha.map { Wide($0) }, gamma: Wide(gamma))
                let (l, g) = (ulps(out.loss[e], r.loss), ulps(out.grad[e], r.grad))
                if l > worst.loss || g > worst.grad {
                    worst = (max(worst.loss, l), max(worst.grad, g))
                    if l > 1 || g > 1 {
                        Issue.record("\(T.self) x = \(x[e]) t = \(target) γ = \(gamma) α = \(String(describing: alpha)) \(precision): loss \(out.loss[e]) (\(l) ulp), grad \(out.grad[e]) (\(g) ulp)")
                    }
                }
            }
        }
        return worst
    }

    @Test(arguments: [0, 0.5, 2, 5], [Precision.exact, .fast])
    func everyFloat16Logit(gamma: Double, precision: Precision) throws {
        for alpha in [0.25, nil] as [Double?] {
            let worst = try sweep(Float16.self, bits: { Float16(bitPattern: $0) }, gamma: gamma, alpha: alpha, precision: precision)
            #expect(worst.loss <= 1 && worst.grad <= 1, "float16 γ = \(gamma): \(worst)")
            print("every finite float16 logit, γ = \(gamma), α = \(alpha.map { "\($0)" } ?? "off"), \(precision): worst loss \(worst.loss) ulp, gradient \(worst.grad) ulp")
        }
    }

    @Test(arguments: [0, 0.5, 2, 5], [Precision.exact, .fast])
    func everyBFloat16Logit(gamma: Double, precision: Precision) throws {
        for alpha in [0.25, nil] as [Double?] {
            let worst = try sweep(BFloat16.self, bits: { BFloat16(bitPattern: $0) }, gamma: gamma, alpha: alpha, precision: precision)
            #expect(worst.loss <= 1 && worst.grad <= 1, "bfloat16 γ = \(gamma): \(worst)")
            print("every finite bfloat16 logit, γ = \(gamma), α = \(alpha.map { "\($0)" } ?? "off"), \(precision): worst loss \(worst.loss) ulp, gradient \(worst.grad) ulp")
        }
    }

    /// float16's danger points: 1 − σ(x) rounds to 0 in float16 from |x| ≈ 8.32, e^x overflows
    /// from 11.09; the largest finite logit. Losses and gradients finite (where the limit is),
    /// and at the largest logit the exact values rounded.
    @Test func float16DangerPoints() throws {
        let x: [Double] = [8.32, 8.5, 11.09, 11.1, 20, 100, 65504].flatMap { [$0, -$0] }.map { Float16($0).double }
        for gamma in [0, 0.5, 2] {
            for target in [0.0, 1.0] {
                var options = SigmoidFocalOptions()
                options.gamma = gamma
                let out = try sigmoid(Float16.self, logits: x, targets: [Double](repeating: target, count: x.count), options: options)
                for e in x.indices {
                    #expect(out.loss[e].isFinite && out.grad[e].isFinite, "x = \(x[e]) t = \(target) γ = \(gamma)")
                    let r = sigmoidReference(x: Wide(x[e]), t: Wide(target), alpha: 0.25, gamma: Wide(gamma))
                    #expect(ulps(out.loss[e], r.loss) <= 1 && ulps(out.grad[e], r.grad) <= 1, "x = \(x[e]) t = \(target) γ = \(gamma)")
                }
            }
        }
    }

    @Test(arguments: [Precision.exact, .fast])
    func softmaxAgainstReference(precision: Precision) throws {
        try softmaxCheck(Float16.self, precision: precision)
        try softmaxCheck(BFloat16.self, precision: precision)
    }

    func softmaxCheck<T: Storage>(_: T.Type, precision: Precision) throws {
        var rng = SplitMix(seed: 61)
        for (batch, classes, inner) in [(40, 3, 1), (30, 10, 1), (10, 80, 1), (3, 5, 9)] {
            let positions = batch * inner, n = positions * classes
            // Logits the type holds exactly.
            let x = (0 ..< n).map { _ in T(Double.random(in: -12 ... 12, using: &rng)).double }
            let y: [Int] = (0 ..< positions).map { p in p % 7 == 3 ? -100 : Int.random(in: 0 ..< classes, using: &rng) }
            for gamma in [0, 0.5, 2] {
                var options = SoftmaxFocalOptions()
                options.gamma = gamma; options.reduction = .none; options.precision = precision
                let out = try softmax(T.self, logits: x, targets: y, batch: batch, classes: classes, inner: inner, options: options)
                for p in 0 ..< positions {
                    let (b, i) = (p / inner, p % inner)
                    guard y[p] >= 0 else { continue }
                    let row = (0 ..< classes).map { c in Wide(x[(b * classes + c) * inner + i]) }
                    let a = (0 ..< classes).map { c in Wide(c == y[p] ? 1 : 0) }
                    let r = softmaxRowReference(row, weights: a, gamma: Wide(gamma))
                    let context = "\(T.self) C=\(classes) inner=\(inner) p=\(p) γ=\(gamma) \(precision)"
                    #expect(ulps(out.loss[p], r.loss) <= 1, "\(context)")
                    for c in 0 ..< classes {
                        #expect(ulps(out.grad[(b * classes + c) * inner + i], r.grad[c]) <= 1, "\(context) c=\(c)")
                    }
                }
            }
        }
    }

    /// The labels and weighted paths in float16 against the dense float16 call (bit for bit),
    /// and every family on 1 and 2 threads.
    @Test(arguments: [Precision.exact, .fast])
    func labelsWeightsAndThreads(precision: Precision) throws {
        var rng = SplitMix(seed: 62)
        let (batch, classes) = (2100, 40)
        let n = batch * classes
        let x = (0 ..< n).map { _ in Float16(Double.random(in: -12 ... 12, using: &rng)) }
        let labels: [Int64] = (0 ..< batch).map { p in Int64(Int.random(in: 0 ... classes, using: &rng)) }
        let t = (0 ..< n).map { e in labels[e / classes] == Int64(e % classes) ? Float16(1) : 0 }
        for reduction in Reduction.allCases {
            var results: [[[Float16]]] = []
            for threads in [1, 2] {
                var options = SigmoidFocalOptions()
                options.reduction = reduction; options.precision = precision; options.threads = threads
                let dense = try sigmoid(Float16.self, logits: x.map { $0.double }, targets: t.map { $0.double }, options: options)
                let fromLabels = try labelsWeighted(x, labels, nil, .perElement, (batch, classes, 1), options: options)
                let ones = try labelsWeighted(x, labels, [Float16](repeating: 1, count: batch), .perPosition,
                                              (batch, classes, 1), options: options)
                #expect(sameArrays(dense.loss, fromLabels.loss) && sameArrays(dense.grad, fromLabels.grad), "\(reduction)")
                #expect(sameArrays(ones.loss, fromLabels.loss) && sameArrays(ones.grad, fromLabels.grad), "\(reduction)")
                var softmaxOptions = SoftmaxFocalOptions()
                softmaxOptions.reduction = reduction; softmaxOptions.precision = precision; softmaxOptions.threads = threads
                let y = labels.map { $0 == Int64(classes) ? 0 : $0 }
                let s = try softmaxWeighted(x, y, [Float16](repeating: 1, count: batch), (batch, classes, 1), options: softmaxOptions)
                let plain = try softmax(Float16.self, logits: x.map { $0.double }, targets: y.map { Int($0) }, batch: batch,
                                        classes: classes, options: softmaxOptions)
                #expect(sameArrays(s.loss, plain.loss) && sameArrays(s.grad, plain.grad), "\(reduction)")
                results.append([dense.loss, dense.grad, s.loss, s.grad])
            }
            for (a, b) in zip(results[0], results[1]) { #expect(sameArrays(a, b), "threads \(reduction)") }
        }
    }

    /// BFloat16's conversions: every finite pattern round-trips through Float and Double; values
    /// at and beside every halfway point round to nearest even from Double (through Float
    /// rounded to odd); Float16 from Double through Float rounded to odd (the kernels' store)
    /// likewise.
    @Test func conversions() {
        var bad = 0
        for b in UInt16(0) ..< 0x7F80 {
            let v = BFloat16(bitPattern: b)
            if BFloat16(v.float).bitPattern != b || BFloat16(v.double).bitPattern != b { bad += 1 }
            let lo = v.double, hi = BFloat16(bitPattern: b + 1).double
            guard hi.isFinite else { continue }
            let mid = (lo + hi) / 2
            let even: UInt16 = b & 1 == 0 ? b : b + 1
            for (d, expected) in [(mid, even), (mid.nextUp, b + 1), (mid.nextDown, b)] {
                if BFloat16(d).bitPattern != expected || BFloat16(-d).bitPattern != expected | 0x8000 { bad += 1 }
            }
        }
        for b in UInt16(0) ..< 0x7BFF {
            let lo = Float16(bitPattern: b).double, hi = Float16(bitPattern: b + 1).double
            let mid = (lo + hi) / 2
            let even: UInt16 = b & 1 == 0 ? b : b + 1
            for (d, expected) in [(mid, even), (mid.nextUp, b + 1), (mid.nextDown, b), (lo, b)] {
                if Float16(Float(roundingToOdd: d)).bitPattern != expected { bad += 1 }
            }
        }
        #expect(bad == 0)
        #expect(BFloat16(Double.nan).isNaN && BFloat16(Float.infinity) == .infinity && BFloat16(1e39).isInfinite)
    }
}
