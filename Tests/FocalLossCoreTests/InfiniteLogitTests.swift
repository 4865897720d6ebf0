import FocalLossCore
import Glibc
import Testing

// Infinite logits are taken as limits wherever the limit exists (DESIGN §1.4): their loss is 0 or
// +∞ and their gradient the finite limit; NaN only where no limit exists. Against the limits'
// formulas, for both storage types, every focusing law, α on and off, hard and soft targets in
// both kernel paths, and both softmax layouts. (bindings/python/tests/test_infinite.py compares
// the same cells with torch, where torch is not NaN.)

struct InfiniteSigmoidLogitTests {
    /// The limit at x = ±∞: s = σ(x) ∈ {0, 1}, m = 1 − p_t; the loss is 0 where m = 0 and +∞
    /// otherwise; the gradient α_t·m^γ·(s − t) (the B·r term's limit is 0, and at m = 0 the
    /// whole gradient's).
    func limit(x: Double, t: Double, alpha: Double?, gamma: Double) -> (loss: Double, grad: Double) {
        let s: Double = x > 0 ? 1 : 0
        let alphaT = alpha.map { $0 * t + (1 - $0) * (1 - t) } ?? 1
        let m = t * (1 - s) + (1 - t) * s
        // A zero weight α_t (α = 0 or 1 against the element's class) makes the loss 0, not 0·∞.
        return m == 0 ? (0, 0) : (alphaT == 0 ? 0 : .infinity, alphaT * pow(m, gamma) * (s - t))
    }

    func check<T: Storage>(_ type: T.Type, bound: Double) throws {
        for gamma in [0, 0.5, 1, 2, 3.7, 10, 1e10] {
            for alpha in [0.25, nil, 0, 1] {
                for (x, t) in [(Double.infinity, 1.0), (-.infinity, 0), (.infinity, 0), (-.infinity, 1),
                               (.infinity, 0.3), (-.infinity, 0.3), (.infinity, 1e-6), (-.infinity, 0.9)] {
                    // Finite neighbours with hard targets, then with soft ones: both kernel paths.
                    for neighbours in [[1.0, 0], [0.7, 0.2]] {
                        var options = SigmoidFocalOptions()
                        options.alpha = alpha; options.gamma = gamma
                        let logits = [0.5, x, -1.5], targets = [neighbours[0], t, neighbours[1]]
                        let out = try sigmoid(T.self, logits: logits, targets: targets, options: options)
                        let clean = try sigmoid(T.self, logits: [0.5, -1.5], targets: neighbours, options: options)
                        let expected = limit(x: x, t: T(t).double, alpha: alpha, gamma: gamma)  // at the stored target
                        let what = "x=\(x) t=\(t) α=\(String(describing: alpha)) γ=\(gamma)"
                        #expect(out.loss[1].double == expected.loss, "loss \(what): \(out.loss[1])")
                        #expect(abs(out.grad[1].double - expected.grad) <= bound * abs(expected.grad), "grad \(what): \(out.grad[1]) vs \(expected.grad)")
                        #expect(out.grad[1].double.isFinite)
                        #expect([out.loss[0], out.loss[2]] == clean.loss && [out.grad[0], out.grad[2]] == clean.grad)
                        // A sum with a +∞ loss is +∞, not NaN.
                        options.reduction = .sum
                        let total = try sigmoid(T.self, logits: logits, targets: targets, options: options)
                        #expect(expected.loss.isFinite ? total.loss[0].double.isFinite : total.loss[0] == .infinity)
                    }
                }
            }
        }
    }

    @Test func float32() throws { try check(Float.self, bound: 1.2e-7) }
    @Test func float64() throws { try check(Double.self, bound: 1e-15) }
}

struct InfiniteSoftmaxLogitTests {
    /// A −∞ logit is a class of probability 0: the row's loss and gradient are those of the row
    /// without it, and its own gradient is 0 (every γ, weights, both layouts).
    func masked<T: Storage>(_ type: T.Type, inner: Int, bound: Double) throws {
        let kept = [1.0, 2.0, -0.5], weights = [0.5, 1.5, 2.5]
        let row = [1.0, -.infinity, 2.0, -0.5]  // class 1 masked
        for gamma in [0, 0.5, 2, 3.7] {
            for alpha in [nil, [0.5, 9.0, 1.5, 2.5]] {
                var options = SoftmaxFocalOptions()
                options.gamma = gamma; options.reduction = .sum
                // Every position of the (1, C, inner) tile holds the same row, target class 2 (1 once masked).
                let logits = row.flatMap { [Double](repeating: $0, count: inner) }
                let out = try softmax(T.self, logits: logits, targets: [Int](repeating: 2, count: inner), batch: 1,
                                      classes: 4, inner: inner, alpha: alpha, options: options)
                let reference = try softmax(T.self, logits: kept.flatMap { [Double](repeating: $0, count: inner) },
                                            targets: [Int](repeating: 1, count: inner), batch: 1, classes: 3, inner: inner,
                                            alpha: alpha == nil ? nil : weights, options: options)
                #expect(abs(out.loss[0].double - reference.loss[0].double) <= bound * abs(reference.loss[0].double), "γ=\(gamma) inner=\(inner)")
                for i in 0 ..< inner {
                    #expect(out.grad[1 * inner + i] == 0)
                    for (c, k) in [(0, 0), (2, 1), (3, 2)] {
                        let ours = out.grad[c * inner + i].double, theirs = reference.grad[k * inner + i].double
                        #expect(abs(ours - theirs) <= bound * Swift.max(abs(theirs), 1e-300), "γ=\(gamma) c=\(c): \(ours) vs \(theirs)")
                    }
                }
            }
        }
    }

    @Test func minusInfinityMasksAClass() throws {
        for inner in [1, 3] {
            try masked(Float.self, inner: inner, bound: 4e-7)
            try masked(Double.self, inner: inner, bound: 1e-14)
        }
    }

    /// A −∞ logit on the target (or, with smoothing, anywhere): the loss is +∞, as in
    /// cross_entropy, and the gradient its finite limit: without smoothing −a_y on the target and
    /// a_y·p_j on the others, for every γ (the target's focal factor tends to 1).
    @Test func minusInfinityOnTheTargetGivesAnInfiniteLossAndAFiniteGradient() throws {
        let row = [1.0, -.infinity, 2.0, -0.5]
        let kept = [1.0, 2.0, -0.5]
        let z = kept.map { exp($0) }.reduce(0, +)
        for gamma in [0, 0.5, 2, 3.7] {
            var options = SoftmaxFocalOptions()
            options.gamma = gamma; options.reduction = .sum
            let out = try softmax(Double.self, logits: row, targets: [1], batch: 1, classes: 4, options: options)
            #expect(out.loss[0] == .infinity)
            let expected = [exp(1.0) / z, -1, exp(2.0) / z, exp(-0.5) / z]
            for c in 0 ..< 4 { #expect(abs(out.grad[c] - expected[c]) <= 1e-15, "γ=\(gamma) c=\(c)") }
            options.labelSmoothing = 0.1
            let smoothed = try softmax(Float.self, logits: row, targets: [0], batch: 1, classes: 4, options: options)
            #expect(smoothed.loss[0] == .infinity && smoothed.grad.allSatisfy { $0.isFinite })
            options.reduction = .mean
            #expect(try softmax(Float.self, logits: row, targets: [0], batch: 1, classes: 4, options: options).loss[0] == .infinity)
        }
    }
}
