@testable import FocalLossCore
import Glibc
import Testing

// Every instruction-set build of the kernels this CPU can run (the shipped library picks one
// at run time) against the Float80 reference with the bounds of SigmoidTests/SoftmaxTests, and
// bitwise identical for every thread count on problems large enough for many chunks, in both
// softmax layouts.

let runnableInstructionSets = InstructionSet.allCases.filter { $0 <= InstructionSet.supported }

struct InstructionSetTests {
    @Test(arguments: runnableInstructionSets)
    func sigmoidMatchesReference(instructionSet: InstructionSet) throws {
        var rng = SplitMix(seed: 21)
        var x: [Double] = [], t: [Double] = []
        for target in sigmoidTargets {
            for logit in extremeLogits + (0 ..< 60).map({ _ in Double.random(in: -40 ... 40, using: &rng) }) {
                x.append(logit); t.append(target)
            }
        }
        for gamma in gammas {
            for alpha in sigmoidAlphas {
                var options = SigmoidFocalOptions()
                options.alpha = alpha; options.gamma = gamma; options.instructionSet = instructionSet
                let out64 = try sigmoid(Double.self, logits: x, targets: t, options: options)
                let x32 = x.map { Double(Float($0)) }, t32 = t.map { Double(Float($0)) }
                let out32 = try sigmoid(Float.self, logits: x32, targets: t32, options: options)
                for i in x.indices {
                    let ref = sigmoidReference(x: Wide(x[i]), t: Wide(t[i]), alpha: alpha.map { Wide($0) }, gamma: Wide(gamma))
                    #expect(relative(out64.loss[i], ref.loss, scale: abs(ref.loss)) <= doubleBound, "\(instructionSet) x=\(x[i]) t=\(t[i])")
                    #expect(relative(out64.grad[i], ref.grad, scale: ref.gradScale) <= doubleBound, "\(instructionSet) x=\(x[i]) t=\(t[i])")
                    let ref32 = sigmoidReference(x: Wide(x32[i]), t: Wide(t32[i]), alpha: alpha.map { Wide(Float($0)) },
                                                 gamma: Wide(gamma))
                    var gradUlps = ulps(out32.grad[i], ref32.grad)
                    if gradUlps > floatUlpBound, relative(Double(out32.grad[i]), ref32.grad, scale: ref32.gradScale) <= 1e-7 { gradUlps = 0 }
                    #expect(ulps(out32.loss[i], ref32.loss) <= floatUlpBound, "\(instructionSet) x=\(x32[i]) t=\(t32[i])")
                    #expect(gradUlps <= floatUlpBound, "\(instructionSet) x=\(x32[i]) t=\(t32[i])")
                }
            }
        }
    }

    @Test(arguments: runnableInstructionSets)
    func softmaxMatchesReference(instructionSet: InstructionSet) throws {
        for (k, config) in [(3, 1, 5.0), (80, 1, 8.0), (19, 7, 6.0), (5, 3, 1e4)].enumerated() {
            let (classes, inner, scale) = config
            let problem = SoftmaxProblem(batch: 5, classes: classes, inner: inner, scale: scale, ignoreEvery: 4,
                                         seed: UInt64(31 + k))
            let weights: [Double]? = k % 2 == 0 ? nil : (0 ..< classes).map { Double($0 % 4) * 0.5 }
            for gamma in gammas {
                for smoothing in [0, 0.2] {
                    var options = SoftmaxFocalOptions()
                    options.gamma = gamma; options.labelSmoothing = smoothing; options.reduction = .none
                    options.instructionSet = instructionSet
                    let out = try softmax(Double.self, logits: problem.logits, targets: problem.targets, batch: 5,
                                          classes: classes, inner: inner, alpha: weights, options: options)
                    for position in 0 ..< 5 * inner where problem.targets[position] != -100 {
                        let ref = softmaxRowReference(problem.row(position).map { Wide($0) },
                                                      weights: problem.targetWeights(problem.targets[position], alpha: weights,
                                                                                     smoothing: smoothing),
                                                      gamma: Wide(gamma))
                        #expect(relative(out.loss[position], ref.loss, scale: abs(ref.loss)) <= doubleBound,
                                "\(instructionSet) C=\(classes) inner=\(inner) gamma=\(gamma) position \(position)")
                        for c in 0 ..< classes {
                            let g = out.grad[problem.index(position, c)]
                            #expect(relative(g, ref.grad[c], scale: ref.gradScale[c]) <= doubleBound,
                                    "\(instructionSet) C=\(classes) inner=\(inner) gamma=\(gamma) position \(position) class \(c)")
                        }
                    }
                }
            }
        }
    }

    /// Sizes that give many chunks and, for softmax, many row groups and tiles, some partial.
    @Test(arguments: runnableInstructionSets)
    func bitwiseIdenticalForEveryThreadCount(instructionSet: InstructionSet) throws {
        var rng = SplitMix(seed: 41)
        let n = 200_003
        let x = (0 ..< n).map { _ in Double.random(in: -12 ... 12, using: &rng) }
        let t = (0 ..< n).map { i in i % 7 == 0 ? Double.random(in: 0 ... 1, using: &rng) : Double(i % 2) }
        for reduction in Reduction.allCases {
            var options = SigmoidFocalOptions()
            options.reduction = reduction; options.instructionSet = instructionSet
            options.threads = 1
            let one = try sigmoid(Float.self, logits: x, targets: t, options: options)
            for threads in [2, 3, 8] {
                options.threads = threads
                let many = try sigmoid(Float.self, logits: x, targets: t, options: options)
                #expect(one.loss.map(\.bitPattern) == many.loss.map(\.bitPattern), "\(instructionSet) \(reduction) \(threads)")
                #expect(one.grad.map(\.bitPattern) == many.grad.map(\.bitPattern), "\(instructionSet) \(reduction) \(threads)")
            }
        }
        for (batch, classes, inner) in [(4001, 37, 1), (3, 11, 6007)] {
            let problem = SoftmaxProblem(batch: batch, classes: classes, inner: inner, scale: 9, ignoreEvery: 13, seed: 43)
            for smoothing in [0, 0.1] {
                var options = SoftmaxFocalOptions()
                options.reduction = .sum; options.labelSmoothing = smoothing; options.instructionSet = instructionSet
                options.threads = 1
                let one = try softmax(Double.self, logits: problem.logits, targets: problem.targets, batch: batch,
                                      classes: classes, inner: inner, options: options)
                options.threads = 3
                let many = try softmax(Double.self, logits: problem.logits, targets: problem.targets, batch: batch,
                                       classes: classes, inner: inner, options: options)
                #expect(one.loss.map(\.bitPattern) == many.loss.map(\.bitPattern), "\(instructionSet) C=\(classes) inner=\(inner)")
                #expect(one.grad.map(\.bitPattern) == many.grad.map(\.bitPattern), "\(instructionSet) C=\(classes) inner=\(inner)")
            }
        }
    }

    /// More classes than the kernels' scratch holds (4096 e^{d_c}): the row and tile paths that
    /// recompute e^{d_c} in the gradient pass. Without smoothing the reference is O(C) per row:
    /// `ℓ = −m_y^γ·log p_y` with `m_y` the sum of the other probabilities, and
    /// `∂ℓ/∂x_j = D·([j = y] − p_j)`, `D = f'(log p_y)` (SoftmaxFocalKernel.swift).
    @Test(arguments: runnableInstructionSets)
    func moreClassesThanTheScratchHolds(instructionSet: InstructionSet) throws {
        let classes = 5000
        for inner in [1, 3] {
            let problem = SoftmaxProblem(batch: 2, classes: classes, inner: inner, scale: 20, seed: 51)
            var options = SoftmaxFocalOptions()
            options.reduction = .none; options.instructionSet = instructionSet
            let out = try softmax(Double.self, logits: problem.logits, targets: problem.targets, batch: 2,
                                  classes: classes, inner: inner, options: options)
            for position in 0 ..< 2 * inner {
                let x = problem.row(position).map { Wide($0) }, y = problem.targets[position]
                let top = x.max()!
                let e = x.map { exp($0 - top) }
                let z = e.reduce(0, +)
                let p = e.map { $0 / z }
                let m = (0 ..< classes).reduce(Wide(0)) { $1 == y ? $0 : $0 + p[$1] }
                let u = log(p[y])
                let gamma: Wide = 2
                let loss = -m * m * u
                let d = -m * m + gamma * p[y] * u * m
                #expect(relative(out.loss[position], loss, scale: abs(loss)) <= doubleBound, "\(instructionSet) inner=\(inner)")
                for c in 0 ..< classes {
                    let g = d * ((c == y ? 1 : 0) - p[c])
                    #expect(relative(out.grad[problem.index(position, c)], g, scale: abs(g)) <= doubleBound,
                            "\(instructionSet) inner=\(inner) position \(position) class \(c)")
                }
            }
        }
    }
}
