// cxx_wrapper.cpp: focalloss from C++ through a dozen-line RAII wrapper.
//
// The library holds no resources of its own, so the wrapper owns what a training step needs:
// the options and the gradient buffer, reused from call to call and freed with the object; a
// failed call becomes an exception carrying the library's message. The program then checks the
// wrapper against the formula evaluated directly in long double, and checks that errors throw.
// Built with CMake against an installed library: see CMakeLists.txt beside it (`make test`
// builds and runs it).
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "focalloss.h"

namespace focal {  // ---- the wrapper: 12 lines ----
struct error : std::runtime_error { using std::runtime_error::runtime_error; };
inline void check(focal_status s) { if (s) throw error(std::string(focal_status_string(s)) + ": " + focal_last_error_message()); }
struct sigmoid_loss {  // the sum over elements / a normalizer (e.g. the positive anchors), and its gradient
    focal_sigmoid_options opt_ = FOCAL_SIGMOID_OPTIONS_INIT; std::vector<float> grad_;  // d loss / d logits, last call
    sigmoid_loss(double alpha, double gamma) { opt_.alpha = alpha, opt_.gamma = gamma, opt_.reduction = FOCAL_REDUCTION_MEAN, opt_.use_normalizer = 1; }
    float operator()(const std::vector<float> &x, const std::vector<float> &t, double normalizer) {
        if (t.size() != x.size()) throw error("logits and targets differ in size");
        float loss; opt_.normalizer = normalizer; grad_.resize(x.size());
        check(focal_sigmoid_f32(&opt_, int64_t(x.size()), x.data(), t.data(), nullptr, &loss, grad_.data()));
        return loss; }
    const std::vector<float> &grad() const { return grad_; }
};
}  // namespace focal

namespace {
// The focal loss of one hard-target element and its derivative, straight from the definition
// (DESIGN.md 1.1 and 1.4), in long double: p_t = sigmoid(x_t), x_t = (2t - 1) x; alpha < 0 disables it.
void reference(long double x, long double t, long double alpha, long double gamma, long double *loss, long double *grad) {
    long double xt = (2 * t - 1) * x, pt = 1 / (1 + std::exp(-xt)), at = alpha < 0 ? 1 : alpha * t + (1 - alpha) * (1 - t);
    *loss = -at * std::pow(1 - pt, gamma) * std::log(pt);
    *grad = (2 * t - 1) * -at * std::pow(1 - pt, gamma) * ((1 - pt) - gamma * pt * std::log(pt));
}

int failures = 0;
void expect(bool ok, const char *what, double got, double want) {
    if (!ok) ++failures;
    std::printf("%-34s %.9g (reference %.9g) %s\n", what, got, want, ok ? "ok" : "FAIL");
}
bool close(long double got, long double want) { return std::fabs(got - want) <= 1e-6L * (std::fabs(want) + 1e-30L); }
}  // namespace

int main() {
    // Six anchors x two classes: one positive, a missed positive, easy and hard negatives.
    const std::vector<float> logits = {3.0f, -4.0f, -2.5f, -6.0f, -5.0f, -7.0f, 1.5f, -3.0f, -8.0f, -0.5f, -4.5f, -9.0f};
    std::vector<float> targets(logits.size(), 0.0f);
    targets[0] = targets[3] = 1.0f;
    const double positives = 2.0;

    focal::sigmoid_loss focal_loss(0.25, 2);                     // the paper's alpha and gamma
    focal::sigmoid_loss cross_entropy(FOCAL_ALPHA_DISABLED, 0);  // gamma 0: binary cross-entropy
    for (focal::sigmoid_loss *f : {&focal_loss, &cross_entropy}) {
        const bool focal = f == &focal_loss;
        long double want = 0, l, g;
        const float got = (*f)(logits, targets, positives);
        for (size_t i = 0; i < logits.size(); ++i) {
            reference(logits[i], targets[i], focal ? 0.25L : -1.0L, focal ? 2.0L : 0.0L, &l, &g);
            want += l / positives;
            if (!close(f->grad()[i], g / positives)) expect(false, "gradient element", f->grad()[i], static_cast<double>(g / positives));
        }
        expect(close(got, want), focal ? "focal loss (alpha 0.25, gamma 2)" : "cross-entropy (gamma 0)", got, static_cast<double>(want));
    }

    targets[5] = 2.0f;  // out of [0, 1]: the call must throw, naming the element
    try {
        focal_loss(logits, targets, positives);
        expect(false, "bad target did not throw", 0, 0);
    } catch (const focal::error &e) {
        const bool named = std::string(e.what()).find("targets[5]") != std::string::npos;
        std::printf("bad target throws focal::error:   %s %s\n", e.what(), named ? "ok" : "FAIL");
        failures += !named;
    }
    std::printf(failures ? "%d checks FAILED\n" : "all checks passed\n", failures);
    return failures ? 1 : 0;
}
