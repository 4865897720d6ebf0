import FocalLossCore
import Testing

// Weights and statistics (the core of the C API's _weighted functions): against the Float80
// reference times the weight; bit for bit against the unweighted call where every weight is 1
// or weights are absent; per-position weights against the same weights spelled per element;
// the labels call against the dense call on the kept elements' one-hot targets and weights; a
// weight of 0 masking NaN and infinite logits; the statistics; the errors; thread counts.

/// The weighted core entry points of one storage type, from arrays.
protocol WeightedStorage: Storage {
    static func sigmoidWeighted(
        _ x: UnsafeBufferPointer<Self>, _ t: UnsafeBufferPointer<Self>, _ w: UnsafeBufferPointer<Self>?, _ layout: WeightsLayout,
        _ shape: (Int64, Int64, Int64), _ g: UnsafeBufferPointer<Self>?, _ o: SigmoidFocalOptions,
        _ l: UnsafeMutableBufferPointer<Self>, _ d: UnsafeMutableBufferPointer<Self>?, _ stats: Bool
    ) throws(FocalError) -> FocalStats?
}

extension Float: WeightedStorage {
    static func sigmoidWeighted(
        _ x: UnsafeBufferPointer<Float>, _ t: UnsafeBufferPointer<Float>, _ w: UnsafeBufferPointer<Float>?, _ layout: WeightsLayout,
        _ shape: (Int64, Int64, Int64), _ g: UnsafeBufferPointer<Float>?, _ o: SigmoidFocalOptions,
        _ l: UnsafeMutableBufferPointer<Float>, _ d: UnsafeMutableBufferPointer<Float>?, _ stats: Bool
    ) throws(FocalError) -> FocalStats? {
        try SigmoidFocalLoss.compute(logits: x, targets: t, weights: w, layout: layout, batch: shape.0, classes: shape.1,
                                     inner: shape.2, gradLoss: g, options: o, loss: l, gradLogits: d, statistics: stats)
    }
}

extension Double: WeightedStorage {
    static func sigmoidWeighted(
        _ x: UnsafeBufferPointer<Double>, _ t: UnsafeBufferPointer<Double>, _ w: UnsafeBufferPointer<Double>?, _ layout: WeightsLayout,
        _ shape: (Int64, Int64, Int64), _ g: UnsafeBufferPointer<Double>?, _ o: SigmoidFocalOptions,
        _ l: UnsafeMutableBufferPointer<Double>, _ d: UnsafeMutableBufferPointer<Double>?, _ stats: Bool
    ) throws(FocalError) -> FocalStats? {
        try SigmoidFocalLoss.compute(logits: x, targets: t, weights: w, layout: layout, batch: shape.0, classes: shape.1,
                                     inner: shape.2, gradLoss: g, options: o, loss: l, gradLogits: d, statistics: stats)
    }
}

struct WeightedRun<T> {
    var loss: [T]
    var grad: [T]
    var stats: FocalStats?
}

func sigmoidWeighted<T: WeightedStorage>(
    _ x: [T], _ t: [T], _ w: [T]?, _ layout: WeightsLayout, _ shape: (Int, Int, Int), options: SigmoidFocalOptions,
    upstream: [T]? = nil, initialGrad: [T]? = nil, stats: Bool = true
) throws(FocalError) -> WeightedRun<T> {
    var run = WeightedRun(loss: [T](repeating: T(-7), count: options.reduction == .none ? x.count : 1),
                          grad: initialGrad ?? [T](repeating: T(-7), count: x.count), stats: nil)
    let result: Result<FocalStats?, FocalError> = x.withUnsafeBufferPointer { xb in
        t.withUnsafeBufferPointer { tb in
            withOptionalBuffer(w) { wb in
                withOptionalBuffer(upstream) { ub in
                    run.loss.withUnsafeMutableBufferPointer { lb in
                        run.grad.withUnsafeMutableBufferPointer { gb in
                            Result { () throws(FocalError) in
                                try T.sigmoidWeighted(xb, tb, wb, layout, (Int64(shape.0), Int64(shape.1), Int64(shape.2)),
                                                      ub, options, lb, gb, stats)
                            }
                        }
                    }
                }
            }
        }
    }
    run.stats = try result.get()
    return run
}

func labelsWeighted<T: FocalScalar>(
    _ x: [T], _ labels: [Int64], _ w: [T]?, _ layout: WeightsLayout, _ shape: (Int, Int, Int), options: SigmoidFocalOptions,
    upstream: [T]? = nil, initialGrad: [T]? = nil
) throws(FocalError) -> WeightedRun<T> {
    var run = WeightedRun(loss: [T](repeating: T(-7), count: options.reduction == .none ? x.count : 1),
                          grad: initialGrad ?? [T](repeating: T(-7), count: x.count), stats: nil)
    let result: Result<FocalStats?, FocalError> = x.withUnsafeBufferPointer { xb in
        labels.withUnsafeBufferPointer { yb in
            withOptionalBuffer(w) { wb in
                withOptionalBuffer(upstream) { ub in
                    run.loss.withUnsafeMutableBufferPointer { lb in
                        run.grad.withUnsafeMutableBufferPointer { gb in
                            Result { () throws(FocalError) in
                                try SigmoidFocalLoss.compute(
                                    logits: xb, labels: yb, weights: wb, layout: layout, batch: Int64(shape.0),
                                    classes: Int64(shape.1), inner: Int64(shape.2), gradLoss: ub, options: options, loss: lb,
                                    gradLogits: gb, statistics: true)
                            }
                        }
                    }
                }
            }
        }
    }
    run.stats = try result.get()
    return run
}

func softmaxWeighted<T: FocalScalar>(
    _ x: [T], _ targets: [Int64], _ w: [T]?, _ shape: (Int, Int, Int), alpha: [Double]? = nil,
    options: SoftmaxFocalOptions, upstream: [T]? = nil, initialGrad: [T]? = nil
) throws(FocalError) -> WeightedRun<T> {
    var run = WeightedRun(loss: [T](repeating: T(-7), count: options.reduction == .none ? shape.0 * shape.2 : 1),
                          grad: initialGrad ?? [T](repeating: T(-7), count: x.count), stats: nil)
    let result: Result<FocalStats?, FocalError> = withOptionalBuffer(alpha) { ab in
        var opts = options
        opts.alpha = ab
        return x.withUnsafeBufferPointer { xb in
            targets.withUnsafeBufferPointer { yb in
                withOptionalBuffer(w) { wb in
                    withOptionalBuffer(upstream) { ub in
                        run.loss.withUnsafeMutableBufferPointer { lb in
                            run.grad.withUnsafeMutableBufferPointer { gb in
                                Result { () throws(FocalError) in
                                    try SoftmaxFocalLoss.compute(
                                        logits: xb, targets: yb, weights: wb, batch: Int64(shape.0), classes: Int64(shape.1),
                                        inner: Int64(shape.2), gradLoss: ub, options: opts, loss: lb, gradLogits: gb,
                                        statistics: true)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    run.stats = try result.get()
    return run
}

/// `count` weights in [0, 3], some exactly 0 and 1.
func randomWeights<T: FocalScalar>(_ count: Int, _ rng: inout SplitMix) -> [T] {
    (0 ..< count).map { k in k % 11 == 3 ? 0 : (k % 7 == 2 ? 1 : T(Double.random(in: 0 ... 3, using: &rng))) }
}

func sameArrays<T: BinaryFloatingPoint>(_ a: [T], _ b: [T]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { sameBits($0, $1) }
}

let weightShapes: [(Int, Int, Int)] = [(7, 3, 1), (5, 4, 7), (300, 80, 1), (3, 19, 1100), (0, 3, 1)]

struct WeightsTests {
    // MARK: Sigmoid

    @Test(arguments: [Precision.exact, .fast])
    func sigmoidAgainstReference(precision: Precision) throws {
        var rng = SplitMix(seed: 41)
        for (batch, classes, inner) in [(7, 3, 1), (5, 4, 7)] {
            let n = batch * classes * inner, positions = batch * inner
            // Values float32 holds exactly, so that both dtypes compute the same loss.
            let x = (0 ..< n).map { _ in Double(Float(Double.random(in: -15 ... 15, using: &rng))) }
            let t: [Double] = (0 ..< n).map { (k: Int) -> Double in k % 5 == 0 ? 1 : (k % 9 == 4 ? 0.375 : 0) }
            for layout in WeightsLayout.allCases {
                let w: [Double] = (randomWeights(layout == .perElement ? n : positions, &rng) as [Float]).map { Double($0) }
                func weight(_ e: Int) -> Double {
                    layout == .perElement ? w[e] : w[(e / (classes * inner)) * inner + e % inner]
                }
                for gamma in [0, 0.5, 2, 5] {
                    var options = SigmoidFocalOptions()
                    options.gamma = gamma; options.precision = precision
                    let f = try sigmoidWeighted(x.map { Float($0) }, t.map { Float($0) }, w.map { Float($0) }, layout,
                                                (batch, classes, inner), options: options)
                    let d = try sigmoidWeighted(x, t, w, layout, (batch, classes, inner), options: options)
                    for e in 0 ..< n {
                        let r = sigmoidReference(x: Wide(x[e]), t: Wide(t[e]), alpha: 0.25, gamma: Wide(gamma))
                        let we = Wide(weight(e))
                        // float32: the exact tier within 2 ulps, the fast tier (hard targets) 16.
                        let bound = precision == .fast && (t[e] == 0 || t[e] == 1) ? 16.0 : 2
                        #expect(ulps(f.loss[e], r.loss * we) <= bound, "f32 loss \(e) γ=\(gamma) \(layout)")
                        #expect(relative(f.grad[e].double, r.grad * we, scale: r.gradScale * we) <= 2e-6,
                                "f32 grad \(e) γ=\(gamma) \(layout)")
                        #expect(relative(d.loss[e], r.loss * we, scale: r.loss * we) <= 1e-10, "f64 loss \(e)")
                        #expect(relative(d.grad[e], r.grad * we, scale: r.gradScale * we) <= 1e-10, "f64 grad \(e)")
                    }
                }
            }
        }
    }

    @Test(arguments: [Precision.exact, .fast])
    func sigmoidOnesAndNilAreTheUnweightedCall(precision: Precision) throws {
        var rng = SplitMix(seed: 42)
        for (batch, classes, inner) in weightShapes {
            let n = batch * classes * inner
            let specials: [Float] = [.infinity, -.infinity, 1e4, -88]
            let x: [Float] = (0 ..< n).map { (k: Int) -> Float in
                k % 31 == 7 ? specials[k % 4] : Float(Double.random(in: -12 ... 12, using: &rng))
            }
            let t: [Float] = (0 ..< n).map { (k: Int) -> Float in k % 13 == 0 ? 1 : (k % 17 == 5 ? 0.25 : 0) }
            let up = (0 ..< n).map { _ in Float(Double.random(in: 0 ... 2, using: &rng)) }
            let g0 = (0 ..< n).map { _ in Float(Double.random(in: -1 ... 1, using: &rng)) }
            for reduction in Reduction.allCases {
                for accumulate in [false, true] {
                    var options = SigmoidFocalOptions()
                    options.reduction = reduction; options.precision = precision; options.accumulateGradient = accumulate
                    let upstream = reduction == .none ? up : [1.5]
                    var plain = Outputs(loss: [Float](repeating: -7, count: reduction == .none ? n : 1), grad: g0)
                    try runSigmoid(x, t, upstream, options, &plain)
                    for (w, layout) in [(nil, WeightsLayout.perElement), ([Float](repeating: 1, count: n), .perElement),
                                        ([Float](repeating: 1, count: batch * inner), .perPosition)] as [([Float]?, WeightsLayout)] {
                        let run = try sigmoidWeighted(x, t, w, layout, (batch, classes, inner), options: options,
                                                      upstream: upstream, initialGrad: g0)
                        #expect(sameArrays(run.loss, plain.loss), "\(batch)x\(classes)x\(inner) \(reduction) \(layout)")
                        #expect(sameArrays(run.grad, plain.grad), "\(batch)x\(classes)x\(inner) \(reduction) \(layout)")
                    }
                }
            }
        }
    }

    @Test func sigmoidPerPositionIsPerElementBroadcast() throws {
        var rng = SplitMix(seed: 43)
        for (batch, classes, inner) in weightShapes {
            let n = batch * classes * inner, positions = batch * inner
            let x = (0 ..< n).map { _ in Double.random(in: -12 ... 12, using: &rng) }
            let t: [Double] = (0 ..< n).map { (k: Int) -> Double in k % 13 == 0 ? 1 : 0 }
            let w: [Double] = randomWeights(positions, &rng)
            let expanded = (0 ..< n).map { e in w[(e / (classes * inner)) * inner + e % inner] }
            for reduction in Reduction.allCases {
                for precision in [Precision.exact, .fast] {
                    var options = SigmoidFocalOptions()
                    options.reduction = reduction; options.precision = precision
                    let a = try sigmoidWeighted(x.map { Float($0) }, t.map { Float($0) }, w.map { Float($0) }, .perPosition,
                                                (batch, classes, inner), options: options)
                    let b = try sigmoidWeighted(x.map { Float($0) }, t.map { Float($0) }, expanded.map { Float($0) }, .perElement,
                                                (batch, classes, inner), options: options)
                    #expect(sameArrays(a.loss, b.loss) && sameArrays(a.grad, b.grad), "\(batch)x\(classes)x\(inner) \(reduction)")
                    #expect(a.stats == b.stats)
                }
            }
        }
    }

    @Test func sigmoidZeroWeightMasksNaNAndInfinity() throws {
        let x: [Float] = [.nan, .infinity, -.infinity, 3, .nan, 2]
        let t: [Float] = [1, 0, 1, 0.5, 0, 1]
        let w: [Float] = [0, 0, 0, 0, 2, 1]
        var options = SigmoidFocalOptions()
        options.gamma = 0.5
        let run = try sigmoidWeighted(x, t, w, .perElement, (1, 6, 1), options: options)
        for e in 0 ..< 4 { #expect(sameBits(run.loss[e], 0) && sameBits(run.grad[e], 0), "element \(e)") }
        #expect(run.loss[4].isNaN && run.grad[4].isNaN)
        options.reduction = .sum
        let sum = try sigmoidWeighted(x, t, [0, 0, 0, 0, 0, 1], .perElement, (1, 6, 1), options: options)
        #expect(sum.loss[0].isFinite && sum.grad.allSatisfy { $0.isFinite })
    }

    @Test func sigmoidStatistics() throws {
        let x: [Double] = [1, -2, 3, 0.5, -1, 4]
        let t: [Double] = [1, 0, 0.5, 0, 1, 0]
        let w: [Double] = [2, 0.5, 1, 3, 0, 1]
        for reduction in Reduction.allCases {
            var options = SigmoidFocalOptions()
            options.reduction = reduction
            let run = try sigmoidWeighted(x, t, w, .perElement, (2, 3, 1), options: options)
            #expect(run.stats == FocalStats(positives: 2.5, weightSum: 7.5, divisor: reduction == .mean ? 6 : 1))
            let rows = try sigmoidWeighted(x, t, [2, 0.5], .perPosition, (2, 3, 1), options: options)
            #expect(rows.stats == FocalStats(positives: 2.5, weightSum: 7.5, divisor: reduction == .mean ? 6 : 1))
            let none = try sigmoidWeighted(x, t, nil, .perElement, (2, 3, 1), options: options)
            #expect(none.stats == FocalStats(positives: 2.5, weightSum: 6, divisor: reduction == .mean ? 6 : 1))
            // The mean divides by the element count, whatever the weights.
            if reduction == .mean {
                #expect(sameBits(run.loss[0], (try sigmoidWeighted(x, t, w, .perElement, (2, 3, 1),
                                                                    options: { var o = options; o.reduction = .sum; return o }()).loss[0]) / 6))
            }
        }
        var options = SigmoidFocalOptions()
        options.reduction = .mean; options.normalizer = 4
        let normalized = try sigmoidWeighted(x, t, w, .perElement, (2, 3, 1), options: options)
        #expect(normalized.stats?.divisor == 4)
        // Without statistics, none.
        #expect(try sigmoidWeighted(x, t, w, .perElement, (2, 3, 1), options: options, stats: false).stats == nil)
    }

    @Test func sigmoidErrorsWriteNothing() throws {
        let x: [Float] = [1, 2, 3, 4, 5, 6], t: [Float] = [0, 1, 0, 1, 0, 1]
        for (bad, index) in [(Float(-1), 4), (.nan, 2), (.infinity, 5), (-.infinity, 0)] {
            var w: [Float] = [1, 1, 1, 1, 1, 1]
            w[index] = bad
            var run = WeightedRun(loss: [Float](repeating: -7, count: 6), grad: [Float](repeating: -7, count: 6), stats: nil)
            do {
                run = try sigmoidWeighted(x, t, w, .perElement, (2, 3, 1), options: SigmoidFocalOptions())
                Issue.record("weight \(bad) accepted")
            } catch {
                #expect(error.kind == .invalidWeight)
                #expect(error.message.hasPrefix("weights[\(index)] = "), "\(error.message)")
            }
            #expect(run.loss.allSatisfy { $0 == -7 } && run.grad.allSatisfy { $0 == -7 })
        }
        #expect(throws: FocalError.self) {
            _ = try sigmoidWeighted(x, t, [1, 1, 1], .perElement, (2, 3, 1), options: SigmoidFocalOptions())
        }
        #expect(throws: FocalError.self) {
            _ = try sigmoidWeighted(x, t, [1, 1, 1], .perPosition, (2, 3, 1), options: SigmoidFocalOptions())
        }
        // −0 is a weight of 0.
        let zero = try sigmoidWeighted(x, t, [-0.0, 1, 1, 1, 1, 1], .perElement, (2, 3, 1), options: SigmoidFocalOptions())
        #expect(zero.loss[0] == 0)
    }

    // MARK: Sigmoid from labels

    @Test(arguments: [Precision.exact, .fast])
    func labelsAreTheDenseCallOnTheKeptElements(precision: Precision) throws {
        var rng = SplitMix(seed: 44)
        for (batch, classes, inner) in weightShapes {
            for ignoredEvery in [0, 3] {
                let n = batch * classes * inner, positions = batch * inner
                let x = (0 ..< n).map { _ in Float(Double.random(in: -12 ... 12, using: &rng)) }
                let labels: [Int64] = (0 ..< positions).map { p in
                    ignoredEvery > 0 && p % ignoredEvery == 1 ? -100 : Int64(Int.random(in: 0 ... classes, using: &rng))
                }
                for layout in WeightsLayout.allCases {
                    // NaN weights at the ignored positions: neither checked nor used.
                    var w: [Float] = randomWeights(layout == .perElement ? n : positions, &rng)
                    func position(_ e: Int) -> Int { (e / (classes * inner)) * inner + e % inner }
                    for k in w.indices where labels[layout == .perElement ? position(k) : k] == -100 { w[k] = .nan }
                    var keptX: [Float] = [], keptT: [Float] = [], keptW: [Float] = [], keptIndex = [Int?](repeating: nil, count: n)
                    for e in 0 ..< n where labels[position(e)] != -100 {
                        keptIndex[e] = keptX.count
                        keptX.append(x[e]); keptT.append(labels[position(e)] == Int64((e / inner) % classes) ? 1 : 0)
                        keptW.append(layout == .perElement ? w[e] : w[position(e)])
                    }
                    for reduction in Reduction.allCases {
                        var options = SigmoidFocalOptions()
                        options.reduction = reduction; options.precision = precision; options.gamma = 0.5
                        let run = try labelsWeighted(x, labels, w, layout, (batch, classes, inner), options: options)
                        let dense = try sigmoidWeighted(keptX, keptT, keptW, .perElement, (1, 1, keptX.count), options: options)
                        let context = "\(batch)x\(classes)x\(inner) ignored every \(ignoredEvery) \(layout) \(reduction)"
                        var bad = 0
                        for e in 0 ..< n {
                            if let k = keptIndex[e] {
                                if !sameBits(run.grad[e], dense.grad[k]) { bad += 1 }
                                if reduction == .none && !sameBits(run.loss[e], dense.loss[k]) { bad += 1 }
                            } else if !sameBits(run.grad[e], 0) || (reduction == .none && !sameBits(run.loss[e], 0)) {
                                bad += 1
                            }
                        }
                        #expect(bad == 0, "\(context): \(bad) differ")
                        if reduction != .none { #expect(sameBits(run.loss[0], dense.loss[0]), "\(context)") }
                        let positives = labels.filter { $0 >= 0 && $0 < Int64(classes) }.count
                        #expect(run.stats?.positives == Double(positives), "\(context)")
                        #expect(run.stats?.weightSum == dense.stats?.weightSum, "\(context)")
                        #expect(run.stats?.divisor == (reduction == .mean ? Double(keptX.count) : 1), "\(context)")
                    }
                }
            }
        }
    }

    @Test func labelsErrors() throws {
        let x: [Double] = [1, 2, 3, 4, 5, 6]
        var caught: FocalError? = nil
        do { _ = try labelsWeighted(x, [0, 1], [1, -2], .perPosition, (2, 3, 1), options: SigmoidFocalOptions()) } catch { caught = error }
        #expect(caught?.kind == .invalidWeight && caught?.message.hasPrefix("weights[1] = ") == true)
        caught = nil
        do { _ = try labelsWeighted(x, [0, -100], [1, 1, 1, 1, .nan, 1], .perElement, (2, 3, 1), options: SigmoidFocalOptions()) } catch { caught = error }
        #expect(caught == nil, "a NaN weight of an ignored position is not checked")
        do { _ = try labelsWeighted(x, [0, 1], [1, 1, 1, 1, .nan, 1], .perElement, (2, 3, 1), options: SigmoidFocalOptions()) } catch { caught = error }
        #expect(caught?.kind == .invalidWeight && caught?.message.hasPrefix("weights[4] = ") == true)
    }

    // MARK: Softmax

    @Test(arguments: [Precision.exact, .fast])
    func softmaxAgainstReference(precision: Precision) throws {
        var rng = SplitMix(seed: 45)
        for (batch, classes, inner) in [(9, 3, 1), (6, 10, 1), (3, 19, 1), (2, 5, 7)] {
            let positions = batch * inner, n = positions * classes
            let x = (0 ..< n).map { _ in Double(Float(Double.random(in: -8 ... 8, using: &rng))) }
            let y: [Int64] = (0 ..< positions).map { p in p % 5 == 2 ? -100 : Int64(Int.random(in: 0 ..< classes, using: &rng)) }
            let w: [Double] = (randomWeights(positions, &rng) as [Float]).map { Double($0) }
            let alpha = (0 ..< classes).map { Double($0 % 3) * 0.5 + 0.25 }
            for smoothing in [0, 0.1] {
                for gamma in [0, 0.5, 2] {
                    var options = SoftmaxFocalOptions()
                    options.gamma = gamma; options.labelSmoothing = smoothing; options.reduction = .none
                    options.precision = precision
                    let f = try softmaxWeighted(x.map { Float($0) }, y, w.map { Float($0) }, (batch, classes, inner), alpha: alpha, options: options)
                    let d = try softmaxWeighted(x, y, w, (batch, classes, inner), alpha: alpha, options: options)
                    var divisor: Wide = 0
                    var sum: Wide = 0
                    for p in 0 ..< positions {
                        let (b, i) = (p / inner, p % inner)
                        let row = (0 ..< classes).map { c in Wide(x[(b * classes + c) * inner + i]) }
                        let context = "C=\(classes) inner=\(inner) p=\(p) γ=\(gamma) ε=\(smoothing)"
                        guard y[p] >= 0 else {
                            #expect(f.loss[p] == 0 && d.loss[p] == 0, "\(context)")
                            continue
                        }
                        let a = (0 ..< classes).map { c in
                            Wide(alpha[c]) * ((c == Int(y[p]) ? Wide(1 - smoothing) : 0) + Wide(smoothing) / Wide(classes))
                        }
                        let r = softmaxRowReference(row, weights: a, gamma: Wide(gamma))
                        let we = Wide(w[p])
                        divisor += we * Wide(alpha[Int(y[p])])
                        sum += we * r.loss
                        let bound = precision == .fast && smoothing == 0 ? 16.0 : 2
                        #expect(ulps(f.loss[p], r.loss * we) <= bound + 0.5, "f32 \(context)")
                        #expect(relative(d.loss[p], r.loss * we, scale: r.loss * we) <= 1e-10, "f64 \(context)")
                        for c in 0 ..< classes {
                            let e = (b * classes + c) * inner + i
                            #expect(relative(d.grad[e], r.grad[c] * we, scale: r.gradScale[c] * we) <= 1e-10, "f64 grad \(context) c=\(c)")
                            #expect(relative(f.grad[e].double, r.grad[c] * we, scale: r.gradScale[c] * we) <= 4e-6, "f32 grad \(context) c=\(c)")
                        }
                    }
                    #expect(d.stats?.positives ?? 0 == Double(divisor) || relative(d.stats!.positives, divisor, scale: divisor) < 1e-15)
                    options.reduction = .mean
                    let mean = try softmaxWeighted(x, y, w, (batch, classes, inner), alpha: alpha, options: options)
                    #expect(relative(mean.loss[0], sum / divisor, scale: sum / divisor) <= 1e-10)
                    #expect(mean.stats?.divisor == mean.stats?.positives)
                }
            }
        }
    }

    @Test(arguments: [Precision.exact, .fast])
    func softmaxOnesAndNilAreTheUnweightedCall(precision: Precision) throws {
        var rng = SplitMix(seed: 46)
        for (batch, classes, inner) in [(7, 3, 1), (40, 10, 1), (300, 80, 1), (3, 5, 900), (2, 19, 1)] {
            let positions = batch * inner, n = positions * classes
            let x: [Float] = (0 ..< n).map { (k: Int) -> Float in
                k % 29 == 3 ? -Float.infinity : Float(Double.random(in: -10 ... 10, using: &rng))
            }
            let y: [Int] = (0 ..< positions).map { p in p % 6 == 1 ? -100 : Int.random(in: 0 ..< classes, using: &rng) }
            let up = (0 ..< positions).map { _ in Float(Double.random(in: 0 ... 2, using: &rng)) }
            let g0 = (0 ..< n).map { _ in Float(Double.random(in: -1 ... 1, using: &rng)) }
            for alpha in [nil, (0 ..< classes).map { Double($0 + 1) }] as [[Double]?] {
                for reduction in Reduction.allCases {
                    for accumulate in [false, true] {
                        var options = SoftmaxFocalOptions()
                        options.reduction = reduction; options.precision = precision; options.accumulateGradient = accumulate
                        let upstream = reduction == .none ? up : [1.5]
                        var plain = Outputs(loss: [Float](repeating: -7, count: reduction == .none ? positions : 1), grad: g0)
                        try runSoftmax(x, y, batch: batch, classes: classes, inner: inner, alpha: alpha, options: options,
                                       upstream: upstream, int32Targets: false, &plain)
                        for w in [nil, [Float](repeating: 1, count: positions)] {
                            let run = try softmaxWeighted(x, y.map { Int64($0) }, w, (batch, classes, inner), alpha: alpha,
                                                          options: options, upstream: upstream, initialGrad: g0)
                            let context = "\(batch)x\(classes)x\(inner) \(reduction) α=\(alpha != nil) accumulate=\(accumulate)"
                            #expect(sameArrays(run.loss, plain.loss), "\(context)")
                            #expect(sameArrays(run.grad, plain.grad), "\(context)")
                        }
                    }
                }
            }
        }
    }

    @Test func softmaxZeroWeightIsIgnored() throws {
        // Rows: a NaN row and a +∞ row of weight 0 are left out; the ignored-position twin agrees bit for bit.
        let x: [Float] = [.nan, 1, 2, 3, .infinity, 0, 1, 2, 3, 0.5, -1, 2]
        let g0: [Float] = [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]
        for accumulate in [false, true] {
            for reduction in Reduction.allCases {
                var options = SoftmaxFocalOptions()
                options.reduction = reduction; options.accumulateGradient = accumulate
                let weighted = try softmaxWeighted(x, [0, 1, 2, 1], [0, 0, 2, 1], (4, 3, 1), options: options, initialGrad: g0)
                let ignored = try softmaxWeighted(x, [-100, -100, 2, 1], [1, 1, 2, 1], (4, 3, 1), options: options, initialGrad: g0)
                #expect(sameArrays(weighted.loss, ignored.loss) && sameArrays(weighted.grad, ignored.grad), "\(reduction) \(accumulate)")
                #expect(weighted.stats == FocalStats(positives: 3, weightSum: 3, divisor: reduction == .mean ? 3 : 1))
            }
        }
    }

    @Test func softmaxErrors() throws {
        let x: [Double] = [1, 2, 3, 4, 5, 6]
        var caught: FocalError? = nil
        do { _ = try softmaxWeighted(x, [0, 1], [1, -1], (2, 3, 1), options: SoftmaxFocalOptions()) } catch { caught = error }
        #expect(caught?.kind == .invalidWeight && caught?.message.hasPrefix("weights[1] = ") == true)
        caught = nil
        do { _ = try softmaxWeighted(x, [-100, 1], [.nan, 1], (2, 3, 1), options: SoftmaxFocalOptions()) } catch { caught = error }
        #expect(caught == nil, "an ignored position's weight is not checked")
        do { _ = try softmaxWeighted(x, [0, 1], [1], (2, 3, 1), options: SoftmaxFocalOptions()) } catch { caught = error }
        #expect(caught?.kind == .invalidShape)
    }

    // MARK: Threads

    @Test func everyFamilyIsBitwiseTheSameOnOneAndTwoThreads() throws {
        var rng = SplitMix(seed: 47)
        let (batch, classes, inner) = (2048, 80, 1)
        let n = batch * classes
        let x = (0 ..< n).map { _ in Float(Double.random(in: -12 ... 12, using: &rng)) }
        let t: [Float] = (0 ..< n).map { (k: Int) -> Float in k % 97 == 0 ? 1 : 0 }
        let w: [Float] = randomWeights(n, &rng), wp: [Float] = randomWeights(batch, &rng)
        let labels: [Int64] = (0 ..< batch).map { p in p % 9 == 0 ? -100 : Int64(Int.random(in: 0 ... classes, using: &rng)) }
        for precision in [Precision.exact, .fast] {
            for reduction in [Reduction.none, .mean] {
                var runs: [[[Float]]] = []
                var stats: [[FocalStats?]] = []
                for threads in [1, 2, 3] {
                    var o = SigmoidFocalOptions()
                    o.threads = threads; o.precision = precision; o.reduction = reduction
                    var so = SoftmaxFocalOptions()
                    so.threads = threads; so.precision = precision; so.reduction = reduction
                    let a = try sigmoidWeighted(x, t, w, .perElement, (batch, classes, inner), options: o)
                    let b = try labelsWeighted(x, labels, wp, .perPosition, (batch, classes, inner), options: o)
                    let c = try softmaxWeighted(x, labels.map { $0 == Int64(classes) ? 0 : $0 }, wp, (batch, classes, inner), options: so)
                    runs.append([a.loss, a.grad, b.loss, b.grad, c.loss, c.grad])
                    stats.append([a.stats, b.stats, c.stats])
                }
                for k in 1 ..< runs.count {
                    for (u, v) in zip(runs[0], runs[k]) { #expect(sameArrays(u, v), "\(precision) \(reduction)") }
                    #expect(stats[0] == stats[k])
                }
            }
        }
    }
}
