import FocalLossCore
import Glibc
import Testing

// The softmax focal loss against the Float80 reference (Reference.swift), cross-entropy at
// γ = 0, finite differences, and its reductions, layout, threading, NaN and error contracts.

/// Random (N, C, inner) problems with some targets ignored.
struct SoftmaxProblem {
    var batch: Int, classes: Int, inner: Int
    var logits: [Double]
    var targets: [Int]

    init(batch: Int, classes: Int, inner: Int, scale: Double, ignoreEvery: Int = 0, seed: UInt64) {
        var rng = SplitMix(seed: seed)
        self.batch = batch; self.classes = classes; self.inner = inner
        logits = (0 ..< batch * classes * inner).map { _ in Double.random(in: -scale ... scale, using: &rng) }
        targets = (0 ..< batch * inner).map { i in
            ignoreEvery > 0 && i % ignoreEvery == ignoreEvery - 1 ? -100 : Int.random(in: 0 ..< classes, using: &rng)
        }
    }

    func row(_ position: Int) -> [Double] {
        let (n, i) = (position / inner, position % inner)
        return (0 ..< classes).map { logits[(n * classes + $0) * inner + i] }
    }

    func index(_ position: Int, _ c: Int) -> Int {
        (position / inner * classes + c) * inner + position % inner
    }

    /// a_c = α_c q_c for one row.
    func targetWeights(_ y: Int, alpha: [Double]?, smoothing: Double) -> [Wide] {
        (0 ..< classes).map { c in
            let q = (c == y ? 1 - smoothing : 0) + smoothing / Double(classes)
            return Wide(alpha?[c] ?? 1) * Wide(q)
        }
    }
}

struct SoftmaxAccuracyTests {
    static let configurations: [(classes: Int, inner: Int, scale: Double)] = [
        (1, 1, 3), (2, 1, 5), (5, 3, 4), (20, 1, 10), (7, 2, 100), (4, 1, 1e4),
    ]

    @Test(arguments: gammas)
    func matchesReference(gamma: Double) throws {
        var worst = (loss64: 0.0, grad64: 0.0, loss32: 0.0, grad32: 0.0)
        for (k, config) in Self.configurations.enumerated() {
            let problem = SoftmaxProblem(batch: 6, classes: config.classes, inner: config.inner, scale: config.scale,
                                         ignoreEvery: 5, seed: UInt64(11 + k))
            // Float problems use the float-rounded logits, so both share one reference.
            var rounded = problem
            rounded.logits = problem.logits.map { Double(Float($0)) }
            let weights: [Double]? = k % 2 == 0 ? nil : (0 ..< config.classes).map { Double($0 % 3) * 0.75 + 0.5 }
            for smoothing in [0, 0.1, 1] {
                var options = SoftmaxFocalOptions()
                options.gamma = gamma; options.labelSmoothing = smoothing; options.reduction = .none
                let out64 = try softmax(Double.self, logits: rounded.logits, targets: problem.targets, batch: 6,
                                        classes: config.classes, inner: config.inner, alpha: weights, options: options)
                let out32 = try softmax(Float.self, int32Targets: k % 3 == 0, logits: rounded.logits, targets: problem.targets,
                                        batch: 6, classes: config.classes, inner: config.inner, alpha: weights, options: options)
                for position in 0 ..< 6 * config.inner {
                    let y = problem.targets[position]
                    let context = "C=\(config.classes) scale=\(config.scale) eps=\(smoothing) g=\(gamma) pos=\(position)"
                    if y == -100 {
                        #expect(out64.loss[position] == 0 && out32.loss[position] == 0)
                        for c in 0 ..< config.classes {
                            #expect(out64.grad[problem.index(position, c)] == 0 && out32.grad[problem.index(position, c)] == 0)
                        }
                        continue
                    }
                    let ref = softmaxRowReference(rounded.row(position).map { Wide($0) },
                                                  weights: problem.targetWeights(y, alpha: weights, smoothing: smoothing),
                                                  gamma: Wide(gamma))
                    let l64 = relative(out64.loss[position], ref.loss, scale: abs(ref.loss))
                    let l32 = ulps(out32.loss[position], ref.loss)
                    #expect(l64 <= doubleBound, "\(context): loss \(out64.loss[position]) vs \(ref.loss)")
                    #expect(l32 <= floatUlpBound, "\(context): f32 loss \(out32.loss[position]) vs \(ref.loss)")
                    worst.loss64 = max(worst.loss64, l64); worst.loss32 = max(worst.loss32, l32)
                    for c in 0 ..< config.classes {
                        let i = problem.index(position, c)
                        let g64 = relative(out64.grad[i], ref.grad[c], scale: ref.gradScale[c])
                        var g32 = ulps(out32.grad[i], ref.grad[c])
                        if g32 > floatUlpBound, relative(Double(out32.grad[i]), ref.grad[c], scale: ref.gradScale[c]) <= 1e-7 { g32 = 0 }
                        #expect(g64 <= doubleBound, "\(context) c=\(c): grad \(out64.grad[i]) vs \(ref.grad[c])")
                        #expect(g32 <= floatUlpBound, "\(context) c=\(c): f32 grad \(out32.grad[i]) vs \(ref.grad[c])")
                        worst.grad64 = max(worst.grad64, g64); worst.grad32 = max(worst.grad32, g32)
                    }
                }
            }
        }
        print("accuracy softmax gamma=\(gamma): f64 max relative error loss \(worst.loss64), grad \(worst.grad64); f32 max error loss \(worst.loss32) ulp, grad \(worst.grad32) ulp")
    }

    @Test func confidentRowsUnderflowToZeroNeverNaN() throws {
        for gamma in [0.5, 2, 3.7] {
            var options = SoftmaxFocalOptions()
            options.gamma = gamma; options.reduction = .none
            // Right with margin 2e4: p_y = 1 - e^{-2e4}, loss underflows to 0, gradient finite.
            let out = try softmax(Float.self, logits: [1e4, -1e4, -1e4, 1e4], targets: [0, 1], batch: 2, classes: 2, options: options)
            #expect(out.loss == [0, 0])
            #expect(out.grad.allSatisfy { $0.isFinite })
            // Wrong with margin 2e4: loss is 2e4 · (1 − p)^γ = 2e4.
            let wrong = try softmax(Double.self, logits: [-1e4, 1e4], targets: [0], batch: 1, classes: 2, options: options)
            #expect(wrong.loss == [2e4])
            #expect(wrong.grad == [-1, 1])
        }
    }
}

struct CrossEntropyTests {
    /// cross_entropy in plain Double from its definition (torch's semantics, including the
    /// mean's divisor Σ w[y_i] and label smoothing's −ε/C Σ_c w_c log p_c).
    func crossEntropy(_ p: SoftmaxProblem, weights: [Double]?, smoothing: Double) -> (perPosition: [Double], divisor: Double) {
        var losses: [Double] = [], divisor = 0.0
        for position in 0 ..< p.batch * p.inner {
            let y = p.targets[position]
            if y == -100 { losses.append(0); continue }
            let row = p.row(position)
            let top = row.max()!
            let logZ = top + log(row.reduce(0) { $0 + exp($1 - top) })
            let w = weights ?? [Double](repeating: 1, count: p.classes)
            var smooth = 0.0
            for c in 0 ..< p.classes { smooth -= w[c] * (row[c] - logZ) }
            losses.append((1 - smoothing) * -w[y] * (row[y] - logZ) + smoothing / Double(p.classes) * smooth)
            divisor += w[y]
        }
        return (losses, divisor)
    }

    @Test(arguments: [0.0, 0.1, 0.3, 1.0])
    func gammaZeroIsCrossEntropy(smoothing: Double) throws {
        let problem = SoftmaxProblem(batch: 9, classes: 6, inner: 4, scale: 6, ignoreEvery: 4, seed: 5)
        for weights in [nil, [0.5, 2, 0, 1, 3, 0.25]] as [[Double]?] {
            let ce = crossEntropy(problem, weights: weights, smoothing: smoothing)
            var options = SoftmaxFocalOptions()
            options.gamma = 0; options.labelSmoothing = smoothing
            for reduction in Reduction.allCases {
                options.reduction = reduction
                let out = try softmax(Double.self, logits: problem.logits, targets: problem.targets, batch: 9, classes: 6,
                                      inner: 4, alpha: weights, options: options)
                let total = ce.perPosition.reduce(0, +)
                switch reduction {
                case .none:
                    for (a, b) in zip(out.loss, ce.perPosition) { #expect(abs(a - b) <= 1e-13 * max(1, abs(b))) }
                case .sum: #expect(abs(out.loss[0] - total) <= 1e-13 * total)
                case .mean: #expect(abs(out.loss[0] - total / ce.divisor) <= 1e-13 * total / ce.divisor)
                }
            }
        }
    }
}

struct SoftmaxGradientTests {
    @Test(arguments: [0.0, 0.5, 1, 2, 3.7])
    func finiteDifferences(gamma: Double) throws {
        let problem = SoftmaxProblem(batch: 3, classes: 5, inner: 2, scale: 4, ignoreEvery: 4, seed: 9)
        var rng = SplitMix(seed: 10)
        for (weights, smoothing) in [(nil, 0.0), ([0.2, 1.5, 0.7, 1, 0.4], 0.0), (nil, 0.2), ([0.2, 1.5, 0.7, 1, 0.4], 0.35)] as [([Double]?, Double)] {
            for (reduction, normalizer) in [(Reduction.none, nil), (.sum, nil), (.mean, nil), (.mean, 2.5)] as [(Reduction, Double?)] {
                var options = SoftmaxFocalOptions()
                options.gamma = gamma; options.labelSmoothing = smoothing; options.reduction = reduction; options.normalizer = normalizer
                let upstream = reduction == .none ? (0 ..< 6).map { _ in Double.random(in: -2 ... 2, using: &rng) } : [0.8]
                let out = try softmax(Double.self, logits: problem.logits, targets: problem.targets, batch: 3, classes: 5, inner: 2,
                                      alpha: weights, options: options, gradLoss: upstream)
                func objective(_ x: [Double]) throws -> Double {
                    let l = try softmax(Double.self, logits: x, targets: problem.targets, batch: 3, classes: 5, inner: 2,
                                        alpha: weights, options: options, withGrad: false).loss
                    return zip(l, upstream).reduce(0) { $0 + $1.0 * $1.1 }
                }
                for i in problem.logits.indices {
                    var plus = problem.logits, minus = problem.logits
                    plus[i] += 1e-5; minus[i] -= 1e-5
                    let numeric = (try objective(plus) - objective(minus)) / 2e-5
                    #expect(abs(numeric - out.grad[i]) <= 1e-6 * max(1, abs(numeric)),
                            "g=\(gamma) eps=\(smoothing) \(reduction) i=\(i): numeric \(numeric) vs \(out.grad[i])")
                }
            }
        }
    }
}

struct SoftmaxContractTests {
    @Test func singleClassHasZeroLossAndGradient() throws {
        for smoothing in [0.0, 0.5] {
            var options = SoftmaxFocalOptions()
            options.labelSmoothing = smoothing; options.reduction = .none
            let out = try softmax(Float.self, logits: [3, -2, 1e4], targets: [0, 0, 0], batch: 3, classes: 1, options: options)
            #expect(out.loss == [0, 0, 0] && out.grad == [0, 0, 0])
        }
    }

    @Test func everyTargetIgnored() throws {
        var options = SoftmaxFocalOptions()
        let logits: [Double] = [1, 2, 3, 4, 5, 6]
        options.reduction = .mean
        let mean = try softmax(Double.self, logits: logits, targets: [-100, -100], batch: 2, classes: 3, options: options)
        #expect(mean.loss[0].isNaN)
        #expect(mean.grad == [0, 0, 0, 0, 0, 0])
        options.reduction = .sum
        #expect(try softmax(Double.self, logits: logits, targets: [-100, -100], batch: 2, classes: 3, options: options).loss == [0])
        options.reduction = .none
        #expect(try softmax(Double.self, logits: logits, targets: [-100, -100], batch: 2, classes: 3, options: options).loss == [0, 0])
        options.reduction = .mean; options.normalizer = 4
        #expect(try softmax(Double.self, logits: logits, targets: [-100, -100], batch: 2, classes: 3, options: options).loss == [0])
    }

    @Test func ignoreIndexMayBeAValidClass() throws {
        var options = SoftmaxFocalOptions()
        options.ignoreIndex = 0; options.reduction = .none
        let out = try softmax(Double.self, logits: [1, 2, 3, 4, 5, 6], targets: [0, 2], batch: 2, classes: 3, options: options)
        #expect(out.loss[0] == 0 && out.loss[1] > 0)
        #expect(Array(out.grad[0 ..< 3]) == [0, 0, 0])
    }

    @Test func emptyBatch() throws {
        var options = SoftmaxFocalOptions()
        options.reduction = .none
        #expect(try softmax(Float.self, logits: [], targets: [], batch: 0, classes: 4, options: options).loss.isEmpty)
        options.reduction = .mean
        #expect(try softmax(Float.self, logits: [], targets: [], batch: 0, classes: 4, options: options).loss[0].isNaN)
        options.reduction = .sum
        #expect(try softmax(Float.self, logits: [], targets: [], batch: 3, classes: 4, inner: 0, options: options).loss == [0])
    }

    @Test func layoutMatchesPerRowCalls() throws {
        // (N, C, inner) computes each (n, :, i) row as its own (1, C) problem.
        let problem = SoftmaxProblem(batch: 3, classes: 4, inner: 5, scale: 3, ignoreEvery: 6, seed: 21)
        var options = SoftmaxFocalOptions()
        options.reduction = .none
        let whole = try softmax(Double.self, logits: problem.logits, targets: problem.targets, batch: 3, classes: 4, inner: 5, options: options)
        for position in 0 ..< 15 {
            let single = try softmax(Double.self, logits: problem.row(position), targets: [problem.targets[position]],
                                     batch: 1, classes: 4, options: options)
            #expect(whole.loss[position] == single.loss[0])
            #expect((0 ..< 4).map { whole.grad[problem.index(position, $0)] } == single.grad)
        }
    }

    @Test func accumulateAddsAndIgnoredRowsStayAsTheyWere() throws {
        let problem = SoftmaxProblem(batch: 4, classes: 3, inner: 1, scale: 3, ignoreEvery: 2, seed: 2)
        var options = SoftmaxFocalOptions()
        let fresh = try softmax(Double.self, logits: problem.logits, targets: problem.targets, batch: 4, classes: 3, options: options)
        options.accumulateGradient = true
        let start = (0 ..< 12).map { Double($0) * 0.5 - 2 }
        var out = Outputs(loss: [0.0], grad: start)
        try runSoftmax(problem.logits, problem.targets, batch: 4, classes: 3, inner: 1, alpha: nil, options: options,
                       upstream: nil, int32Targets: false, &out)
        #expect(out.grad == zip(start, fresh.grad).map { $0 + $1 })
    }

    @Test func nanPoisonsOnlyItsRow() throws {
        let problem = SoftmaxProblem(batch: 3, classes: 4, inner: 2, scale: 3, seed: 4)
        var options = SoftmaxFocalOptions()
        options.reduction = .none; options.labelSmoothing = 0.1
        let clean = try softmax(Float.self, logits: problem.logits, targets: problem.targets, batch: 3, classes: 4, inner: 2, options: options)
        // A NaN of either sign or a +∞ (no limit: cross_entropy gives NaN too), or a row of −∞ alone.
        for bad in [[Double.nan], [-Double.nan], [.infinity], [-.infinity, -.infinity, -.infinity, -.infinity]] {
            var logits = problem.logits
            for c in bad.indices { logits[problem.index(3, bad.count == 1 ? 2 : c)] = bad[c] }  // row (n = 1, i = 1)
            let out = try softmax(Float.self, logits: logits, targets: problem.targets, batch: 3, classes: 4, inner: 2, options: options)
            for position in 0 ..< 6 {
                let poisoned = position == 3
                #expect(poisoned ? out.loss[position].isNaN : out.loss[position] == clean.loss[position])
                for c in 0 ..< 4 {
                    let i = problem.index(position, c)
                    #expect(poisoned ? out.grad[i].isNaN : out.grad[i] == clean.grad[i])
                }
            }
            options.reduction = .mean
            #expect(try softmax(Float.self, logits: logits, targets: problem.targets, batch: 3, classes: 4, inner: 2, options: options).loss[0].isNaN)
            options.reduction = .none
        }
    }

    @Test func int32AndInt64TargetsAgree() throws {
        let problem = SoftmaxProblem(batch: 8, classes: 5, inner: 3, scale: 5, ignoreEvery: 7, seed: 8)
        let options = SoftmaxFocalOptions()
        let a = try softmax(Float.self, logits: problem.logits, targets: problem.targets, batch: 8, classes: 5, inner: 3, options: options)
        let b = try softmax(Float.self, int32Targets: true, logits: problem.logits, targets: problem.targets, batch: 8, classes: 5, inner: 3, options: options)
        #expect(a.loss == b.loss && a.grad == b.grad)
    }
}

struct SoftmaxThreadingTests {
    @Test(arguments: [Reduction.none, .mean])
    func bitwiseIdenticalForEveryThreadCount(reduction: Reduction) throws {
        let problem = SoftmaxProblem(batch: 40, classes: 19, inner: 257, scale: 8, ignoreEvery: 13, seed: 31)
        var options = SoftmaxFocalOptions()
        options.reduction = reduction; options.labelSmoothing = 0.05; options.threads = 1
        let one = try softmax(Float.self, logits: problem.logits, targets: problem.targets, batch: 40, classes: 19, inner: 257, options: options)
        for threads in [0, 2, 3, 16] {
            options.threads = threads
            let many = try softmax(Float.self, logits: problem.logits, targets: problem.targets, batch: 40, classes: 19, inner: 257, options: options)
            #expect(many.loss.map(\.bitPattern) == one.loss.map(\.bitPattern), "threads=\(threads)")
            #expect(many.grad.map(\.bitPattern) == one.grad.map(\.bitPattern), "threads=\(threads)")
        }
    }
}

struct SoftmaxErrorTests {
    func expectFailure(_ kind: FocalError.Kind, _ mentions: String, options: SoftmaxFocalOptions = SoftmaxFocalOptions(),
                       targets: [Int] = [0, 2], batch: Int = 2, classes: Int = 3, alpha: [Double]? = nil) {
        let sentinel = -4321.0
        let elements = max(0, batch * classes)
        var out = Outputs(loss: [sentinel], grad: [Double](repeating: sentinel, count: elements))
        do {
            try runSoftmax([Double](repeating: 0.5, count: elements), targets, batch: batch, classes: classes, inner: 1,
                           alpha: alpha, options: options, upstream: nil, int32Targets: false, &out)
            Issue.record("expected \(kind)")
        } catch {
            #expect(error.kind == kind)
            #expect(error.message.contains(mentions), "\(error.message)")
        }
        #expect(out.loss == [sentinel] && out.grad.allSatisfy { $0 == sentinel })
    }

    @Test func invalidArgumentsWriteNothing() {
        expectFailure(.targetOutOfRange, "targets[1] = 3 is out of range", targets: [0, 3])
        expectFailure(.targetOutOfRange, "targets[0] = -1", targets: [-1, 0])
        expectFailure(.invalidShape, "classes = 0", targets: [], batch: 0, classes: 0)
        expectFailure(.invalidAlpha, "alpha[1] = -0.5", alpha: [1, -0.5, 1])
        expectFailure(.invalidAlpha, "alpha[2] = nan", alpha: [1, 1, .nan])
        expectFailure(.invalidShape, "alpha has 2 elements", alpha: [1, 1])
        var o = SoftmaxFocalOptions()
        for smoothing in [-0.1, 1.5, .nan] { o.labelSmoothing = smoothing; expectFailure(.invalidLabelSmoothing, "label_smoothing", options: o) }
        o = SoftmaxFocalOptions()
        for gamma in [-0.5, .nan, -.infinity] { o.gamma = gamma; expectFailure(.invalidGamma, "gamma", options: o) }
        o = SoftmaxFocalOptions()
        for normalizer in [0, -1, .nan] { o.normalizer = normalizer; expectFailure(.invalidNormalizer, "normalizer", options: o) }
        o = SoftmaxFocalOptions()
        o.threads = -4
        expectFailure(.invalidThreadCount, "num_threads = -4", options: o)
    }

    @Test func sizesAreChecked() {
        #expect(throws: FocalError.self) { try SoftmaxFocalLoss.elementCounts(batch: -1, classes: 3, inner: 1) }
        #expect(throws: FocalError.self) { try SoftmaxFocalLoss.elementCounts(batch: 1, classes: 3, inner: -2) }
        #expect(throws: FocalError.self) { try SoftmaxFocalLoss.elementCounts(batch: 1 << 40, classes: 1 << 20, inner: 1 << 4) }
        #expect(throws: FocalError.self) { try SoftmaxFocalLoss.elementCounts(batch: 3, classes: 0, inner: 1) }
        #expect((try? SoftmaxFocalLoss.elementCounts(batch: 0, classes: 1 << 62, inner: 1))?.logits == 0)
    }
}

/// Found by hypothesis (bindings/python/tests/test_properties.py): with a tiny label smoothing
/// and a confident target, `K − a_y·D_y` lost the smoothing terms to rounding (K ≈ −1, the
/// rest ≈ 1e-38), and the target's gradient came out with the wrong sign.
struct SmallSmoothingTests {
    @Test(arguments: [1.17e-38, 1e-20, 1e-9])
    func targetGradientKeepsTheSmoothingTerms(smoothing: Double) throws {
        var options = SoftmaxFocalOptions()
        options.gamma = 0; options.labelSmoothing = smoothing; options.reduction = .none
        for logits in [[88.0, 1e-8, -18.106558149631056], [40, -3, 2], [30, 1, 1, 1, 1]] {
            let out = try softmax(Double.self, logits: logits, targets: [0], batch: 1, classes: logits.count, options: options)
            let weights = (0 ..< logits.count).map { Wide(($0 == 0 ? 1 - smoothing : 0) + smoothing / Double(logits.count)) }
            let ref = softmaxRowReference(logits.map { Wide($0) }, weights: weights, gamma: 0)
            for c in logits.indices {
                #expect(relative(out.grad[c], ref.grad[c], scale: ref.gradScale[c]) <= doubleBound,
                        "eps=\(smoothing) x=\(logits) c=\(c): \(out.grad[c]) vs \(ref.grad[c])")
            }
        }
    }
}

/// Rows of few classes (inner = 1, C < 16), which the kernel transposes into tiles of up to 64
/// rows: every class count to 16 (each of the transposition's forms: one step for C ≤ 8, two for
/// 9, 10, 12, 14 and 15, the scalar loop for 11 and 13), row counts around the group size (one
/// row, partial and whole groups, several chunks), with ignored targets, α, label smoothing, γ of
/// each focusing law, every reduction, and accumulated gradients.
struct SoftmaxFewClassesTests {
    static let classCounts = Array(1 ... 16)

    @Test(arguments: classCounts)
    func matchesReference(classes: Int) throws {
        for (k, batch) in [1, 7, 63, 64, 65, 130].enumerated() {
            let problem = SoftmaxProblem(batch: batch, classes: classes, inner: 1, scale: 8, ignoreEvery: 7,
                                         seed: UInt64(100 * classes + k))
            var rounded = problem
            rounded.logits = problem.logits.map { Double(Float($0)) }
            let weights: [Double]? = k % 2 == 0 ? nil : (0 ..< classes).map { Double($0 % 3) * 0.75 + 0.5 }
            for gamma in [0, 0.5, 2, 3] {
                for smoothing in [0, 0.1] {
                    var options = SoftmaxFocalOptions()
                    options.gamma = gamma; options.labelSmoothing = smoothing; options.reduction = .none
                    let out64 = try softmax(Double.self, logits: rounded.logits, targets: problem.targets, batch: batch,
                                            classes: classes, alpha: weights, options: options)
                    let out32 = try softmax(Float.self, logits: rounded.logits, targets: problem.targets, batch: batch,
                                            classes: classes, alpha: weights, options: options)
                    for position in 0 ..< batch {
                        let y = problem.targets[position]
                        let context = "C=\(classes) N=\(batch) eps=\(smoothing) g=\(gamma) pos=\(position)"
                        if y == -100 {
                            #expect(out64.loss[position] == 0 && out32.loss[position] == 0, "\(context)")
                            for c in 0 ..< classes {
                                #expect(out64.grad[position * classes + c] == 0 && out32.grad[position * classes + c] == 0)
                            }
                            continue
                        }
                        let ref = softmaxRowReference(rounded.row(position).map { Wide($0) },
                                                      weights: problem.targetWeights(y, alpha: weights, smoothing: smoothing),
                                                      gamma: Wide(gamma))
                        #expect(relative(out64.loss[position], ref.loss, scale: abs(ref.loss)) <= doubleBound, "\(context)")
                        #expect(ulps(out32.loss[position], ref.loss) <= floatUlpBound, "\(context): f32 loss")
                        for c in 0 ..< classes {
                            let i = position * classes + c
                            #expect(relative(out64.grad[i], ref.grad[c], scale: ref.gradScale[c]) <= doubleBound, "\(context) c=\(c)")
                            let g32 = ulps(out32.grad[i], ref.grad[c])
                            #expect(g32 <= floatUlpBound
                                        || relative(Double(out32.grad[i]), ref.grad[c], scale: ref.gradScale[c]) <= 1e-7,
                                    "\(context) c=\(c): f32 grad \(out32.grad[i]) vs \(ref.grad[c])")
                        }
                    }
                }
            }
        }
    }

    /// Sum and mean are the reduction of the per-row losses, and an upstream array scales each
    /// row's gradient; several chunks (N = 5000 rows of C ≥ 4 is more than one chunk of 16,384
    /// logits), bitwise the same for every thread count.
    @Test(arguments: classCounts)
    func reductionsAndThreads(classes: Int) throws {
        let batch = 5000
        let problem = SoftmaxProblem(batch: batch, classes: classes, inner: 1, scale: 6, ignoreEvery: 9, seed: UInt64(7 + classes))
        let weights = (0 ..< classes).map { Double($0 % 4) * 0.5 + 0.25 }
        var options = SoftmaxFocalOptions()
        options.labelSmoothing = 0.05; options.reduction = .none; options.threads = 1
        let none = try softmax(Double.self, logits: problem.logits, targets: problem.targets, batch: batch, classes: classes,
                               alpha: weights, options: options)
        var exact: Wide = 0, divisor: Wide = 0
        for (position, y) in problem.targets.enumerated() where y != -100 {
            exact += Wide(none.loss[position]); divisor += Wide(weights[y])
        }
        for reduction in [Reduction.none, .sum, .mean] {
            options.reduction = reduction; options.threads = 1
            let upstream: [Double]? = reduction == .none ? (0 ..< batch).map { Double($0 % 5) - 1.5 } : nil
            let one = try softmax(Double.self, logits: problem.logits, targets: problem.targets, batch: batch, classes: classes,
                                  alpha: weights, options: options, gradLoss: upstream)
            let one32 = try softmax(Float.self, logits: problem.logits, targets: problem.targets, batch: batch, classes: classes,
                                    alpha: weights, options: options, gradLoss: upstream)
            if reduction != .none {
                let expected = reduction == .sum ? exact : exact / divisor
                #expect(relative(one.loss[0], expected, scale: abs(expected)) <= doubleBound, "C=\(classes) \(reduction)")
                let scale = reduction == .sum ? 1 : 1 / Double(divisor)
                for i in stride(from: 0, to: batch * classes, by: 97) {
                    #expect(abs(one.grad[i] - none.grad[i] * scale) <= 1e-14 * max(abs(none.grad[i] * scale), 1e-300) + 1e-300,
                            "C=\(classes) \(reduction) i=\(i)")
                }
            } else if let upstream {
                for i in stride(from: 0, to: batch * classes, by: 89) {
                    #expect(one.grad[i] == none.grad[i] * upstream[i / classes], "C=\(classes) upstream i=\(i)")
                }
            }
            for threads in [0, 2, 3, 16] {
                options.threads = threads
                let many = try softmax(Double.self, logits: problem.logits, targets: problem.targets, batch: batch,
                                       classes: classes, alpha: weights, options: options, gradLoss: upstream)
                let many32 = try softmax(Float.self, logits: problem.logits, targets: problem.targets, batch: batch,
                                         classes: classes, alpha: weights, options: options, gradLoss: upstream)
                #expect(many.loss.map(\.bitPattern) == one.loss.map(\.bitPattern), "C=\(classes) \(reduction) threads=\(threads)")
                #expect(many.grad.map(\.bitPattern) == one.grad.map(\.bitPattern), "C=\(classes) \(reduction) threads=\(threads)")
                #expect(many32.loss.map(\.bitPattern) == one32.loss.map(\.bitPattern), "C=\(classes) f32 threads=\(threads)")
                #expect(many32.grad.map(\.bitPattern) == one32.grad.map(\.bitPattern), "C=\(classes) f32 threads=\(threads)")
            }
        }
    }

    /// With `accumulateGradient` the gradient is added to what the buffer holds, and an
    /// ignored row's entries are left exactly as they were.
    @Test(arguments: [3, 10])
    func accumulates(classes: Int) throws {
        let batch = 150
        let problem = SoftmaxProblem(batch: batch, classes: classes, inner: 1, scale: 5, ignoreEvery: 4, seed: 77)
        var options = SoftmaxFocalOptions()
        options.reduction = .sum; options.labelSmoothing = 0.1
        let fresh = try softmax(Double.self, logits: problem.logits, targets: problem.targets, batch: batch,
                                classes: classes, options: options)
        options.accumulateGradient = true
        var out = Outputs(loss: [0], grad: (0 ..< batch * classes).map { Double($0 % 7) - 3 })
        let before = out.grad
        try runSoftmax(problem.logits, problem.targets, batch: batch, classes: classes, inner: 1, alpha: nil, options: options,
                       upstream: nil, int32Targets: false, &out)
        for i in 0 ..< batch * classes {
            if problem.targets[i / classes] == -100 {
                #expect(out.grad[i].bitPattern == before[i].bitPattern, "i=\(i)")
            } else {
                #expect(out.grad[i] == before[i] + fresh.grad[i], "i=\(i)")
            }
        }
    }
}
