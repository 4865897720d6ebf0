import FocalLossCore
import Foundation
import Testing

// The core against outputs of the real peers, recorded by Tests/golden/make_golden.py into
// Tests/golden/peers.json (torchvision.ops.sigmoid_focal_loss, torch cross_entropy at γ = 0,
// kornia.losses.focal_loss). No peer is needed to run these.
//
// Tolerances: the peers are the reference only as far as they are right. In float64 they
// agree with the exact contract to ~1e-13 (torchvision to 2e-10 at |x| = 15..30, where it
// forms 1 − p by subtraction), so we require 1e-9 relative. In float32 they are off by up to
// ~7e-5 relative (their own rounding, not ours), so we require 2e-4 relative, with an
// absolute floor of 1e-6 of the case's largest value. Where a peer rounds p_t to exactly 1
// ("saturated" cases) its loss is 0 and ours is the tiny true value: an absolute tolerance.
// Where the peer's gradient is NaN (torchvision at γ < 1 when p_t rounds to 1), ours must be
// finite: that is the point of the library. Only a mean over zero total weight is 0 / 0 for
// both of us, loss and gradient alike.

struct GoldenCase: Sendable {
    let name: String
    let peer: String
    let family: String
    let isFloat32: Bool
    let shape: [Int]
    let logits: [Double]
    let sigmoidTargets: [Double]
    let classTargets: [Int]
    let alpha: Double?
    let classWeights: [Double]?
    let gamma: Double
    let ignoreIndex: Int64
    let labelSmoothing: Double
    let reduction: Reduction
    let loss: [Double]
    let grad: [Double]
    let saturated: Bool
    let extreme: Bool
    let contractLoss: Double?
}

private func number(_ value: Any) -> Double {
    if let string = value as? String {
        switch string {
        case "nan": return .nan
        case "inf": return .infinity
        case "-inf": return -.infinity
        default: fatalError("unexpected number \(string)")
        }
    }
    return (value as! NSNumber).doubleValue
}

private func numbers(_ value: Any?) -> [Double] {
    if let list = value as? [Any] { return list.map(number) }
    if let value { return [number(value)] }
    return []
}

let goldenCases: [GoldenCase] = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("golden/peers.json")
    let data = try! Data(contentsOf: url)
    let root = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    return (root["cases"] as! [[String: Any]]).map { c in
        let family = c["family"] as! String
        let reduction: Reduction = switch c["reduction"] as! String {
        case "none": .none
        case "sum": .sum
        default: .mean
        }
        return GoldenCase(
            name: c["name"] as! String, peer: c["peer"] as! String, family: family,
            isFloat32: c["dtype"] as! String == "float32",
            shape: (c["shape"] as! [NSNumber]).map(\.intValue),
            logits: numbers(c["logits"]),
            sigmoidTargets: family == "sigmoid" ? numbers(c["targets"]) : [],
            classTargets: family == "softmax" ? (c["targets"] as! [NSNumber]).map(\.intValue) : [],
            alpha: family == "sigmoid" ? (c["alpha"] as? NSNumber)?.doubleValue : nil,
            classWeights: family == "softmax" ? (c["alpha"] as? [NSNumber])?.map(\.doubleValue) : nil,
            gamma: number(c["gamma"]!),
            ignoreIndex: (c["ignore_index"] as? NSNumber)?.int64Value ?? -100,
            labelSmoothing: (c["label_smoothing"] as? NSNumber)?.doubleValue ?? 0,
            reduction: reduction,
            loss: numbers(c["loss"]),
            grad: numbers(c["grad"]),
            saturated: c["saturated"] as? Bool ?? false,
            extreme: c["extreme"] as? Bool ?? false,
            contractLoss: c["expected_contract_loss"].map(number))
    }
}()

/// Runs the core on a golden case, in the case's dtype, widened to Double.
func runGolden(_ g: GoldenCase) throws -> (loss: [Double], grad: [Double]) {
    func run<T: Storage>(_: T.Type) throws -> (loss: [Double], grad: [Double]) {
        let out: Outputs<T>
        if g.family == "sigmoid" {
            var options = SigmoidFocalOptions()
            options.alpha = g.alpha; options.gamma = g.gamma; options.reduction = g.reduction
            out = try sigmoid(T.self, logits: g.logits, targets: g.sigmoidTargets, options: options)
        } else {
            var options = SoftmaxFocalOptions()
            options.gamma = g.gamma; options.reduction = g.reduction
            options.ignoreIndex = g.ignoreIndex; options.labelSmoothing = g.labelSmoothing
            out = try softmax(T.self, logits: g.logits, targets: g.classTargets, batch: g.shape[0], classes: g.shape[1],
                              inner: g.shape.dropFirst(2).reduce(1, *), alpha: g.classWeights, options: options)
        }
        return (out.loss.map(\.double), out.grad.map(\.double))
    }
    return g.isFloat32 ? try run(Float.self) : try run(Double.self)
}

struct GoldenTests {
    @Test func everyPeerIsRepresented() {
        let peers = Set(goldenCases.map(\.peer))
        #expect(peers == ["torchvision.ops.sigmoid_focal_loss", "torch.nn.functional.cross_entropy", "kornia.losses.focal_loss"])
        #expect(goldenCases.count > 500)
    }

    @Test(arguments: ["torchvision.ops.sigmoid_focal_loss", "torch.nn.functional.cross_entropy", "kornia.losses.focal_loss"])
    func matchesPeer(peer: String) throws {
        var worst = (f64: 0.0, f32: 0.0)
        var peerNaNGradients = 0
        for g in goldenCases where g.peer == peer {
            let ours = try runGolden(g)
            let relativeBound = g.isFloat32 ? 2e-4 : 1e-9
            let scale = (g.loss + g.grad).filter(\.isFinite).map(abs).max() ?? 0
            // Extreme float64 cases (|x| = 15, 30): torch evaluates log(1 + e^{-|x|}) and 1 − p
            // with an absolute error of a few ulps of 1, so tiny values are only that good.
            let floor = g.isFloat32 ? 1e-6 * max(scale, 1e-3) : g.extreme ? 4e-16 * max(scale, 1) : 1e-300
            func close(_ a: Double, _ b: Double, _ what: String) {
                if b.isNaN {
                    if what == "grad" && !(g.loss.first?.isNaN ?? false) {
                        // The peer's NaN is its bug; ours must be a number.
                        peerNaNGradients += 1
                        #expect(a.isFinite, "\(g.name): \(what) must be finite where the peer gives NaN")
                    } else {
                        #expect(a.isNaN, "\(g.name): \(what) \(a) vs peer NaN")
                    }
                    return
                }
                let tolerance = g.saturated ? max(relativeBound * abs(b), 1e-6 * max(scale, 1)) : max(relativeBound * abs(b), floor)
                let error = abs(a - b)
                #expect(error <= tolerance, "\(g.name): \(what) \(a) vs peer \(b)")
                if !g.saturated && !g.extreme {
                    let r = error / max(abs(b), floor)
                    if g.isFloat32 { worst.f32 = max(worst.f32, r) } else { worst.f64 = max(worst.f64, r) }
                }
            }
            #expect(ours.loss.count == g.loss.count, "\(g.name)")
            for (a, b) in zip(ours.loss, g.loss) { close(a, b, "loss") }
            #expect(ours.grad.count == g.grad.count, "\(g.name)")
            for (a, b) in zip(ours.grad, g.grad) { close(a, b, "grad") }
            if let contract = g.contractLoss {
                if contract.isNaN {
                    #expect(ours.loss[0].isNaN, "\(g.name): contract loss")
                } else {
                    #expect(abs(ours.loss[0] - contract) <= max(relativeBound * abs(contract), floor), "\(g.name): contract loss")
                }
            }
        }
        print("golden \(peer): max relative difference float64 \(worst.f64), float32 \(worst.f32); peer NaN gradients where ours are finite: \(peerNaNGradients)")
    }
}
