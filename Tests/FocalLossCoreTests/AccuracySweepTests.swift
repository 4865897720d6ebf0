// The dense accuracy sweep behind README's accuracy table: `make accuracy`, i.e.
//
//     FOCALLOSS_ACCURACY_SWEEP=1 swift test --filter AccuracySweep
//
// Skipped (and reported as skipped) in a plain `swift test`: SigmoidTests, SoftmaxTests and
// InstructionSetTests check the same bounds on a sparse grid there. This one measures the
// kernels the library selects (`FOCALLOSS_INSTRUCTION_SET` picks another build) against the
// Float80 reference of Reference.swift with the error measures of those tests: ulps for
// float32, relative for float64 (the gradient relative to the sum of its terms' magnitudes),
// and asserts the same bounds, after printing its tables (worst over the grid, and over the
// inputs where nothing cancels) and the worst inputs of each group.
// `FOCALLOSS_ACCURACY_GAMMAS=0,2,64` replaces the γ list.
//
// Sigmoid: logits are one float32 drawn at random from every `sigmoidStride` consecutive
// float32 bit patterns with 2^-30 ≤ |x| ≤ 1e4, both signs, plus special values and every
// float32 within 512 ulps of each soft target's crossing σ(x) = t; float64 takes each of them
// moved off the float32 grid by a random fraction of a float32 ulp. Every logit meets every
// target of `sweepSigmoidTargets`, α = 0.25 and α off, every γ. Hard targets go through both
// kernel paths: blocks of hard targets only, and blocks that mix in soft ones. Results are
// grouped by hard targets, soft targets, and soft targets with |σ(x) − t| < 1e-4 (where the
// gradient σ(x) − t of γ = 0 cancels).
// The fast tier's sweeps take the same float32 inputs through `precision = .fast` and assert its
// bound, `fastUlpBound`, for γ ≤ 5: sigmoidFast the sigmoid logits with t = 0 and t = 1,
// softmaxFast the softmax rows without label smoothing.
//
// Softmax: rows of C classes for each C of `sweepClassCounts`: "margin" rows whose target
// logit is swept like the sigmoid logits over ±[2^-20, 1e4] while the other classes are
// uniform in [−1, 1], and random rows uniform in [−s, s] for s = 1, 10, 100 with a random
// target; label smoothing 0 and 0.1, class weights off and on, every γ, in both memory
// layouts (N, C) and (1, C, N). Float32 rows are float-valued; float64 rows are moved off
// the float32 grid as the sigmoid logits are.
import Dispatch
import FocalLossCore
import Glibc
import Testing

let accuracySweepRequested: Bool = {
    guard let value = getenv("FOCALLOSS_ACCURACY_SWEEP").map({ String(cString: $0) }) else { return false }
    return !value.isEmpty && value != "0"
}()

let sweepGammas: [Double] = {
    guard let list = getenv("FOCALLOSS_ACCURACY_GAMMAS").map({ String(cString: $0) }), !list.isEmpty else {
        return [0, 0.5, 1, 2, 3.7, 5, 10]
    }
    return list.split(separator: ",").map { part in
        guard let gamma = Double(part.trimmingCharacters()), gamma >= 0 else { fatalError("FOCALLOSS_ACCURACY_GAMMAS: bad γ '\(part)'") }
        return gamma
    }
}()

private extension Substring {
    func trimmingCharacters() -> Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// One float32 in every `sigmoidStride` consecutive bit patterns.
let sigmoidStride: UInt32 = 1024
let sweepSigmoidTargets: [Double] = [0, 1, 1e-6, 0.1, 0.37, 0.5, 0.9].map { Double(Float($0)) }
let sweepSigmoidAlphas: [Double?] = [0.25, nil]
/// The fast tier's contract (docs/accuracy.md): float32 loss and gradient within 16 ulps, γ ≤ 5.
let fastUlpBound = 16.0
let sweepClassCounts = [2, 3, 10, 100]
let sweepSmoothings = [0.0, 0.1]

// MARK: - Bookkeeping

/// The largest error of one kind, where it occurred, and how many elements exceeded the bound.
struct SweepMax: Sendable {
    var value = 0.0
    var at = ""
    var violations = 0
    var examples: [String] = []

    mutating func add(_ error: Double, bound: Double, _ at: @autoclosure () -> String) {
        if error > value || error.isNaN && !value.isNaN {
            value = error
            self.at = at()
        }
        if !(error <= bound) {
            violations += 1
            if examples.count < 5 { examples.append("\(at()): error \(error)") }
        }
    }

    mutating func merge(_ other: SweepMax) {
        if other.value > value || other.value.isNaN && !value.isNaN { value = other.value; at = other.at }
        violations += other.violations
        examples += other.examples.prefix(max(0, 5 - examples.count))
    }
}

struct SweepKey: Hashable, Comparable, Sendable {
    var family: String   // sigmoid, softmax
    var dtype: String    // float32, float64
    var gamma: Double
    var group: String    // sigmoid: hard / soft targets / near σ(x) = t; softmax: C = …, ε = …

    static func < (a: Self, b: Self) -> Bool {
        (a.family, a.dtype, a.gamma, a.group) < (b.family, b.dtype, b.gamma, b.group)
    }
}

struct SweepCell: Sendable {
    var loss = SweepMax()
    var grad = SweepMax()
    /// float32 gradients relative to the sum of their terms' magnitudes (the float64 measure,
    /// with the scale at least the smallest normal float32); reported, not asserted: the ulp
    /// measure above is the one the bound is on.
    var gradTerms = SweepMax()
    var elements = 0        // losses compared
    var gradients = 0       // gradient values compared
    /// float32 gradients over the ulp bound but within 1e-7 of their terms' magnitude (the soft-
    /// target cancellation the tests forgive, counted as 0 ulps as they do).
    var forgiven = 0

    mutating func merge(_ other: SweepCell) {
        loss.merge(other.loss); grad.merge(other.grad); gradTerms.merge(other.gradTerms)
        elements += other.elements; gradients += other.gradients; forgiven += other.forgiven
    }
}

typealias SweepTable = [SweepKey: SweepCell]

extension SweepTable {
    /// A call that threw: kept as a violation under its own key, so the sweep fails.
    static let failureKey = SweepKey(family: "error", dtype: "", gamma: 0, group: "")
    mutating func failed(_ message: String) {
        self[Self.failureKey, default: SweepCell()].loss.add(.infinity, bound: 0, message)
    }
}

func merge(_ tables: [SweepTable]) -> SweepTable {
    var total = SweepTable()
    for table in tables {
        for (key, cell) in table { total[key, default: SweepCell()].merge(cell) }
    }
    return total
}

/// Runs `work(i)` for i in 0 ..< count on every core and merges the tables.
func sweepInParallel(_ count: Int, _ work: @Sendable (Int) -> SweepTable) -> SweepTable {
    let results = UnsafeMutableBufferPointer<SweepTable>.allocate(capacity: count)
    results.initialize(repeating: [:])
    defer { results.deallocate() }
    nonisolated(unsafe) let out = results
    DispatchQueue.concurrentPerform(iterations: count) { i in out[i] = work(i) }
    return merge(Array(results))
}

typealias SweepReference = (loss: Wide, grad: Wide, gradScale: Wide)

/// One element's errors, with the tests' measures: float32 in ulps (a gradient over the bound
/// but within 1e-7 of its terms' magnitude counts as 0, as the tests allow for cancelling soft-
/// target terms), float64 relative to the value (loss) or to the gradient terms' magnitude.
func record<T: Storage>(_ cell: inout SweepCell, loss: T?, grad: T, reference ref: SweepReference,
                        floatBound: Double = floatUlpBound, _ at: @autoclosure () -> String) {
    if T.self == Float.self {
        if let loss {
            cell.loss.add(ulps(loss, ref.loss), bound: floatBound, at())
            cell.elements += 1
        }
        var gradUlps = ulps(grad, ref.grad)
        // Relative to the terms' magnitude, but never below the smallest normal float32: a gradient
        // rounded into float32's subnormal range is not 100% wrong.
        cell.gradTerms.add(relative(grad.double, ref.grad, scale: max(ref.gradScale, Wide(Float.leastNormalMagnitude))),
                           bound: .infinity, at())
        if gradUlps > floatBound, relative(grad.double, ref.grad, scale: ref.gradScale) <= 1e-7 {
            gradUlps = 0
            cell.forgiven += 1
        }
        cell.grad.add(gradUlps, bound: floatBound, at())
    } else {
        if let loss {
            cell.loss.add(relative(loss.double, ref.loss, scale: abs(ref.loss)), bound: doubleBound, at())
            cell.elements += 1
        }
        cell.grad.add(relative(grad.double, ref.grad, scale: ref.gradScale), bound: doubleBound, at())
    }
    cell.gradients += 1
}

/// A double near `x` that is not a float32: x moved by a random fraction in (−1/2, 1/2) of
/// its float32 ulp (0, ±∞ and the smallest values stay as they are).
func offFloatGrid(_ x: Double, _ rng: inout SplitMix) -> Double {
    let f = Float(x)
    guard f.isFinite, abs(f) >= Float.leastNormalMagnitude else { return x }
    return x + Double(f.ulp) * Double.random(in: -0.4999 ... 0.4999, using: &rng)
}

/// One float32 at random from every `stride` consecutive bit patterns of [low, high], positive.
func stratifiedFloats(_ low: Float, _ high: Float, stride: UInt32, seed: UInt64) -> [Float] {
    var rng = SplitMix(seed: seed)
    var out: [Float] = []
    var bits = low.bitPattern
    while bits <= high.bitPattern {
        let pick = bits &+ UInt32.random(in: 0 ..< stride, using: &rng)
        if pick <= high.bitPattern { out.append(Float(bitPattern: pick)) }
        let (next, overflow) = bits.addingReportingOverflow(stride)
        if overflow { break }
        bits = next
    }
    return out
}

func printSweepTable(_ table: SweepTable, title: String) {
    print("")
    print("accuracy sweep: \(title)")
    print("| family  | dtype   | γ    | max loss error  | max gradient error | float32 gradient, of terms | losses    | gradients  |")
    print("|---------|---------|------|-----------------|--------------------|----------------------------|-----------|------------|")
    for (key, cell) in table.sorted(by: { $0.key < $1.key }) {
        let float = key.dtype == "float32"
        func number(_ v: Double, _ width: Int) -> String {
            (float ? String(format: "%.4f", v) + " ulp" : String(format: "%.2e", v) + " rel").padding(width)
        }
        let terms = float ? String(format: "%.2e", cell.gradTerms.value) + " rel" : "(same)"
        print("| \(key.family.padding(7)) | \(key.dtype.padding(7)) | \(String(format: "%g", key.gamma).padding(4)) | "
              + "\(number(cell.loss.value, 15)) | \(number(cell.grad.value, 18)) | \(terms.padding(26)) | "
              + "\(String(cell.elements).padding(9)) | \(String(cell.gradients).padding(10)) |")
    }
}

private extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    init(format: String, _ value: Double) {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([value]) { vsnprintf(&buffer, buffer.count, format, $0) }
        self = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

// MARK: - The sweep

@Suite(.serialized)
struct AccuracySweep {
    static let enabled = Testing.ConditionTrait.enabled(if: accuracySweepRequested,
                                                       "set FOCALLOSS_ACCURACY_SWEEP=1 to run it (make accuracy)")

    static let sigmoidLogits: [Float] = {
        let specials: [Float] = [0, .leastNonzeroMagnitude, .leastNormalMagnitude, 1e-38, 1e-30, 1e-20, 1e-10, 1e-8,
                                 88.72283, 88.72284, 103.97, 103.98, 104, 745.1, 745.2, 1e3, 9999, 1e4]
            + extremeLogits.map { Float(abs($0)) }
        let positive = stratifiedFloats(0x1p-30, 1e4, stride: sigmoidStride, seed: 101) + specials
        let negative = stratifiedFloats(0x1p-30, 1e4, stride: sigmoidStride, seed: 102).map { -$0 } + specials.map { -$0 }
        // Every float32 within 512 float32 ulps of each soft target's crossing σ(x) = t, where
        // σ(x) − t, the whole gradient at γ = 0, cancels.
        var crossings: [Float] = []
        for t in sweepSigmoidTargets where t != 0 && t != 1 {
            var f = Float(logl(Wide(t) / (1 - Wide(t))))
            for _ in 0 ..< 512 { f = f.nextDown }
            for _ in 0 ... 1024 { crossings.append(f); f = f.nextUp }
        }
        return positive + negative + crossings
    }()

    /// `work(k, logits)` over the sigmoid logits in chunks of 2048, chunk `k` at a time, on every
    /// core, the tables merged.
    static func overSigmoidLogits(_ work: @Sendable (_ chunk: Int, _ logits: [Float]) -> SweepTable) -> SweepTable {
        let logits = sigmoidLogits, chunk = 2048
        return sweepInParallel((logits.count + chunk - 1) / chunk) { k in
            work(k, Array(logits[k * chunk ..< min(logits.count, (k + 1) * chunk)]))
        }
    }

    @Test(enabled) func sigmoid() throws {
        let start = now()
        let logits = Self.sigmoidLogits
        let table = Self.overSigmoidLogits { k, chunk in
            let xs = chunk.map { Double($0) }
            var rng = SplitMix(seed: 1000 + UInt64(k))
            let xs64 = xs.map { offFloatGrid($0, &rng) }
            var table = SweepTable()
            for gamma in sweepGammas {
                for alpha in sweepSigmoidAlphas {
                    do {
                        try Self.sigmoidCase(xs, xs64, gamma: gamma, alpha: alpha, into: &table)
                    } catch {
                        table.failed("sigmoid γ=\(gamma) α=\(String(describing: alpha)): \(error)")
                    }
                }
            }
            return table
        }
        report(table, family: "sigmoid", started: start,
               grid: "\(logits.count) logits (one float32 per \(sigmoidStride) bit patterns in ±[2^-30, 1e4] + specials), "
                   + "targets \(sweepSigmoidTargets), α ∈ {0.25, off}, γ ∈ \(sweepGammas)")
    }

    /// The fast tier (`precision = .fast`: the float32 sigmoid's blocks of hard targets in
    /// float32 arithmetic) over the same logits with t = 0 and t = 1, against the same
    /// reference: within `fastUlpBound` for γ ≤ 5 (asserted), reported above.
    @Test(enabled) func sigmoidFast() throws {
        let start = now()
        let logits = Self.sigmoidLogits
        let table = Self.overSigmoidLogits { _, xs in
            var hardX: [Double] = [], hardT: [Double] = []
            for x in xs { hardX += [Double(x), Double(x)]; hardT += [0, 1] }
            var table = SweepTable()
            for gamma in sweepGammas {
                let bound = gamma <= 5 ? fastUlpBound : .infinity
                let key = SweepKey(family: "sigmoid fast", dtype: "float32", gamma: gamma,
                                   group: gamma <= 5 ? "hard targets" : "hard targets (γ > 5: reported, no bound)")
                var cell = table[key, default: SweepCell()]
                for alpha in sweepSigmoidAlphas {
                    var options = SigmoidFocalOptions()
                    options.gamma = gamma; options.alpha = alpha; options.threads = 1; options.precision = .fast
                    do {
                        let out = try FocalLossCoreTests.sigmoid(Float.self, logits: hardX, targets: hardT, options: options)
                        for i in hardX.indices {
                            let r = sigmoidReference(x: Wide(hardX[i]), t: Wide(hardT[i]), alpha: alpha.map { Wide($0) },
                                                     gamma: Wide(gamma))
                            record(&cell, loss: out.loss[i], grad: out.grad[i], reference: (r.loss, r.grad, r.gradScale),
                                   floatBound: bound, "x=\(hardX[i]) t=\(hardT[i]) α=\(alpha.map { "\($0)" } ?? "off")")
                        }
                    } catch {
                        table.failed("sigmoid fast γ=\(gamma) α=\(String(describing: alpha)): \(error)")
                    }
                }
                table[key] = cell
            }
            return table
        }
        report(table, family: "sigmoid fast", started: start,
               grid: "\(logits.count) float32 logits (as the sigmoid sweep's), targets {0, 1}, α ∈ {0.25, off}, "
                   + "γ ∈ \(sweepGammas), precision fast; bound \(fastUlpBound) ulps for γ ≤ 5")
    }

    /// One γ and α over a chunk of logits: each (x, t) against the reference, float32 at the
    /// float logits and float64 off the float grid, hard targets through both kernel paths.
    static func sigmoidCase(_ xs: [Double], _ xs64: [Double], gamma: Double, alpha: Double?, into table: inout SweepTable) throws {
        var options = SigmoidFocalOptions()
        options.gamma = gamma; options.alpha = alpha; options.threads = 1
        let targets = sweepSigmoidTargets
        let wideAlpha = alpha.map { Wide($0) }
        for (dtype, x) in [("float32", xs), ("float64", xs64)] {
            // Every (x, t): blocks that mix hard and soft targets (the soft-target path for all).
            var mixedX: [Double] = [], mixedT: [Double] = []
            mixedX.reserveCapacity(x.count * targets.count); mixedT.reserveCapacity(x.count * targets.count)
            for xi in x { for t in targets { mixedX.append(xi); mixedT.append(t) } }
            // (x, 0) and (x, 1) alone: blocks of hard targets only (the hard-target path).
            var hardX: [Double] = [], hardT: [Double] = []
            for xi in x { hardX += [xi, xi]; hardT += [0, 1] }
            let refs = zip(mixedX, mixedT).map { xi, t in
                let r = sigmoidReference(x: Wide(xi), t: Wide(t), alpha: wideAlpha, gamma: Wide(gamma))
                return (loss: r.loss, grad: r.grad, gradScale: r.gradScale)
            }
            // Soft targets within 1e-4 of the crossing σ(x) = t, apart: σ(x) − t cancels there.
            let nearCrossing = zip(mixedX, mixedT).map { xi, t in
                t != 0 && t != 1 && abs(1 / (1 + exp(-Wide(xi))) - Wide(t)) < 1e-4
            }
            let alphaName = alpha.map { "\($0)" } ?? "off"
            let hardKey = SweepKey(family: "sigmoid", dtype: dtype, gamma: gamma, group: "hard targets")
            let softKey = SweepKey(family: "sigmoid", dtype: dtype, gamma: gamma, group: "soft targets")
            let nearKey = SweepKey(family: "sigmoid", dtype: dtype, gamma: gamma, group: "soft targets, |σ(x) − t| < 1e-4")
            var hard = table[hardKey, default: SweepCell()], soft = table[softKey, default: SweepCell()]
            var near = table[nearKey, default: SweepCell()]
            func check<T: Storage>(_ type: T.Type) throws {
                let mixed = try FocalLossCoreTests.sigmoid(T.self, logits: mixedX, targets: mixedT, options: options)
                let alone = try FocalLossCoreTests.sigmoid(T.self, logits: hardX, targets: hardT, options: options)
                for i in mixedX.indices {
                    if mixedT[i] == 0 || mixedT[i] == 1 {
                        record(&hard, loss: mixed.loss[i], grad: mixed.grad[i], reference: refs[i],
                               "x=\(mixedX[i]) t=\(mixedT[i]) α=\(alphaName) (block of mixed targets)")
                    } else if nearCrossing[i] {
                        record(&near, loss: mixed.loss[i], grad: mixed.grad[i], reference: refs[i],
                               "x=\(mixedX[i]) t=\(mixedT[i]) α=\(alphaName)")
                    } else {
                        record(&soft, loss: mixed.loss[i], grad: mixed.grad[i], reference: refs[i],
                               "x=\(mixedX[i]) t=\(mixedT[i]) α=\(alphaName)")
                    }
                }
                for i in hardX.indices {
                    record(&hard, loss: alone.loss[i], grad: alone.grad[i], reference: refs[(i / 2) * targets.count + (i % 2)],
                           "x=\(hardX[i]) t=\(hardT[i]) α=\(alphaName) (block of hard targets)")
                }
            }
            if dtype == "float32" { try check(Float.self) } else { try check(Double.self) }
            table[hardKey] = hard
            table[softKey] = soft
            table[nearKey] = near
        }
    }
}

extension AccuracySweep {
    /// Prints the table by γ (all groups) and by group, the worst inputs and the run time, and
    /// asserts the bounds.
    func report(_ allResults: SweepTable, family: String, started: Double, grid: String) {
        var table = allResults
        if let failures = table.removeValue(forKey: SweepTable.failureKey) {
            Issue.record("\(family): \(failures.loss.violations) calls threw: \(failures.loss.examples)")
        }
        func byGamma(_ include: (SweepKey) -> Bool) -> SweepTable {
            var out = SweepTable()
            for (key, cell) in table where include(key) {
                var k = key
                k.group = ""
                out[k, default: SweepCell()].merge(cell)
            }
            return out
        }
        print("")
        print("accuracy sweep \(family), kernels \(InstructionSet.selected): \(grid)")
        printSweepTable(byGamma { _ in true }, title: "\(family), worst over the whole grid")
        let subset = family.hasPrefix("sigmoid") ? "hard targets only" : "no label smoothing (ε = 0) only"
        printSweepTable(byGamma { $0.group.hasPrefix("hard") || $0.group.hasSuffix("ε = 0.0") },
                        title: "\(family), \(subset): gradient terms of one sign, nothing cancels")
        print("")
        print("accuracy sweep \(family), by \(family.hasPrefix("sigmoid") ? "target kind" : "class count and smoothing") (worst inputs):")
        for (key, cell) in table.sorted(by: { $0.key < $1.key }) {
            let unit = key.dtype == "float32" ? "ulp" : "relative"
            print("  \(key.dtype) γ=\(key.gamma) \(key.group): loss \(cell.loss.value) \(unit) at \(cell.loss.at); "
                  + "gradient \(cell.grad.value) \(unit) at \(cell.grad.at)"
                  + (key.dtype == "float32" ? "; gradient of terms \(cell.gradTerms.value) at \(cell.gradTerms.at)" : "")
                  + (cell.forgiven > 0 ? "; \(cell.forgiven) float32 gradients over 2 ulps forgiven (≤ 1e-7 of terms)" : ""))
        }
        for (key, cell) in table.sorted(by: { $0.key < $1.key }) {
            let bound = key.dtype != "float32" ? doubleBound : key.family.hasSuffix("fast") ? fastUlpBound : floatUlpBound
            #expect(cell.loss.violations == 0,
                    "\(family) \(key.dtype) γ=\(key.gamma) \(key.group): \(cell.loss.violations) losses over \(bound): \(cell.loss.examples)")
            #expect(cell.grad.violations == 0,
                    "\(family) \(key.dtype) γ=\(key.gamma) \(key.group): \(cell.grad.violations) gradients over \(bound): \(cell.grad.examples)")
        }
        print("accuracy sweep \(family): \(String(format: "%.1f", now() - started)) s on \(ProcessInfoLite.cores) cores")
    }

    /// Rows of one class count: margin rows (the target logit swept, the others in [−1, 1]) and
    /// random rows, float-valued, each with its target.
    static func softmaxRows(classes: Int) -> (rows: [[Float]], targets: [Int], kinds: [String]) {
        // Fewer rows for more classes: the reference costs O(C²) per row.
        let stride: UInt32 = [2: 1 << 13, 3: 1 << 14, 10: 1 << 15, 100: 1 << 16][classes] ?? 1 << 15
        var rng = SplitMix(seed: 200 + UInt64(classes))
        var rows: [[Float]] = [], targets: [Int] = [], kinds: [String] = []
        let margins = stratifiedFloats(0x1p-20, 1e4, stride: stride, seed: 300 + UInt64(classes))
        for d in margins.map({ -$0 }) + [0, 1e-30] + margins {
            let y = Int.random(in: 0 ..< classes, using: &rng)
            var row = (0 ..< classes).map { _ in Float(Double.random(in: -1 ... 1, using: &rng)) }
            row[y] = d
            rows.append(row); targets.append(y); kinds.append("margin")
        }
        for scale in [1.0, 10, 100] {
            for _ in 0 ..< max(64, margins.count / 8) {
                rows.append((0 ..< classes).map { _ in Float(Double.random(in: -scale ... scale, using: &rng)) })
                targets.append(Int.random(in: 0 ..< classes, using: &rng))
                kinds.append("random ±\(scale)")
            }
        }
        // Ties: every logit equal.
        for v: Float in [0, 3, -50] {
            rows.append([Float](repeating: v, count: classes)); targets.append(classes - 1); kinds.append("tie")
        }
        return (rows, targets, kinds)
    }

    @Test(enabled) func softmax() throws { softmaxSweep(.exact) }

    /// The fast tier (`precision = .fast`: the float32 softmax's exponentials and gradients in
    /// float32 arithmetic) over the same rows without label smoothing (with it the fast tier is
    /// the exact one), float32 only: within `fastUlpBound` for γ ≤ 5 (asserted).
    @Test(enabled) func softmaxFast() throws { softmaxSweep(.fast) }

    func softmaxSweep(_ precision: Precision) {
        let start = now()
        let fast = precision == .fast
        let smoothings = fast ? [0.0] : sweepSmoothings
        let perCount = sweepClassCounts.map { Self.softmaxRows(classes: $0) }
        // Work items: (class count index, first row, row count), a few hundred thousand logits each.
        var items: [(Int, Int, Int)] = []
        for (k, classes) in sweepClassCounts.enumerated() {
            let rowsPerItem = max(16, 4096 / classes)
            var first = 0
            while first < perCount[k].rows.count {
                items.append((k, first, min(rowsPerItem, perCount[k].rows.count - first)))
                first += rowsPerItem
            }
        }
        let workItems = items
        let table = sweepInParallel(workItems.count) { w in
            let (k, first, count) = workItems[w]
            let classes = sweepClassCounts[k]
            let rows32 = perCount[k].rows[first ..< first + count].map { $0.map { Double($0) } }
            var rng = SplitMix(seed: 5000 + UInt64(w))
            let rows64 = rows32.map { $0.map { offFloatGrid($0, &rng) } }
            let targets = Array(perCount[k].targets[first ..< first + count])
            let kinds = Array(perCount[k].kinds[first ..< first + count])
            var table = SweepTable()
            for gamma in sweepGammas {
                for smoothing in smoothings {
                    for weighted in [false, true] {
                        let alpha: [Double]? = weighted ? (0 ..< classes).map { Double($0 % 4) * 0.5 } : nil
                        do {
                            try Self.softmaxCase(rows32, rows64, targets, kinds, classes: classes, gamma: gamma,
                                                 smoothing: smoothing, alpha: alpha, precision: precision, into: &table)
                        } catch {
                            table.failed("softmax C=\(classes) γ=\(gamma) ε=\(smoothing): \(error)")
                        }
                    }
                }
            }
            return table
        }
        let rowCounts = zip(sweepClassCounts, perCount).map { "\($1.rows.count) rows of C = \($0)" }.joined(separator: ", ")
        report(table, family: fast ? "softmax fast" : "softmax", started: start,
               grid: "\(rowCounts); label smoothing \(smoothings), class weights off and (c mod 4)/2, "
                   + "γ ∈ \(sweepGammas), layouts (N, C) and (1, C, N)"
                   + (fast ? ", precision fast, float32; bound \(fastUlpBound) ulps for γ ≤ 5" : ""))
    }

    static func softmaxCase(_ rows32: [[Double]], _ rows64: [[Double]], _ targets: [Int], _ kinds: [String], classes: Int,
                            gamma: Double, smoothing: Double, alpha: [Double]?, precision: Precision,
                            into table: inout SweepTable) throws {
        let n = rows32.count
        var options = SoftmaxFocalOptions()
        options.gamma = gamma; options.labelSmoothing = smoothing; options.reduction = .none; options.threads = 1
        options.precision = precision
        let fast = precision == .fast
        // The fast tier's bound holds for γ ≤ 5; above, its errors are reported only.
        let floatBound = fast ? (gamma <= 5 ? fastUlpBound : .infinity) : floatUlpBound
        let key32 = SweepKey(family: fast ? "softmax fast" : "softmax", dtype: "float32", gamma: gamma,
                             group: "C = \(classes), ε = \(smoothing)" + (fast && gamma > 5 ? " (γ > 5: reported, no bound)" : ""))
        let key64 = SweepKey(family: "softmax", dtype: "float64", gamma: gamma, group: "C = \(classes), ε = \(smoothing)")
        func weights(_ y: Int) -> [Wide] {
            (0 ..< classes).map { c in Wide(alpha?[c] ?? 1) * Wide((c == y ? 1 - smoothing : 0) + smoothing / Double(classes)) }
        }
        func check<T: Storage>(_ type: T.Type, _ rows: [[Double]], _ key: SweepKey) throws {
            let refs = rows.indices.map { r in
                softmaxRowReference(rows[r].map { Wide($0) }, weights: weights(targets[r]), gamma: Wide(gamma))
            }
            let flat = rows.flatMap { $0 }
            var transposed = [Double](repeating: 0, count: flat.count)
            for r in 0 ..< n { for c in 0 ..< classes { transposed[c * n + r] = rows[r][c] } }
            let byRow = try FocalLossCoreTests.softmax(T.self, logits: flat, targets: targets, batch: n, classes: classes,
                                                       alpha: alpha, options: options)
            let byClass = try FocalLossCoreTests.softmax(T.self, logits: transposed, targets: targets, batch: 1,
                                                         classes: classes, inner: n, alpha: alpha, options: options)
            var cell = table[key, default: SweepCell()]
            let alphaName = alpha == nil ? "off" : "(c mod 4)/2"
            for r in 0 ..< n {
                func at(_ layout: String, _ c: Int) -> String {
                    let row = rows[r]
                    let logits = classes <= 10 ? "\(row)" : "x_y=\(row[targets[r]]) max=\(row.max()!)"
                    return "C=\(classes) \(kinds[r]) row \(logits) y=\(targets[r]) class \(c) ε=\(smoothing) α=\(alphaName) \(layout)"
                }
                for c in 0 ..< classes {
                    let ref: SweepReference = (refs[r].loss, refs[r].grad[c], refs[r].gradScale[c])
                    record(&cell, loss: c == 0 ? byRow.loss[r] : nil, grad: byRow.grad[r * classes + c], reference: ref,
                           floatBound: floatBound, at("(N, C)", c))
                    record(&cell, loss: c == 0 ? byClass.loss[r] : nil, grad: byClass.grad[c * n + r], reference: ref,
                           floatBound: floatBound, at("(1, C, N)", c))
                }
            }
            table[key] = cell
        }
        try check(Float.self, rows32, key32)
        if !fast { try check(Double.self, rows64, key64) }
    }
}

enum ProcessInfoLite {
    static var cores: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
