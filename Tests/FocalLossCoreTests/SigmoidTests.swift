import FocalLossCore
import Glibc
import Testing

// The sigmoid focal loss against the Float80 reference (Reference.swift), finite
// differences, and its reductions, threading, NaN and error contracts.

let extremeLogits: [Double] = [0, 1e-8, -1e-8, 0.5, -0.5, 1, -1, 3, -3, 10, -10, 20, -20, 50, -50,
                               88, -88, 100, -100, 500, -500, 745, -745, 1e3, -1e3, 1e4, -1e4]
let sigmoidTargets: [Double] = [0, 1, 0.1, 0.37, 0.5, 0.9, 1e-6]
let gammas: [Double] = [0, 0.5, 1, 2, 3.7, 5, 10]
let sigmoidAlphas: [Double?] = [0.25, nil, 0, 1]

/// Bounds, stated once: Double within 1e-10 of the exact value, relative to the value (loss)
/// or to the sum of the magnitudes of the gradient's terms (equal to the gradient itself for
/// hard targets, where the terms share a sign); Float within 2 ulps of the exact value.
let doubleBound = 1e-10
let floatUlpBound = 2.0

struct SigmoidAccuracyTests {
    func grid() -> (x: [Double], t: [Double]) {
        var rng = SplitMix(seed: 1)
        var x: [Double] = [], t: [Double] = []
        for target in sigmoidTargets {
            for logit in extremeLogits + (0 ..< 40).map({ _ in Double.random(in: -30 ... 30, using: &rng) }) {
                x.append(logit); t.append(target)
            }
        }
        return (x, t)
    }

    @Test(arguments: gammas)
    func doubleMatchesReference(gamma: Double) throws {
        let (x, t) = grid()
        var worstLoss = 0.0, worstGrad = 0.0
        for alpha in sigmoidAlphas {
            var options = SigmoidFocalOptions()
            options.alpha = alpha; options.gamma = gamma
            let out = try sigmoid(Double.self, logits: x, targets: t, options: options)
            for i in x.indices {
                let ref = sigmoidReference(x: Wide(x[i]), t: Wide(t[i]), alpha: alpha.map { Wide($0) }, gamma: Wide(gamma))
                let lossError = relative(out.loss[i], ref.loss, scale: abs(ref.loss))
                let gradError = relative(out.grad[i], ref.grad, scale: ref.gradScale)
                #expect(lossError <= doubleBound, "loss x=\(x[i]) t=\(t[i]) a=\(String(describing: alpha)) g=\(gamma): \(out.loss[i]) vs \(ref.loss)")
                #expect(gradError <= doubleBound, "grad x=\(x[i]) t=\(t[i]) a=\(String(describing: alpha)) g=\(gamma): \(out.grad[i]) vs \(ref.grad)")
                #expect(out.loss[i].isFinite && out.grad[i].isFinite)
                worstLoss = max(worstLoss, lossError); worstGrad = max(worstGrad, gradError)
            }
        }
        print("accuracy sigmoid f64 gamma=\(gamma): max relative error loss \(worstLoss), grad \(worstGrad)")
    }

    @Test(arguments: gammas)
    func floatMatchesReference(gamma: Double) throws {
        let (x64, t64) = grid()
        // The exact reference is taken at the float inputs.
        let x = x64.map { Double(Float($0)) }, t = t64.map { Double(Float($0)) }
        var worstLoss = 0.0, worstGrad = 0.0
        for alpha in sigmoidAlphas {
            var options = SigmoidFocalOptions()
            options.alpha = alpha; options.gamma = gamma
            let out = try sigmoid(Float.self, logits: x, targets: t, options: options)
            for i in x.indices {
                let ref = sigmoidReference(x: Wide(x[i]), t: Wide(t[i]), alpha: alpha.map { Wide(Float($0)) }.map { Wide($0) }, gamma: Wide(gamma))
                let lossUlps = ulps(out.loss[i], ref.loss)
                var gradUlps = ulps(out.grad[i], ref.grad)
                // Soft targets: the two gradient terms may cancel; the double-precision
                // evaluation is then good to ~1e-16 of their magnitude.
                if gradUlps > floatUlpBound, relative(Double(out.grad[i]), ref.grad, scale: ref.gradScale) <= 1e-7 { gradUlps = 0 }
                #expect(lossUlps <= floatUlpBound, "loss x=\(x[i]) t=\(t[i]) g=\(gamma): \(out.loss[i]) vs \(ref.loss)")
                #expect(gradUlps <= floatUlpBound, "grad x=\(x[i]) t=\(t[i]) g=\(gamma): \(out.grad[i]) vs \(ref.grad)")
                #expect(!out.loss[i].isNaN && !out.grad[i].isNaN)
                worstLoss = max(worstLoss, lossUlps); worstGrad = max(worstGrad, gradUlps)
            }
        }
        print("accuracy sigmoid f32 gamma=\(gamma): max error loss \(worstLoss) ulp, grad \(worstGrad) ulp")
    }

    @Test func hardTargetGradientMatchesDesignFormula() throws {
        // DESIGN §1.4: ∂ℓ/∂x_t = −α_t (1 − p_t)^γ [(1 − p_t) − γ p_t log p_t], ∂ℓ/∂x = (2t − 1) ∂ℓ/∂x_t.
        for gamma in gammas {
            var options = SigmoidFocalOptions()
            options.gamma = gamma
            for t in [0.0, 1.0] {
                let x: [Double] = [-12, -2, -0.3, 0, 0.7, 4, 15]
                let out = try sigmoid(Double.self, logits: x, targets: x.map { _ in t }, options: options)
                for i in x.indices {
                    let xt = Wide((2 * t - 1) * x[i])
                    let pt = 1 / (1 + exp(-xt)), m = 1 / (1 + exp(xt))
                    let alphaT: Wide = t == 1 ? 0.25 : 0.75
                    let dxt = -alphaT * pow(m, Wide(gamma)) * (m - Wide(gamma) * pt * log(pt))
                    #expect(relative(out.grad[i], Wide(2 * t - 1) * dxt, scale: abs(dxt)) <= 1e-12)
                }
            }
        }
    }

    @Test func underflowGivesZeroNeverNaN() throws {
        var options = SigmoidFocalOptions()
        for gamma in [0.5, 2, 3.7] {
            options.gamma = gamma
            // Confidently right at |x| = 1e4: the loss underflows to 0 with a finite gradient.
            let out32 = try sigmoid(Float.self, logits: [1e4, -1e4, 100, -100], targets: [1, 0, 1, 0], options: options)
            #expect(out32.loss == [0, 0, 0, 0])
            #expect(out32.grad.allSatisfy { $0.isFinite && $0 <= 0 || $0 >= 0 })
            #expect(!out32.grad.contains { $0.isNaN })
            // Confidently wrong: the loss is |x| · α_t exactly.
            let wrong = try sigmoid(Double.self, logits: [1e4, -1e4], targets: [0, 1], options: options)
            #expect(wrong.loss == [0.75 * 1e4, 0.25 * 1e4])
            #expect(wrong.grad == [0.75, -0.25])
        }
    }
}

struct SigmoidGradientTests {
    /// Central differences of F = Σ_j g_j ℓ_j (or of the reduced loss) against the gradient.
    func check(reduction: Reduction, gamma: Double, alpha: Double?, soft: Bool, normalizer: Double? = nil) throws {
        var rng = SplitMix(seed: 7)
        let n = 24
        let x = (0 ..< n).map { _ in Double.random(in: -6 ... 6, using: &rng) }
        let t = (0 ..< n).map { _ in soft ? Double.random(in: 0 ... 1, using: &rng) : Double(Int.random(in: 0 ... 1, using: &rng)) }
        let upstream = reduction == .none ? (0 ..< n).map { _ in Double.random(in: -2 ... 2, using: &rng) } : [1.7]
        var options = SigmoidFocalOptions()
        options.alpha = alpha; options.gamma = gamma; options.reduction = reduction; options.normalizer = normalizer
        let out = try sigmoid(Double.self, logits: x, targets: t, options: options, gradLoss: upstream)
        func objective(_ x: [Double]) throws -> Double {
            let l = try sigmoid(Double.self, logits: x, targets: t, options: options, withGrad: false).loss
            return zip(l, upstream).reduce(0) { $0 + $1.0 * $1.1 }
        }
        for i in 0 ..< n {
            let h = 1e-5 * max(1, abs(x[i]))
            var plus = x, minus = x
            plus[i] += h; minus[i] -= h
            let numeric = (try objective(plus) - objective(minus)) / (2 * h)
            #expect(abs(numeric - out.grad[i]) <= 1e-6 * max(1, abs(numeric)),
                    "i=\(i) x=\(x[i]) t=\(t[i]): numeric \(numeric) vs \(out.grad[i])")
        }
    }

    @Test(arguments: [0.0, 0.5, 1, 2, 3.7])
    func finiteDifferences(gamma: Double) throws {
        for alpha in [0.25, nil] as [Double?] {
            for soft in [false, true] {
                try check(reduction: .none, gamma: gamma, alpha: alpha, soft: soft)
                try check(reduction: .sum, gamma: gamma, alpha: alpha, soft: soft)
                try check(reduction: .mean, gamma: gamma, alpha: alpha, soft: soft)
                try check(reduction: .mean, gamma: gamma, alpha: alpha, soft: soft, normalizer: 3.5)
            }
        }
    }
}

struct SigmoidReductionTests {
    let x: [Double] = [-3, -0.5, 0, 0.25, 2, 7, -9, 1.5]
    let t: [Double] = [0, 1, 0.3, 1, 0, 1, 0, 0.8]

    @Test func sumMeanAndNormalizer() throws {
        var options = SigmoidFocalOptions()
        let none = try sigmoid(Double.self, logits: x, targets: t, options: options)
        let exactSum = none.loss.map { Wide($0) }.reduce(0, +)
        options.reduction = .sum
        let sum = try sigmoid(Double.self, logits: x, targets: t, options: options, gradLoss: [2])
        #expect(relative(sum.loss[0], exactSum, scale: exactSum) <= 1e-15)
        #expect(zip(sum.grad, none.grad).allSatisfy { $0 == 2 * $1 })
        options.reduction = .mean
        let mean = try sigmoid(Double.self, logits: x, targets: t, options: options)
        #expect(relative(mean.loss[0], exactSum / 8, scale: exactSum / 8) <= 1e-15)
        #expect(zip(mean.grad, none.grad).allSatisfy { abs($0 - $1 / 8) <= 1e-16 * abs($1) })
        options.normalizer = 2
        let normalized = try sigmoid(Double.self, logits: x, targets: t, options: options)
        #expect(relative(normalized.loss[0], exactSum / 2, scale: exactSum / 2) <= 1e-15)
        #expect(zip(normalized.grad, none.grad).allSatisfy { abs($0 - $1 / 2) <= 1e-16 * abs($1) })
    }

    @Test func emptyInput() throws {
        var options = SigmoidFocalOptions()
        let none = try sigmoid(Float.self, logits: [], targets: [], options: options)
        #expect(none.loss.isEmpty && none.grad.isEmpty)
        options.reduction = .sum
        #expect(try sigmoid(Float.self, logits: [], targets: [], options: options).loss == [0])
        options.reduction = .mean
        #expect(try sigmoid(Float.self, logits: [], targets: [], options: options).loss[0].isNaN)
        options.normalizer = 4
        #expect(try sigmoid(Float.self, logits: [], targets: [], options: options).loss == [0])
    }

    @Test func accumulateAddsIntoTheGradient() throws {
        var options = SigmoidFocalOptions()
        options.reduction = .sum
        let fresh = try sigmoid(Double.self, logits: x, targets: t, options: options)
        options.accumulateGradient = true
        var out = Outputs(loss: [0.0], grad: (0 ..< x.count).map { Double($0) - 3.5 })
        let start = out.grad
        try runSigmoid(x, t, nil, options, &out)
        #expect(out.grad == zip(start, fresh.grad).map { $0 + $1 })
    }

    @Test func nanPoisonsOnlyItsElement() throws {
        var options = SigmoidFocalOptions()
        options.gamma = 0.5
        let clean = try sigmoid(Float.self, logits: x, targets: t, options: options)
        for bad in [Double.nan, -Double.nan] {
            var poisoned = x
            poisoned[3] = bad
            let out = try sigmoid(Float.self, logits: poisoned, targets: t, options: options)
            for i in x.indices {
                if i == 3 {
                    #expect(out.loss[i].isNaN && out.grad[i].isNaN)
                } else {
                    #expect(out.loss[i] == clean.loss[i] && out.grad[i] == clean.grad[i])
                }
            }
            options.reduction = .sum
            #expect(try sigmoid(Float.self, logits: poisoned, targets: t, options: options).loss[0].isNaN)
            options.reduction = .none
        }
    }
}

struct SigmoidThreadingTests {
    @Test(arguments: [Reduction.none, .sum, .mean])
    func bitwiseIdenticalForEveryThreadCount(reduction: Reduction) throws {
        var rng = SplitMix(seed: 3)
        let n = 300_007
        let x = (0 ..< n).map { _ in Double.random(in: -12 ... 12, using: &rng) }
        let t = (0 ..< n).map { _ in Double(Int.random(in: 0 ... 9, using: &rng) == 0 ? 1 : 0) }
        var options = SigmoidFocalOptions()
        options.reduction = reduction
        options.threads = 1
        let one = try sigmoid(Float.self, logits: x, targets: t, options: options)
        for threads in [0, 2, 3, 8, 64] {
            options.threads = threads
            let many = try sigmoid(Float.self, logits: x, targets: t, options: options)
            #expect(many.loss.map(\.bitPattern) == one.loss.map(\.bitPattern), "threads=\(threads)")
            #expect(many.grad.map(\.bitPattern) == one.grad.map(\.bitPattern), "threads=\(threads)")
        }
    }
}

struct SigmoidErrorTests {
    /// Runs a call that must fail, and checks that no output was touched.
    func expectFailure(_ kind: FocalError.Kind, _ mentions: String, options: SigmoidFocalOptions,
                       x: [Double] = [0.5, -1], t: [Double] = [1, 0], gradLoss: [Double]? = nil) {
        let sentinel = Float(-12345)
        var out = Outputs(loss: [Float](repeating: sentinel, count: options.reduction == .none ? x.count : 1),
                          grad: [Float](repeating: sentinel, count: x.count))
        do {
            try runSigmoid(x.map { Float($0) }, t.map { Float($0) }, gradLoss?.map { Float($0) }, options, &out)
            Issue.record("expected \(kind)")
        } catch {
            #expect(error.kind == kind)
            #expect(error.message.contains(mentions), "\(error.message)")
        }
        #expect(out.loss.allSatisfy { $0 == sentinel } && out.grad.allSatisfy { $0 == sentinel })
    }

    @Test func invalidArgumentsWriteNothing() {
        var o = SigmoidFocalOptions()
        for alpha in [-0.5, 1.5, .nan, -1] { o.alpha = alpha; expectFailure(.invalidAlpha, "alpha", options: o) }
        o = SigmoidFocalOptions()
        for gamma in [-1, .nan, .infinity] { o.gamma = gamma; expectFailure(.invalidGamma, "gamma", options: o) }
        o = SigmoidFocalOptions()
        o.reduction = .mean
        for normalizer in [0, -2, .nan, .infinity] { o.normalizer = normalizer; expectFailure(.invalidNormalizer, "normalizer", options: o) }
        o.reduction = .sum; o.normalizer = 3
        expectFailure(.invalidNormalizer, "reduction", options: o)
        o = SigmoidFocalOptions()
        o.threads = -1
        expectFailure(.invalidThreadCount, "num_threads", options: o)
        o = SigmoidFocalOptions()
        expectFailure(.targetOutOfRange, "targets[1] = 1.5", options: o, t: [1, 1.5])
        expectFailure(.targetOutOfRange, "targets[0] = -0.25", options: o, t: [-0.25, 0])
        expectFailure(.targetOutOfRange, "targets[1] = nan", options: o, t: [0, .nan])
        expectFailure(.invalidShape, "grad_loss", options: o, gradLoss: [1])
    }
}

/// Found by the fuzzer (Tests/fuzz): γ = 1e10 with a confidently wrong logit formed γ·B first,
/// overflowed to ∞ and multiplied it by r = 0, giving a NaN gradient. γ·(B·r) stays finite.
struct HugeGammaTests {
    @Test func sigmoidGradientStaysFinite() throws {
        for gamma in [1e10, 1e300] {
            var options = SigmoidFocalOptions()
            options.gamma = gamma
            let x = [1e300, -1e300, 800, -800, 30, 0.5]
            let out = try sigmoid(Double.self, logits: x, targets: [0, 1, 0, 1, 1, 0.3], options: options)
            #expect(out.loss.allSatisfy(\.isFinite) && out.grad.allSatisfy(\.isFinite), "\(out)")
            // Confidently wrong: (1 − p_t)^γ = 1 exactly, so the gradient is α_t·(s − t) = ±α_t.
            #expect(out.grad[0] == 0.75 && out.grad[1] == -0.25)
        }
    }

    @Test func softmaxGradientStaysFinite() throws {
        for gamma in [1e10, 1e300] {
            var options = SoftmaxFocalOptions()
            options.gamma = gamma; options.reduction = .none; options.labelSmoothing = 0.1
            let out = try softmax(Double.self, logits: [1e300, -1e300, 0, 700, -700, 3], targets: [1, 2], batch: 2, classes: 3,
                                  options: options)
            #expect(out.loss.allSatisfy(\.isFinite) && out.grad.allSatisfy(\.isFinite), "\(out)")
        }
    }
}
