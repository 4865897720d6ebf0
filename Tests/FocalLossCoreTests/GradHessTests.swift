import FocalLossCore
import Glibc
import Testing
import _KernelInterface

// The gradient-and-Hessian calls and the starting margins (gradient boosting): the gradient bit
// for bit against the loss calls' own gradient; the Hessian against Richardson-extrapolated
// finite differences of the Float80 reference gradient (Reference.swift), and against the
// closed forms of the limits (γ = 0, α disabled: logistic and softmax cross-entropy); the three
// modes against each other; weights; thread counts; the margins against their defining
// property and the γ = 0 closed forms. (Tests/golden/grad_hess.json, from mpmath, is checked by
// GradHessGoldenTests.)

struct GradHessRun<T> {
    var grad: [T]
    var hess: [T]
}

func sigmoidGradHess<T: GradHessScalar>(
    _ x: [T], _ t: [T], _ w: [T]? = nil, layout: WeightsLayout = .perElement, shape: (Int, Int, Int)? = nil,
    options: SigmoidFocalOptions = SigmoidFocalOptions(), mode: HessianMode = .exact
) throws(FocalError) -> GradHessRun<T> {
    let (b, c, i) = shape ?? (x.count, 1, 1)
    var run = GradHessRun(grad: [T](repeating: T(-7), count: x.count), hess: [T](repeating: T(-7), count: x.count))
    let result: Result<Void, FocalError> = x.withUnsafeBufferPointer { xb in
        t.withUnsafeBufferPointer { tb in
            withOptionalBuffer(w) { wb in
                run.grad.withUnsafeMutableBufferPointer { gb in
                    run.hess.withUnsafeMutableBufferPointer { hb in
                        Result { () throws(FocalError) in
                            try FocalGradHess.sigmoid(logits: xb, targets: tb, weights: wb, layout: layout, batch: Int64(b),
                                                      classes: Int64(c), inner: Int64(i), options: options, mode: mode,
                                                      gradient: gb, hessian: hb)
                        }
                    }
                }
            }
        }
    }
    try result.get()
    return run
}

func softmaxGradHess<T: GradHessScalar>(
    _ x: [T], _ y: [Int64], _ w: [T]? = nil, shape: (Int, Int, Int), alpha: [Double]? = nil,
    options: SoftmaxFocalOptions = SoftmaxFocalOptions(), mode: HessianMode = .exact, int32: Bool = false
) throws(FocalError) -> GradHessRun<T> {
    var run = GradHessRun(grad: [T](repeating: T(-7), count: x.count), hess: [T](repeating: T(-7), count: x.count))
    let y32 = y.map { Int32(truncatingIfNeeded: $0) }
    let result: Result<Void, FocalError> = withOptionalBuffer(alpha) { ab in
        var opts = options
        opts.alpha = ab
        return x.withUnsafeBufferPointer { xb in
            withOptionalBuffer(w) { wb in
                run.grad.withUnsafeMutableBufferPointer { gb in
                    run.hess.withUnsafeMutableBufferPointer { hb in
                        Result { () throws(FocalError) in
                            let (b, c, i) = (Int64(shape.0), Int64(shape.1), Int64(shape.2))
                            if int32 {
                                try y32.withUnsafeBufferPointer { (yb) throws(FocalError) in
                                    try FocalGradHess.softmax(logits: xb, targets: yb, weights: wb, batch: b, classes: c, inner: i,
                                                              options: opts, mode: mode, gradient: gb, hessian: hb)
                                }
                            } else {
                                try y.withUnsafeBufferPointer { (yb) throws(FocalError) in
                                    try FocalGradHess.softmax(logits: xb, targets: yb, weights: wb, batch: b, classes: c, inner: i,
                                                              options: opts, mode: mode, gradient: gb, hessian: hb)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    try result.get()
    return run
}

/// Bitwise equality, NaN payloads aside.
func sameBits<T: BinaryFloatingPoint>(_ a: [T], _ b: [T]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0 == $1 ? ($0 != 0 || $0.sign == $1.sign) : ($0.isNaN && $1.isNaN) }
}

/// The logits every sigmoid test sweeps: both signs, the saturation and underflow ranges.
let gradHessLogits: [Double] = [0, 1e-8, 0.1, 1, 2.8, 5, 10, 17, 30, 100, 745, 1000, 1e4].flatMap { (v: Double) -> [Double] in [v, -v] }

/// ∂²ℓ/∂x² by Richardson extrapolation of central differences of the Float80 reference
/// gradient (error ~h⁴ and ~2^−64·|g|/h), with its scale: the largest |∂ℓ/∂x| nearby over h.
func sigmoidHessianReference(x: Double, t: Double, alpha: Double?, gamma: Double) -> (value: Wide, scale: Wide) {
    let a = alpha.map { Wide($0) }
    func g(_ v: Wide) -> Wide { sigmoidReference(x: v, t: Wide(t), alpha: a, gamma: Wide(gamma)).grad }
    let h = Wide(1e-3)
    let xw = Wide(x)
    let d1 = (g(xw + h) - g(xw - h)) / (2 * h)
    let d2 = (g(xw + h / 2) - g(xw - h / 2)) / h
    let value = (4 * d2 - d1) / 3
    return (value, abs(g(xw)) + abs(value))
}

@Suite("Gradient and Hessian")
struct GradHessTests {
    @Test("The sigmoid gradient is the weighted loss call's gradient, bit for bit, in every tier")
    func sigmoidGradientBits() throws {
        var rng = SplitMix(seed: 12)
        // 3 blocks of hard targets, a block with soft targets, infinite and NaN logits.
        let n = 1000
        var x = (0 ..< n).map { _ in Double.random(in: -30 ... 30, using: &rng) }
        x[5] = .infinity; x[6] = -.infinity; x[700] = .nan; x[701] = -.infinity
        let t: [Double] = (0 ..< n).map { (k: Int) -> Double in
            let soft = k >= 600 && k < 900 && k % 3 == 0
            return soft ? Double(k % 7) / 7 : Double(k % 2)
        }
        let w: [Double] = randomWeights(n, &rng)
        let wPosition: [Double] = randomWeights(n / 4, &rng)
        for gamma in [0.0, 0.5, 1, 2, 3, 5] {
            for alpha in [0.25, nil] as [Double?] {
                for precision in [Precision.exact, .fast] {
                    var options = SigmoidFocalOptions()
                    options.alpha = alpha; options.gamma = gamma; options.precision = precision
                    for (weights, layout, shape) in [(nil, WeightsLayout.perElement, (n, 1, 1)), (w, .perElement, (n, 1, 1)),
                                                     (wPosition, .perPosition, (n / 4, 4, 1)), (wPosition, .perPosition, (1, 4, n / 4))] {
                        let f = try sigmoidGradHess(x.map { Float($0) }, t.map { Float($0) }, weights?.map { Float($0) },
                                                    layout: layout, shape: shape, options: options)
                        let d = try sigmoidGradHess(x, t, weights, layout: layout, shape: shape, options: options)
                        let lf = try sigmoidWeighted(x.map { Float($0) }, t.map { Float($0) }, weights?.map { Float($0) }, layout,
                                                     shape, options: options, stats: false)
                        let ld = try sigmoidWeighted(x, t, weights, layout, shape, options: options, stats: false)
                        #expect(sameBits(f.grad, lf.grad), "float32 gamma \(gamma) alpha \(String(describing: alpha)) \(precision)")
                        #expect(sameBits(d.grad, ld.grad), "float64 gamma \(gamma) alpha \(String(describing: alpha))")
                    }
                }
            }
        }
    }

    @Test("The softmax gradient is the weighted loss call's exact-tier gradient, bit for bit")
    func softmaxGradientBits() throws {
        var rng = SplitMix(seed: 13)
        for classes in [1, 2, 3, 7, 8, 10, 15, 16, 80, 300] {
            for inner in [1, 3] {
                let batch = 9
                let n = batch * classes * inner
                var x = (0 ..< n).map { _ in Double.random(in: -20 ... 20, using: &rng) }
                if n > 10 { x[4] = -.infinity; x[n - 2] = .nan }
                let y: [Int64] = (0 ..< batch * inner).map { k in k == 3 ? -100 : Int64(k % classes) }
                let w: [Double] = randomWeights(batch * inner, &rng)
                let alpha = (0 ..< classes).map { Double($0 % 3) / 2 + 0.25 }
                for gamma in [0.0, 0.5, 2, 3.5] {
                    for (weights, a) in [(nil, nil), (w, alpha)] as [([Double]?, [Double]?)] {
                        var options = SoftmaxFocalOptions()
                        options.gamma = gamma; options.reduction = .none
                        for int32 in [false, true] {
                            let f = try softmaxGradHess(x.map { Float($0) }, y, weights?.map { Float($0) },
                                                        shape: (batch, classes, inner), alpha: a, options: options, int32: int32)
                            let lf = try softmaxWeighted(x.map { Float($0) }, y, weights?.map { Float($0) }, (batch, classes, inner),
                                                         alpha: a, options: options)
                            #expect(sameBits(f.grad, lf.grad), "float32 C \(classes) inner \(inner) gamma \(gamma)")
                        }
                        let d = try softmaxGradHess(x, y, weights, shape: (batch, classes, inner), alpha: a, options: options)
                        let ld = try softmaxWeighted(x, y, weights, (batch, classes, inner), alpha: a, options: options)
                        #expect(sameBits(d.grad, ld.grad), "float64 C \(classes) inner \(inner) gamma \(gamma)")
                    }
                }
            }
        }
    }

    /// Rows of few classes go by groups of rows transposed into tiles, rows of 16 classes and more
    /// one at a time, class-major positions by tiles (keeping their e^{d_c} up to C = 512,
    /// recomputing them beyond): shapes across several groups, with a partial last one, a −∞
    /// class, a NaN row, a +∞ row, a tie for the maximum, ignored targets and weights of 0.
    @Test("Softmax by groups of positions: the loss call's gradient bits, and the Hessian, in every layout",
          arguments: [[150, 1, 1], [150, 2, 1], [150, 3, 1], [150, 7, 1], [150, 8, 1], [150, 9, 1], [150, 15, 1], [150, 16, 1],
                      [2, 1, 150], [2, 3, 150], [1, 10, 131], [2, 100, 70], [1, 600, 70], [1, 2000, 5]])
    func softmaxGroups(shape: [Int]) throws {
        let (batch, classes, inner) = (shape[0], shape[1], shape[2])
        var rng = SplitMix(seed: UInt64(classes * 1000 + inner))
        let n = batch * classes * inner, positions = batch * inner
        func index(_ p: Int, _ c: Int) -> Int { (p / inner) * classes * inner + c * inner + p % inner }
        var x = (0 ..< n).map { _ in Double.random(in: -15 ... 15, using: &rng) }
        x[index(min(5, positions - 1), classes - 1)] = -.infinity
        let (nanRow, infinityRow, tie) = (70, positions - 1, 64)
        if positions > 70 {
            x[index(nanRow, 0)] = .nan
            x[index(infinityRow, classes / 2)] = .infinity
            if classes > 1 { x[index(tie, 1)] = x[index(tie, 0)] }
        }
        let y: [Int64] = (0 ..< positions).map { p in p % 13 == 4 ? -100 : Int64((p * 7) % classes) }
        let w: [Double] = randomWeights(positions, &rng)
        let alpha = (0 ..< classes).map { Double($0 % 3) / 2 + 0.25 }
        let label = "(\(batch), \(classes), \(inner))"
        for gamma in [0.0, 0.5, 2, 3.5] {
            for (weights, a) in [(nil, nil), (w, alpha)] as [([Double]?, [Double]?)] {
                var options = SoftmaxFocalOptions()
                options.gamma = gamma; options.reduction = .none
                let x32 = x.map { Float($0) }
                let f = try softmaxGradHess(x32, y, weights?.map { Float($0) }, shape: (batch, classes, inner), alpha: a, options: options)
                let lf = try softmaxWeighted(x32, y, weights?.map { Float($0) }, (batch, classes, inner), alpha: a, options: options)
                #expect(sameBits(f.grad, lf.grad), "float32 \(label) gamma \(gamma)")
                let d = try softmaxGradHess(x, y, weights, shape: (batch, classes, inner), alpha: a, options: options)
                let ld = try softmaxWeighted(x, y, weights, (batch, classes, inner), alpha: a, options: options)
                #expect(sameBits(d.grad, ld.grad), "float64 \(label) gamma \(gamma)")
                // The float32 Hessian against the float64 call's on the same (rounded) logits.
                let d32 = try softmaxGradHess(x32.map { Double($0) }, y, weights?.map { Double(Float($0)) },
                                              shape: (batch, classes, inner), alpha: a, options: options)
                for k in 0 ..< n where !(abs(Double(f.hess[k]) - d32.hess[k]) <= 1e-6 * (abs(d32.hess[k]) + abs(d32.grad[k])) + 1e-37) {
                    #expect(Double(f.hess[k]).isNaN && d32.hess[k].isNaN, "float32 \(label) gamma \(gamma) element \(k): \(f.hess[k]) vs \(d32.hess[k])")
                }
                // float64 against finite differences of the reference gradient (some classes and
                // positions where rows are long: the reference costs C² per evaluation).
                for p in 0 ..< (classes > 100 ? 2 : positions) {
                    let row = (0 ..< classes).map { Wide(x[index(p, $0)]) }
                    let h = (0 ..< classes).map { d.hess[index(p, $0)] }
                    let weight = weights?[p] ?? 1
                    if y[p] == -100 || weight == 0 {
                        #expect(h.allSatisfy { $0 == 0 }, "\(label) ignored position \(p)")
                        continue
                    }
                    if row.contains(where: { $0.isNaN || $0 == .infinity }) || row.allSatisfy({ $0 == -.infinity }) {
                        #expect(h.allSatisfy { $0.isNaN }, "\(label) position \(p) without a value")
                        continue
                    }
                    let target = Int(y[p])
                    let weightsY = (0 ..< classes).map { c in c == target ? Wide(a?[c] ?? 1) : 0 }
                    for c in classes > 16 ? [0, target, (target + 1) % classes] : Array(0 ..< classes) where row[c].isFinite {
                        func g(_ v: Wide) -> Wide {
                            var r = row
                            r[c] = v
                            return softmaxRowReference(r, weights: weightsY, gamma: Wide(gamma)).grad[c]
                        }
                        let step = Wide(1e-3)
                        let d1 = (g(row[c] + step) - g(row[c] - step)) / (2 * step)
                        let d2 = (g(row[c] + step / 2) - g(row[c] - step / 2)) / step
                        let reference = Wide(weight) * (4 * d2 - d1) / 3
                        let error = relative(h[c], reference, scale: abs(reference) + Wide(weight) * abs(g(row[c])))
                        #expect(error < 1e-8, "\(label) gamma \(gamma) position \(p) class \(c): \(h[c]) vs \(reference)")
                    }
                }
                guard weights == nil else { continue }
                // The modes: the same gradient; clipped is the exact value floored, the approximation ≥ 0.
                let clipped = try softmaxGradHess(x, y, shape: (batch, classes, inner), alpha: a, options: options, mode: .clipped)
                let approximate = try softmaxGradHess(x, y, shape: (batch, classes, inner), alpha: a, options: options, mode: .approximate)
                #expect(sameBits(clipped.grad, d.grad) && sameBits(approximate.grad, d.grad), "\(label) gamma \(gamma)")
                for k in 0 ..< n {
                    let floored = d.hess[k].isNaN || d.hess[k] == 0 && clipped.hess[k] == 0 ? d.hess[k] : max(d.hess[k], HessianMode.floor)
                    #expect(sameBits([clipped.hess[k]], [floored]), "\(label) clipped element \(k)")
                    #expect(approximate.hess[k].isNaN == d.hess[k].isNaN && !(approximate.hess[k] < 0), "\(label) approximate element \(k)")
                }
                // Either output alone: the same bits as both together.
                var gradientOnly = [Double](repeating: -7, count: n), hessianOnly = [Double](repeating: -7, count: n)
                try x.withUnsafeBufferPointer { xb in
                    try y.withUnsafeBufferPointer { yb in
                        try gradientOnly.withUnsafeMutableBufferPointer { gb in
                            try FocalGradHess.softmax(logits: xb, targets: yb, weights: nil, batch: Int64(batch), classes: Int64(classes),
                                                      inner: Int64(inner), options: options, mode: .exact, gradient: gb, hessian: nil)
                        }
                        try hessianOnly.withUnsafeMutableBufferPointer { hb in
                            try FocalGradHess.softmax(logits: xb, targets: yb, weights: nil, batch: Int64(batch), classes: Int64(classes),
                                                      inner: Int64(inner), options: options, mode: .exact, gradient: nil, hessian: hb)
                        }
                    }
                }
                #expect(sameBits(gradientOnly, d.grad) && sameBits(hessianOnly, d.hess), "\(label) gamma \(gamma) one output")
            }
        }
    }

    @Test("The sigmoid Hessian against finite differences of the reference gradient",
          arguments: [0.0, 0.5, 1, 2, 5])
    func sigmoidHessian(gamma: Double) throws {
        var worst = 0.0, worst32 = 0.0, worstFast = 0.0
        let targets = [0.0, 1, 0.3, 0.5, 0.9]
        for alpha in [0.25, nil] as [Double?] {
            var options = SigmoidFocalOptions()
            options.alpha = alpha; options.gamma = gamma
            let x: [Double] = gradHessLogits.flatMap { (v: Double) -> [Double] in targets.map { _ in v } }
            let t: [Double] = gradHessLogits.flatMap { (_: Double) -> [Double] in targets }
            let d = try sigmoidGradHess(x, t, options: options)
            let f = try sigmoidGradHess(x.map { Float($0) }, t.map { Float($0) }, options: options)
            var fastOptions = options
            fastOptions.precision = .fast
            let fast = try sigmoidGradHess(x.map { Float($0) }, t.map { Float($0) }, options: fastOptions)
            for k in x.indices {
                // Float logits are the rounded ones: compare each against its own reference.
                let reference = sigmoidHessianReference(x: x[k], t: t[k], alpha: alpha, gamma: gamma)
                let error = relative(d.hess[k], reference.value, scale: reference.scale)
                #expect(error < 1e-9, "x \(x[k]) t \(t[k]) gamma \(gamma): \(d.hess[k]) vs \(reference.value)")
                worst = max(worst, error)
                let r32 = sigmoidHessianReference(x: Double(Float(x[k])), t: Double(Float(t[k])), alpha: alpha, gamma: gamma)
                let scale32 = max(r32.scale, Wide(Float.leastNormalMagnitude) * 64)
                let e32 = relative(Double(f.hess[k]), r32.value, scale: scale32) / Double(Float.ulpOfOne)
                let eFast = relative(Double(fast.hess[k]), r32.value, scale: scale32) / Double(Float.ulpOfOne)
                #expect(e32 < 4, "float32 x \(x[k]) t \(t[k]) gamma \(gamma): \(f.hess[k]) vs \(r32.value)")
                #expect(eFast < 32, "fast x \(x[k]) t \(t[k]) gamma \(gamma): \(fast.hess[k]) vs \(r32.value)")
                worst32 = max(worst32, e32)
                worstFast = max(worstFast, eFast)
            }
        }
        print("sigmoid Hessian gamma \(gamma): float64 \(worst) of the scale; float32 \(worst32), fast \(worstFast) ulps of the scale")
    }

    @Test("The softmax diagonal Hessian against finite differences of the reference gradient",
          arguments: [0.0, 0.5, 1, 2, 5])
    func softmaxHessian(gamma: Double) throws {
        var rng = SplitMix(seed: 14)
        var worst = 0.0
        for classes in [2, 3, 5, 10] {
            for scale in [1.0, 10, 100] {
                let batch = 6
                var x = (0 ..< batch * classes).map { _ in Double.random(in: -scale ... scale, using: &rng) }
                let y: [Int64] = (0 ..< batch).map { Int64($0 % classes) }
                // A confident target (p_y → 1) and a confidently wrong one.
                x[0 * classes + 0] = scale * 3
                x[1 * classes + 1] = -scale * 3
                for alpha in [nil, (0 ..< classes).map { 0.5 + Double($0) / 4 }] as [[Double]?] {
                    var options = SoftmaxFocalOptions()
                    options.gamma = gamma
                    let run = try softmaxGradHess(x, y, shape: (batch, classes, 1), alpha: alpha, options: options)
                    for n in 0 ..< batch {
                        let row = (0 ..< classes).map { Wide(x[n * classes + $0]) }
                        let a = (0 ..< classes).map { c in c == Int(y[n]) ? Wide(alpha?[c] ?? 1) : 0 }
                        for c in 0 ..< classes {
                            func g(_ v: Wide) -> Wide {
                                var r = row
                                r[c] = v
                                return softmaxRowReference(r, weights: a, gamma: Wide(gamma)).grad[c]
                            }
                            let h = Wide(1e-3)
                            let d1 = (g(row[c] + h) - g(row[c] - h)) / (2 * h)
                            let d2 = (g(row[c] + h / 2) - g(row[c] - h / 2)) / h
                            let reference = (4 * d2 - d1) / 3
                            let error = relative(run.hess[n * classes + c], reference, scale: abs(reference) + abs(g(row[c])))
                            #expect(error < 1e-8, "C \(classes) row \(n) class \(c): \(run.hess[n * classes + c]) vs \(reference)")
                            worst = max(worst, error)
                        }
                    }
                }
            }
        }
        print("softmax Hessian gamma \(gamma): float64 \(worst) of the scale")
    }

    @Test("gamma = 0 without alpha: logistic and softmax cross-entropy's gradient and Hessian")
    func crossEntropyLimit() throws {
        var options = SigmoidFocalOptions()
        options.alpha = nil; options.gamma = 0
        let x: [Double] = gradHessLogits.flatMap { (v: Double) -> [Double] in [v, v] }
        let t: [Double] = gradHessLogits.flatMap { (_: Double) -> [Double] in [0, 1] }
        // The exact Hessian is the approximation's value to the bit at γ = 0.
        let exactRun = try sigmoidGradHess(x, t, options: options, mode: .exact)
        #expect(sameBits(exactRun.hess, try sigmoidGradHess(x, t, options: options, mode: .approximate).hess))
        for mode in HessianMode.allCases {
            let run = try sigmoidGradHess(x, t, options: options, mode: mode)
            for k in x.indices {
                let p = 1 / (1 + exp(-Wide(x[k])))
                let q = 1 / (1 + exp(Wide(x[k])))
                // A few roundings of exp and of the products: within 4 ulps of the closed form.
                #expect(ulps(run.grad[k], t[k] == 1 ? -q : p) <= 4, "gradient x \(x[k]) t \(t[k])")
                let h = mode == .clipped ? max(p * q, Wide(HessianMode.floor)) : p * q
                #expect(ulps(run.hess[k], h) <= 4, "Hessian \(mode) x \(x[k]): \(run.hess[k]) vs \(h)")
            }
        }
        var softmaxOptions = SoftmaxFocalOptions()
        softmaxOptions.gamma = 0
        // (Moderate spreads: for float64 logits x_c − max is itself rounded, which moves a tiny
        // p_c by up to |x_c − max|·2^-53 relative, in the loss call's gradient as here.)
        let logits = [2.0, -1, 0.5, 30, -30, 0, 1e-3, 1e-3, 7]
        let alpha = [0.5, 2, 1.5]
        for mode in [HessianMode.exact, .approximate] {
            let run = try softmaxGradHess(logits, [0, 2, 1], shape: (3, 3, 1), alpha: alpha, options: softmaxOptions, mode: mode)
            for n in 0 ..< 3 {
                let row = logits[(n * 3) ..< (n * 3 + 3)].map { Wide($0) }
                let top = row.max()!
                let z = row.reduce(Wide(0)) { $0 + exp($1 - top) }
                let y = [0, 2, 1][n]
                for c in 0 ..< 3 {
                    let p = exp(row[c] - top) / z
                    let others = (0 ..< 3).filter { $0 != c }.reduce(Wide(0)) { $0 + exp(row[$1] - top) / z }
                    let a = Wide(alpha[y])
                    #expect(ulps(run.grad[n * 3 + c], a * (c == y ? -others : p)) <= 4, "softmax gradient row \(n) class \(c)")
                    #expect(ulps(run.hess[n * 3 + c], a * p * others) <= 8, "softmax Hessian row \(n) class \(c)")
                }
            }
        }
    }

    @Test("The three modes: clipped is the exact value floored, the approximation is >= 0")
    func modes() throws {
        for gamma in [0.5, 2, 5] {
            var options = SigmoidFocalOptions()
            options.gamma = gamma
            let x: [Double] = gradHessLogits.flatMap { (v: Double) -> [Double] in [v, v, v] }
            let t: [Double] = gradHessLogits.flatMap { (_: Double) -> [Double] in [0, 1, 0.3] }
            let exact = try sigmoidGradHess(x, t, options: options, mode: .exact)
            let clipped = try sigmoidGradHess(x, t, options: options, mode: .clipped)
            let approximate = try sigmoidGradHess(x, t, options: options, mode: .approximate)
            #expect(sameBits(exact.grad, clipped.grad) && sameBits(exact.grad, approximate.grad))
            for k in x.indices {
                #expect(clipped.hess[k] == max(exact.hess[k], HessianMode.floor))
                #expect(approximate.hess[k] >= 0)
            }
            // Negative exact Hessians exist: t = 1 below x = −2.8 at γ = 2 (the loss is concave there).
            #expect(exact.hess.contains { $0 < 0 })
            if gamma == 2 {
                let near = try sigmoidGradHess([-2.7, -2.9], [1.0, 1], options: options)
                #expect(near.hess[0] > 0 && near.hess[1] < 0)
            }
            var softmaxOptions = SoftmaxFocalOptions()
            softmaxOptions.gamma = gamma
            let logits = [3.0, -2, 0.5, -4, 3, 1, 0, 0, 0]
            let se = try softmaxGradHess(logits, [0, 0, 2], shape: (3, 3, 1), options: softmaxOptions, mode: .exact)
            let sc = try softmaxGradHess(logits, [0, 0, 2], shape: (3, 3, 1), options: softmaxOptions, mode: .clipped)
            let sa = try softmaxGradHess(logits, [0, 0, 2], shape: (3, 3, 1), options: softmaxOptions, mode: .approximate)
            for k in logits.indices {
                #expect(sc.hess[k] == max(se.hess[k], HessianMode.floor))
                #expect(sa.hess[k] >= 0)
            }
        }
    }

    @Test("Weights multiply both outputs; a weight of 0 gives 0 even for NaN and infinite logits")
    func weights() throws {
        let x = [1.0, -3, .nan, .infinity, 2, -.infinity]
        let t = [1.0, 1, 0, 0, 0.25, 1]
        let w = [2.0, 0.5, 0, 0, 3, 0]
        for mode in HessianMode.allCases {
            let plain = try sigmoidGradHess(x, t, mode: mode)
            let weighted = try sigmoidGradHess(x, t, w, mode: mode)
            for k in x.indices {
                #expect(weighted.grad[k] == (w[k] == 0 ? 0 : plain.grad[k] * w[k]))
                #expect(weighted.hess[k] == (w[k] == 0 ? 0 : plain.hess[k] * w[k]))
            }
        }
        let logits = [1.0, 2, 3, .nan, 0, 1, 4, 4, 4]
        let plain = try softmaxGradHess(logits, [0, 1, -100], shape: (3, 3, 1))
        let weighted = try softmaxGradHess(logits, [0, 1, 2], [2, 0, 0], shape: (3, 3, 1))
        #expect(weighted.grad[0 ..< 3].elementsEqual(plain.grad[0 ..< 3].map { $0 * 2 }))
        #expect(weighted.hess[0 ..< 3].elementsEqual(plain.hess[0 ..< 3].map { $0 * 2 }))
        #expect(weighted.grad[3...].allSatisfy { $0 == 0 } && weighted.hess[3...].allSatisfy { $0 == 0 })
        #expect(plain.grad[3 ..< 6].allSatisfy { $0.isNaN } && plain.hess[6...].allSatisfy { $0 == 0 })
    }

    @Test("Infinite logits give finite limits; every finite logit gives a finite result")
    func finite() throws {
        for gamma in [0.0, 0.25, 0.5, 1, 2, 5, 60] {
            var options = SigmoidFocalOptions()
            options.gamma = gamma
            let x: [Double] = (gradHessLogits + [.infinity, -.infinity, 3e38, -3e38]).flatMap { (v: Double) -> [Double] in [v, v, v] }
            let t: [Double] = (gradHessLogits + [0, 0, 0, 0]).flatMap { (_: Double) -> [Double] in [0, 1, 0.75] }
            for mode in HessianMode.allCases {
                let run = try sigmoidGradHess(x, t, options: options, mode: mode)
                #expect(run.grad.allSatisfy { $0.isFinite } && run.hess.allSatisfy { $0.isFinite }, "gamma \(gamma) \(mode)")
                let f = try sigmoidGradHess(x.map { Float($0) }, t.map { Float($0) }, options: options, mode: mode)
                #expect(f.grad.allSatisfy { $0.isFinite } && f.hess.allSatisfy { $0.isFinite }, "float32 gamma \(gamma) \(mode)")
            }
            var softmaxOptions = SoftmaxFocalOptions()
            softmaxOptions.gamma = gamma
            // The last rows: 1 − p_y subnormal (a gap of 709 to 745), where 1 / (1 − p_y) overflows.
            let logits: [Double] = [1e4, -1e4, 0, -.infinity, 5, 4, -1e300, 1e300, 0, 0, -740, -800, 0, -710, -720]
            for mode in HessianMode.allCases {
                let run = try softmaxGradHess(logits, [1, 0, 2, 0, 0], shape: (5, 3, 1), options: softmaxOptions, mode: mode)
                #expect(run.grad.allSatisfy { $0.isFinite } && run.hess.allSatisfy { $0.isFinite }, "softmax gamma \(gamma) \(mode): \(run.hess)")
                // (float32: ±1e300 would be ±∞, a row without a value; ±1e30 instead.)
                let f = try softmaxGradHess(logits.map { Float(abs($0) == 1e300 ? $0 * 1e-270 : $0) }, [1, 0, 2, 0, 0],
                                            shape: (5, 3, 1), options: softmaxOptions, mode: mode)
                #expect(f.grad.allSatisfy { $0.isFinite } && f.hess.allSatisfy { $0.isFinite }, "float32 softmax gamma \(gamma) \(mode)")
                let transposed = (0 ..< 3).flatMap { c in (0 ..< 5).map { n in logits[n * 3 + c] } }
                let column = try softmaxGradHess(transposed, [1, 0, 2, 0, 0], shape: (1, 3, 5), options: softmaxOptions, mode: mode)
                #expect(column.hess.allSatisfy { $0.isFinite }, "class-major softmax gamma \(gamma) \(mode): \(column.hess)")
            }
        }
    }

    @Test("Every thread count gives the same bits")
    func threads() throws {
        var rng = SplitMix(seed: 15)
        let n = 70_000
        let x = (0 ..< n).map { _ in Double.random(in: -12 ... 12, using: &rng) }
        let t = (0 ..< n).map { k in k % 97 == 0 ? 0.4 : Double(k % 2) }
        let y = (0 ..< n / 10).map { Int64($0 % 10) }
        var results: [GradHessRun<Float>] = [], softmaxResults: [GradHessRun<Double>] = []
        for threads in [1, 2, 0] {
            var options = SigmoidFocalOptions()
            options.threads = threads; options.gamma = 1.5
            results.append(try sigmoidGradHess(x.map { Float($0) }, t.map { Float($0) }, options: options))
            var softmaxOptions = SoftmaxFocalOptions()
            softmaxOptions.threads = threads
            softmaxResults.append(try softmaxGradHess(x, y, shape: (n / 10, 10, 1), options: softmaxOptions))
        }
        for r in results.dropFirst() { #expect(sameBits(r.grad, results[0].grad) && sameBits(r.hess, results[0].hess)) }
        for r in softmaxResults.dropFirst() {
            #expect(sameBits(r.grad, softmaxResults[0].grad) && sameBits(r.hess, softmaxResults[0].hess))
        }
    }

    @Test("Bad input is refused before anything is written")
    func errors() throws {
        func expectError(_ kind: FocalError.Kind, _ body: () throws(FocalError) -> GradHessRun<Double>) {
            var caught: FocalError? = nil
            do { _ = try body() } catch { caught = error }
            #expect(caught?.kind == kind, "\(String(describing: caught))")
        }
        var bad = SigmoidFocalOptions()
        bad.alpha = 1.5
        expectError(.invalidAlpha) { () throws(FocalError) in try sigmoidGradHess([1.0], [1], options: bad) }
        bad = SigmoidFocalOptions(); bad.gamma = -1
        expectError(.invalidGamma) { () throws(FocalError) in try sigmoidGradHess([1.0], [1], options: bad) }
        expectError(.targetOutOfRange) { () throws(FocalError) in try sigmoidGradHess([1.0, 2], [1, 1.5]) }
        expectError(.invalidWeight) { () throws(FocalError) in try sigmoidGradHess([1.0, 2], [1, 0], [1, -.infinity]) }
        expectError(.invalidShape) { () throws(FocalError) in try sigmoidGradHess([1.0, 2], [1, 0], [1]) }
        var smoothing = SoftmaxFocalOptions()
        smoothing.labelSmoothing = 0.1
        expectError(.invalidLabelSmoothing) { () throws(FocalError) in
            try softmaxGradHess([1.0, 2], [0], shape: (1, 2, 1), options: smoothing)
        }
        expectError(.targetOutOfRange) { () throws(FocalError) in try softmaxGradHess([1.0, 2], [2], shape: (1, 2, 1)) }
        expectError(.invalidWeight) { () throws(FocalError) in try softmaxGradHess([1.0, 2], [1], [.nan], shape: (1, 2, 1)) }
        expectError(.invalidAlpha) { () throws(FocalError) in
            try softmaxGradHess([1.0, 2], [1], shape: (1, 2, 1), alpha: [1, -1])
        }
        // An ignored position's weight is neither checked nor used, as in the loss call.
        let ignored = try softmaxGradHess([1.0, 2], [-100], [.nan], shape: (1, 2, 1))
        #expect(ignored.grad == [0, 0] && ignored.hess == [0, 0])
    }
}

func sigmoidScores(_ t: [Double], _ w: [Double]? = nil, classes: Int = 1, alpha: Double? = 0.25, gamma: Double = 2) throws(FocalError) -> [Double] {
    var options = SigmoidFocalOptions()
    options.alpha = alpha; options.gamma = gamma
    var scores = [Double](repeating: -7, count: classes)
    let result: Result<Void, FocalError> = t.withUnsafeBufferPointer { tb in
        withOptionalBuffer(w) { wb in
            scores.withUnsafeMutableBufferPointer { sb in
                Result { () throws(FocalError) in
                    try FocalGradHess.sigmoidInitScores(targets: tb, weights: wb, layout: .perElement,
                                                        batch: Int64(t.count / classes), classes: Int64(classes), inner: 1,
                                                        options: options, scores: sb)
                }
            }
        }
    }
    try result.get()
    return scores
}

func softmaxScores(_ y: [Int64], _ w: [Double]? = nil, classes: Int, alpha: [Double]? = nil, gamma: Double = 2) throws(FocalError) -> [Double] {
    var scores = [Double](repeating: -7, count: classes)
    let result: Result<Void, FocalError> = withOptionalBuffer(alpha) { ab in
        var options = SoftmaxFocalOptions()
        options.alpha = ab; options.gamma = gamma
        return y.withUnsafeBufferPointer { yb in
            withOptionalBuffer(w) { wb in
                scores.withUnsafeMutableBufferPointer { sb in
                    Result { () throws(FocalError) in
                        try FocalGradHess.softmaxInitScores(targets: yb, weights: wb, batch: Int64(y.count), classes: Int64(classes),
                                                            inner: 1, options: options, scores: sb)
                    }
                }
            }
        }
    }
    try result.get()
    return scores
}

@Suite("Starting margins")
struct InitScoreTests {
    @Test("gamma = 0 without alpha: the logit of the (weighted) positive rate, the log of the class frequencies")
    func crossEntropy() throws {
        for (positives, total) in [(1, 100), (10, 100), (50, 100), (99, 100), (3, 10_000)] {
            let t = (0 ..< total).map { $0 < positives ? 1.0 : 0 }
            let x = try sigmoidScores(t, alpha: nil, gamma: 0)[0]
            let expected = log(Double(positives) / Double(total - positives))
            #expect(abs(x - expected) <= 1e-13 * max(1, abs(expected)), "\(positives)/\(total): \(x) vs \(expected)")
        }
        let w = (0 ..< 20).map { Double($0 % 4) }
        let t = (0 ..< 20).map { $0 % 3 == 0 ? 1.0 : 0 }
        let up = zip(t, w).reduce(0.0) { $0 + $1.0 * $1.1 }, down = zip(t, w).reduce(0.0) { $0 + (1 - $1.0) * $1.1 }
        #expect(abs(try sigmoidScores(t, w, alpha: nil, gamma: 0)[0] - log(up / down)) < 1e-13)
        let y: [Int64] = [0, 0, 0, 1, 2, 2, 2, 2, 2, 2]
        let scores = try softmaxScores(y, classes: 4, gamma: 0)
        for (c, count) in [(0, 3.0), (1, 1), (2, 6)] { #expect(abs(scores[c] - log(count / 10)) < 1e-13, "class \(c)") }
        #expect(scores[3] == -.infinity)
    }

    @Test("The margin is a stationary point of the summed loss, and a minimum", arguments: [0.0, 0.5, 2, 5])
    func stationary(gamma: Double) throws {
        for alpha in [0.25, nil] as [Double?] {
            for t in [(0 ..< 200).map { $0 % 50 == 0 ? 1.0 : 0 }, (0 ..< 40).map { Double($0 % 5) / 4 }] {
                let x = try sigmoidScores(t, alpha: alpha, gamma: gamma)[0]
                func loss(_ v: Double) -> Wide {
                    t.reduce(Wide(0)) { $0 + sigmoidReference(x: Wide(v), t: Wide($1), alpha: alpha.map { Wide($0) }, gamma: Wide(gamma)).loss }
                }
                let g = t.reduce(Wide(0)) { $0 + sigmoidReference(x: Wide(x), t: Wide($1), alpha: alpha.map { Wide($0) }, gamma: Wide(gamma)).grad }
                let scale = t.reduce(Wide(0)) { $0 + abs(sigmoidReference(x: Wide(x), t: Wide($1), alpha: alpha.map { Wide($0) }, gamma: Wide(gamma)).grad) }
                #expect(abs(g) <= 1e-12 * scale, "gamma \(gamma): x \(x), gradient \(g)")
                #expect(loss(x) <= loss(x + 1e-3) && loss(x) <= loss(x - 1e-3))
            }
        }
        let y: [Int64] = (0 ..< 300).map { k in k % 10 == 0 ? 2 : (k % 3 == 0 ? 1 : 0) }
        let alpha = [0.25, 1, 2]
        let s = try softmaxScores(y, classes: 3, alpha: alpha, gamma: gamma)
        // The gradient of the summed loss at s is 0 in every class.
        var total = [Wide](repeating: 0, count: 3), scale = [Wide](repeating: 0, count: 3)
        for label in y {
            let a = (0 ..< 3).map { c in c == Int(label) ? Wide(alpha[c]) : 0 }
            let r = softmaxRowReference(s.map { Wide($0) }, weights: a, gamma: Wide(gamma))
            for c in 0 ..< 3 { total[c] += r.grad[c]; scale[c] += r.gradScale[c] }
        }
        for c in 0 ..< 3 { #expect(abs(total[c]) <= 1e-11 * scale[c], "softmax gamma \(gamma) class \(c): \(total[c])") }
        // log-probabilities: their exponentials sum to 1.
        #expect(abs(s.reduce(0.0) { $0 + exp($1) } - 1) < 1e-14)
    }

    @Test("Nothing to pull one way: an infinite margin; nothing at all: NaN")
    func limits() throws {
        #expect(try sigmoidScores([0, 0, 0])[0] == -.infinity)
        #expect(try sigmoidScores([1, 1])[0] == .infinity)
        #expect(try sigmoidScores([1, 0], [0, 0])[0].isNaN)
        #expect(try sigmoidScores([1, 0, 1], alpha: 0)[0] == -.infinity)
        #expect(try sigmoidScores([0.5, 1], [1, 0])[0].isFinite)
        let multi = try sigmoidScores([1, 0, 0, 0, 1, 1], classes: 2, alpha: nil, gamma: 0)
        #expect(abs(multi[0] - log(2.0)) < 1e-13 && abs(multi[1] + log(2.0)) < 1e-13)
        #expect(try softmaxScores([1, 1], classes: 3) == [-.infinity, 0, -.infinity])
        // A huge γ (found by the fuzzer: a fixed-step bracket took minutes): a few dozen steps.
        for gamma in [1e6, 1e10, 1e300] {
            let huge = try softmaxScores([0, 0, 1, 2, 2, 2], classes: 3, gamma: gamma)
            #expect(huge.allSatisfy { $0.isFinite } && abs(huge.reduce(0.0) { $0 + exp($1) } - 1) < 1e-12, "gamma \(gamma): \(huge)")
            #expect(try sigmoidScores([1, 0, 0, 0], gamma: gamma)[0].isFinite)
        }
        #expect(try softmaxScores([-100], classes: 2).allSatisfy { $0.isNaN })
    }
}
