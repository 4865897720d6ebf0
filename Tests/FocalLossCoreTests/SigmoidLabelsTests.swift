import FocalLossCore
import Testing

// The sigmoid focal loss from integer labels against its contract: the dense call on the
// one-hot targets with the ignored positions' elements removed, bit for bit (losses, gradients,
// every reduction, both tiers), with zeros at the ignored elements; and its errors.

/// The same value, bit for bit up to NaN payloads (sign of zero included).
func sameBits<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> Bool {
    (a.isNaN && b.isNaN) || (a == b && a.sign == b.sign)
}

struct LabelsCase: CustomTestStringConvertible, Sendable {
    var batch: Int, classes: Int, inner: Int
    /// Every `ignoredEvery`-th position ignored (0: none; 1: all).
    var ignoredEvery: Int
    var testDescription: String { "(\(batch), \(classes), \(inner)), ignored every \(ignoredEvery)" }
}

let labelsCases: [LabelsCase] = [
    LabelsCase(batch: 7, classes: 3, inner: 1, ignoredEvery: 0),
    LabelsCase(batch: 7, classes: 3, inner: 1, ignoredEvery: 3),
    LabelsCase(batch: 5, classes: 4, inner: 7, ignoredEvery: 2),
    LabelsCase(batch: 70, classes: 1, inner: 1, ignoredEvery: 4),
    // Several chunks of the dense call (its grain is 16,384 elements), with and without ignored
    // positions: the chunks' first elements are located from the labels.
    LabelsCase(batch: 300, classes: 80, inner: 1, ignoredEvery: 0),
    LabelsCase(batch: 300, classes: 80, inner: 1, ignoredEvery: 5),
    LabelsCase(batch: 3, classes: 19, inner: 1100, ignoredEvery: 0),
    LabelsCase(batch: 3, classes: 19, inner: 1100, ignoredEvery: 7),
    LabelsCase(batch: 4, classes: 3, inner: 5, ignoredEvery: 1),
    LabelsCase(batch: 0, classes: 3, inner: 1, ignoredEvery: 0),
    LabelsCase(batch: 4, classes: 3, inner: 0, ignoredEvery: 0),
]

struct LabelsRun<T: Storage> {
    var loss: [T]
    var grad: [T]
    var dense: Outputs<T>
    /// The gradient buffer's values before the call (what accumulation adds into).
    var initialGrad: [T]
    /// Per logit: its index among the kept elements, or nil where its position is ignored.
    var keptIndex: [Int?]
}

/// Runs the labels call and the dense call on the kept elements' one-hot targets.
func labelsAndDense<T: Storage, Label: FocalTarget>(
    _: T.Type, _: Label.Type, _ shape: LabelsCase, gamma: Double, alpha: Double?, reduction: Reduction,
    precision: Precision, threads: Int, accumulate: Bool, upstream: Bool, seed: UInt64
) throws -> LabelsRun<T> {
    var rng = SplitMix(seed: seed)
    let (batch, classes, inner) = (shape.batch, shape.classes, shape.inner)
    let n = batch * classes * inner, positions = batch * inner
    let specials: [Double] = [0, -0.0, 1e-8, 30, -30, 88, -88, 1e4, -1e4, .infinity, -.infinity]
    let x = (0 ..< n).map { k in k % 37 == 5 ? specials[k % specials.count] : Double.random(in: -12 ... 12, using: &rng) }
    let ignoreIndex: Int64 = -100
    let labels: [Int] = (0 ..< positions).map { p in
        shape.ignoredEvery > 0 && p % shape.ignoredEvery == 0 ? Int(ignoreIndex) : Int.random(in: 0 ... classes, using: &rng)
    }
    let g0 = (0 ..< n).map { _ in Double.random(in: -1 ... 1, using: &rng) }
    let up = (0 ..< n).map { _ in Double.random(in: 0 ... 2, using: &rng) }
    var keptIndex = [Int?](repeating: nil, count: n)
    var keptX: [Double] = [], keptT: [Double] = [], keptG: [Double] = [], keptUp: [Double] = []
    for e in 0 ..< n {
        let p = (e / (classes * inner)) * inner + e % inner
        guard Int64(labels[p]) != ignoreIndex else { continue }
        keptIndex[e] = keptX.count
        keptX.append(x[e]); keptT.append(labels[p] == (e / inner) % classes ? 1 : 0)
        keptG.append(g0[e]); keptUp.append(up[e])
    }
    var options = SigmoidFocalOptions()
    options.gamma = gamma; options.alpha = alpha; options.reduction = reduction; options.precision = precision
    options.threads = threads; options.accumulateGradient = accumulate; options.ignoreIndex = ignoreIndex
    let gradLoss = reduction == .none ? (upstream ? up : nil) : [1.5]
    let denseGradLoss = reduction == .none ? (upstream ? keptUp : nil) : [1.5]

    var dense = Outputs(loss: [T](repeating: T(-7), count: reduction == .none ? keptX.count : 1),
                        grad: keptG.map { T($0) })
    try runSigmoid(keptX.map { T($0) }, keptT.map { T($0) }, denseGradLoss?.map { T($0) }, options, &dense)

    var loss = [T](repeating: T(-7), count: reduction == .none ? n : 1)
    var grad = g0.map { T($0) }
    let xs = x.map { T($0) }, ys = labels.map { Label(truncatingIfNeeded: $0) }, us = gradLoss?.map { T($0) }
    let result: Result<Void, FocalError> = xs.withUnsafeBufferPointer { xb in
        ys.withUnsafeBufferPointer { yb in
            withOptionalBuffer(us) { ub in
                loss.withUnsafeMutableBufferPointer { lb in
                    grad.withUnsafeMutableBufferPointer { gb in
                        Result { () throws(FocalError) in
                            try SigmoidFocalLoss.compute(logits: xb, labels: yb, batch: Int64(batch), classes: Int64(classes),
                                                         inner: Int64(inner), gradLoss: ub, options: options, loss: lb,
                                                         gradLogits: gb)
                        }
                    }
                }
            }
        }
    }
    try result.get()
    return LabelsRun(loss: loss, grad: grad, dense: dense, initialGrad: g0.map { T($0) }, keptIndex: keptIndex)
}

struct SigmoidLabelsTests {
    func check<T: Storage, Label: FocalTarget>(_ type: T.Type, _ label: Label.Type, _ shape: LabelsCase,
                                               precision: Precision, threads: Int) throws {
        var seed: UInt64 = 11
        for gamma in [0, 0.5, 2, 3.7] {
            for alpha in [0.25, nil] as [Double?] {
                for reduction in [Reduction.none, .sum, .mean] {
                    for (accumulate, upstream) in [(false, false), (true, true)] {
                        seed += 1
                        let run = try labelsAndDense(T.self, Label.self, shape, gamma: gamma, alpha: alpha, reduction: reduction,
                                                     precision: precision, threads: threads, accumulate: accumulate,
                                                     upstream: upstream, seed: seed)
                        let context = "\(shape.testDescription) γ=\(gamma) α=\(String(describing: alpha)) \(reduction) accumulate=\(accumulate)"
                        if reduction != .none {
                            #expect(sameBits(run.loss[0], run.dense.loss[0]), "\(context): \(run.loss[0]) vs \(run.dense.loss[0])")
                        }
                        var bad = 0
                        for e in run.grad.indices {
                            if let k = run.keptIndex[e] {
                                if !sameBits(run.grad[e], run.dense.grad[k]) { bad += 1 }
                                if reduction == .none && !sameBits(run.loss[e], run.dense.loss[k]) { bad += 1 }
                            } else {
                                // Ignored: loss 0, gradient 0 (with accumulation: left as it was).
                                if reduction == .none && !sameBits(run.loss[e], 0) { bad += 1 }
                                if !sameBits(run.grad[e], accumulate ? run.initialGrad[e] : 0) { bad += 1 }
                            }
                        }
                        #expect(bad == 0, "\(context): \(bad) elements differ from the dense call")
                    }
                }
            }
        }
    }

    @Test(arguments: labelsCases)
    func float32Int64Exact(shape: LabelsCase) throws { try check(Float.self, Int64.self, shape, precision: .exact, threads: 2) }

    @Test(arguments: labelsCases)
    func float32Int32Fast(shape: LabelsCase) throws { try check(Float.self, Int32.self, shape, precision: .fast, threads: 2) }

    @Test(arguments: labelsCases)
    func float64Int32(shape: LabelsCase) throws { try check(Double.self, Int32.self, shape, precision: .exact, threads: 1) }

    @Test(arguments: labelsCases.filter { $0.batch * $0.classes * $0.inner > 16_384 })
    func float64Int64OneThread(shape: LabelsCase) throws { try check(Double.self, Int64.self, shape, precision: .exact, threads: 1) }

    @Test func errorsWriteNothing() throws {
        func call(_ labels: [Int64], classes: Int64 = 3, ignoreIndex: Int64 = -100, labelCount: Int? = nil) -> (FocalError?, [Float], [Float]) {
            let batch = Int64(labels.count)
            let x = [Float](repeating: 0.5, count: Int(batch * classes))
            var loss: [Float] = [-7], grad = [Float](repeating: -7, count: x.count)
            var options = SigmoidFocalOptions()
            options.reduction = .mean; options.ignoreIndex = ignoreIndex
            let y = Array(labels.prefix(labelCount ?? labels.count))
            let error: FocalError? = x.withUnsafeBufferPointer { xb in
                y.withUnsafeBufferPointer { yb in
                    loss.withUnsafeMutableBufferPointer { lb in
                        grad.withUnsafeMutableBufferPointer { gb in
                            do throws(FocalError) {
                                try SigmoidFocalLoss.compute(logits: xb, labels: yb, batch: batch, classes: classes, inner: 1,
                                                             gradLoss: nil, options: options, loss: lb, gradLogits: gb)
                                return nil
                            } catch { return error }
                        }
                    }
                }
            }
            return (error, loss, grad)
        }
        for (labels, ignoreIndex, fragment) in [([0, 1, 4], Int64(-100), "labels[2] = 4 is out of range"),
                                                 ([0, -1, 1], -100, "labels[1] = -1"),
                                                 ([-100, 2, 3], -1, "labels[0] = -100")] as [([Int64], Int64, String)] {
            let (error, loss, grad) = call(labels, ignoreIndex: ignoreIndex)
            #expect(error?.kind == .targetOutOfRange)
            #expect(error?.message.contains(fragment) == true, "\(String(describing: error?.message))")
            #expect(loss == [-7] && grad.allSatisfy { $0 == -7 })
        }
        let (shapeError, loss, _) = call([0, 1, 2], labelCount: 2)
        #expect(shapeError?.kind == .invalidShape && loss == [-7])
        let (zeroClasses, _, _) = call([0], classes: 0)
        #expect(zeroClasses?.kind == .invalidShape)
        // Label C is background, and the ignore index may be any value, a class included.
        #expect(call([3, 3, 0]).0 == nil)
        #expect(call([0, 1, 2], ignoreIndex: 1).0 == nil)
    }

    /// Background rows are all negatives: the loss of a row of C = 3 with label 3 is the dense
    /// loss with targets (0, 0, 0), and a mean over nothing kept is NaN, as the dense mean over no element.
    @Test func allIgnoredMeanIsNaN() throws {
        let run = try labelsAndDense(Double.self, Int64.self, LabelsCase(batch: 4, classes: 3, inner: 5, ignoredEvery: 1),
                                     gamma: 2, alpha: 0.25, reduction: .mean, precision: .exact, threads: 1,
                                     accumulate: false, upstream: false, seed: 3)
        #expect(run.loss[0].isNaN && run.dense.loss[0].isNaN)
        #expect(run.grad.allSatisfy { $0 == 0 })
    }
}
