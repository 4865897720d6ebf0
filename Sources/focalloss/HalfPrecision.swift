import CFocalLoss
import FocalLossCore
import _KernelInterface

// The header's f16 and bf16 functions: the float32 functions' C-side validation and core
// calls, on `Float16` and `BFloat16` buffers. focal_f16 and focal_bf16 are structs of one
// uint16_t, laid out as the Swift types' 16 bits: the pointers are reinterpreted, not copied.

func storage<S, T>(_ pointer: UnsafePointer<S>?, _: T.Type) -> UnsafePointer<T>? {
    pointer.map { UnsafeRawPointer($0).assumingMemoryBound(to: T.self) }
}

func storage<S, T>(_ pointer: UnsafeMutablePointer<S>?, _: T.Type) -> UnsafeMutablePointer<T>? {
    pointer.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: T.self) }
}

// MARK: f16

@c @implementation
public func focal_sigmoid_f16(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ count: Int64,
    _ logits: UnsafePointer<focal_f16>?, _ targets: UnsafePointer<focal_f16>?, _ gradLoss: UnsafePointer<focal_f16>?,
    _ loss: UnsafeMutablePointer<focal_f16>?, _ gradLogits: UnsafeMutablePointer<focal_f16>?
) -> focal_status {
    sigmoid(options, count, storage(logits, Float16.self), storage(targets, Float16.self), storage(gradLoss, Float16.self),
            storage(loss, Float16.self), storage(gradLogits, Float16.self), kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_weighted_f16(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_f16>?, _ targets: UnsafePointer<focal_f16>?, _ weights: UnsafePointer<focal_f16>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<focal_f16>?, _ loss: UnsafeMutablePointer<focal_f16>?,
    _ gradLogits: UnsafeMutablePointer<focal_f16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(options, batch, classes, inner, storage(logits, Float16.self), storage(targets, Float16.self),
                    storage(weights, Float16.self), weightsLayout, storage(gradLoss, Float16.self), storage(loss, Float16.self),
                    storage(gradLogits, Float16.self), stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_labels_f16_i64(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_f16>?, _ labels: UnsafePointer<Int64>?, _ gradLoss: UnsafePointer<focal_f16>?,
    _ loss: UnsafeMutablePointer<focal_f16>?, _ gradLogits: UnsafeMutablePointer<focal_f16>?
) -> focal_status {
    sigmoidLabels(options, batch, classes, inner, storage(logits, Float16.self), labels, storage(gradLoss, Float16.self),
                  storage(loss, Float16.self), storage(gradLogits, Float16.self), kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_labels_weighted_f16_i64(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_f16>?, _ labels: UnsafePointer<Int64>?, _ weights: UnsafePointer<focal_f16>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<focal_f16>?, _ loss: UnsafeMutablePointer<focal_f16>?,
    _ gradLogits: UnsafeMutablePointer<focal_f16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidLabelsWeighted(options, batch, classes, inner, storage(logits, Float16.self), labels, storage(weights, Float16.self),
                          weightsLayout, storage(gradLoss, Float16.self), storage(loss, Float16.self),
                          storage(gradLogits, Float16.self), stats,
                          kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_softmax_f16_i64(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_f16>?, _ targets: UnsafePointer<Int64>?, _ gradLoss: UnsafePointer<focal_f16>?,
    _ loss: UnsafeMutablePointer<focal_f16>?, _ gradLogits: UnsafeMutablePointer<focal_f16>?
) -> focal_status {
    softmax(options, batch, classes, inner, storage(logits, Float16.self), targets, storage(gradLoss, Float16.self),
            storage(loss, Float16.self), storage(gradLogits, Float16.self), kernel: SoftmaxFocalLoss.compute)
}

@c @implementation
public func focal_softmax_weighted_f16_i64(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_f16>?, _ targets: UnsafePointer<Int64>?, _ weights: UnsafePointer<focal_f16>?,
    _ gradLoss: UnsafePointer<focal_f16>?, _ loss: UnsafeMutablePointer<focal_f16>?,
    _ gradLogits: UnsafeMutablePointer<focal_f16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    softmaxWeighted(options, batch, classes, inner, storage(logits, Float16.self), targets, storage(weights, Float16.self),
                    storage(gradLoss, Float16.self), storage(loss, Float16.self), storage(gradLogits, Float16.self), stats,
                    kernel: SoftmaxFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_labels_f16_i32(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_f16>?, _ labels: UnsafePointer<Int32>?, _ gradLoss: UnsafePointer<focal_f16>?,
    _ loss: UnsafeMutablePointer<focal_f16>?, _ gradLogits: UnsafeMutablePointer<focal_f16>?
) -> focal_status {
    sigmoidLabels(options, batch, classes, inner, storage(logits, Float16.self), labels, storage(gradLoss, Float16.self),
                  storage(loss, Float16.self), storage(gradLogits, Float16.self), kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_labels_weighted_f16_i32(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_f16>?, _ labels: UnsafePointer<Int32>?, _ weights: UnsafePointer<focal_f16>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<focal_f16>?, _ loss: UnsafeMutablePointer<focal_f16>?,
    _ gradLogits: UnsafeMutablePointer<focal_f16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidLabelsWeighted(options, batch, classes, inner, storage(logits, Float16.self), labels, storage(weights, Float16.self),
                          weightsLayout, storage(gradLoss, Float16.self), storage(loss, Float16.self),
                          storage(gradLogits, Float16.self), stats,
                          kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_softmax_f16_i32(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_f16>?, _ targets: UnsafePointer<Int32>?, _ gradLoss: UnsafePointer<focal_f16>?,
    _ loss: UnsafeMutablePointer<focal_f16>?, _ gradLogits: UnsafeMutablePointer<focal_f16>?
) -> focal_status {
    softmax(options, batch, classes, inner, storage(logits, Float16.self), targets, storage(gradLoss, Float16.self),
            storage(loss, Float16.self), storage(gradLogits, Float16.self), kernel: SoftmaxFocalLoss.compute)
}

@c @implementation
public func focal_softmax_weighted_f16_i32(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_f16>?, _ targets: UnsafePointer<Int32>?, _ weights: UnsafePointer<focal_f16>?,
    _ gradLoss: UnsafePointer<focal_f16>?, _ loss: UnsafeMutablePointer<focal_f16>?,
    _ gradLogits: UnsafeMutablePointer<focal_f16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    softmaxWeighted(options, batch, classes, inner, storage(logits, Float16.self), targets, storage(weights, Float16.self),
                    storage(gradLoss, Float16.self), storage(loss, Float16.self), storage(gradLogits, Float16.self), stats,
                    kernel: SoftmaxFocalLoss.compute)
}

// MARK: bf16

@c @implementation
public func focal_sigmoid_bf16(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ count: Int64,
    _ logits: UnsafePointer<focal_bf16>?, _ targets: UnsafePointer<focal_bf16>?, _ gradLoss: UnsafePointer<focal_bf16>?,
    _ loss: UnsafeMutablePointer<focal_bf16>?, _ gradLogits: UnsafeMutablePointer<focal_bf16>?
) -> focal_status {
    sigmoid(options, count, storage(logits, BFloat16.self), storage(targets, BFloat16.self), storage(gradLoss, BFloat16.self),
            storage(loss, BFloat16.self), storage(gradLogits, BFloat16.self), kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_weighted_bf16(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_bf16>?, _ targets: UnsafePointer<focal_bf16>?, _ weights: UnsafePointer<focal_bf16>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<focal_bf16>?, _ loss: UnsafeMutablePointer<focal_bf16>?,
    _ gradLogits: UnsafeMutablePointer<focal_bf16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(options, batch, classes, inner, storage(logits, BFloat16.self), storage(targets, BFloat16.self),
                    storage(weights, BFloat16.self), weightsLayout, storage(gradLoss, BFloat16.self), storage(loss, BFloat16.self),
                    storage(gradLogits, BFloat16.self), stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_labels_bf16_i64(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_bf16>?, _ labels: UnsafePointer<Int64>?, _ gradLoss: UnsafePointer<focal_bf16>?,
    _ loss: UnsafeMutablePointer<focal_bf16>?, _ gradLogits: UnsafeMutablePointer<focal_bf16>?
) -> focal_status {
    sigmoidLabels(options, batch, classes, inner, storage(logits, BFloat16.self), labels, storage(gradLoss, BFloat16.self),
                  storage(loss, BFloat16.self), storage(gradLogits, BFloat16.self), kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_labels_weighted_bf16_i64(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_bf16>?, _ labels: UnsafePointer<Int64>?, _ weights: UnsafePointer<focal_bf16>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<focal_bf16>?, _ loss: UnsafeMutablePointer<focal_bf16>?,
    _ gradLogits: UnsafeMutablePointer<focal_bf16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidLabelsWeighted(options, batch, classes, inner, storage(logits, BFloat16.self), labels, storage(weights, BFloat16.self),
                          weightsLayout, storage(gradLoss, BFloat16.self), storage(loss, BFloat16.self),
                          storage(gradLogits, BFloat16.self), stats,
                          kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_softmax_bf16_i64(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_bf16>?, _ targets: UnsafePointer<Int64>?, _ gradLoss: UnsafePointer<focal_bf16>?,
    _ loss: UnsafeMutablePointer<focal_bf16>?, _ gradLogits: UnsafeMutablePointer<focal_bf16>?
) -> focal_status {
    softmax(options, batch, classes, inner, storage(logits, BFloat16.self), targets, storage(gradLoss, BFloat16.self),
            storage(loss, BFloat16.self), storage(gradLogits, BFloat16.self), kernel: SoftmaxFocalLoss.compute)
}

@c @implementation
public func focal_softmax_weighted_bf16_i64(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_bf16>?, _ targets: UnsafePointer<Int64>?, _ weights: UnsafePointer<focal_bf16>?,
    _ gradLoss: UnsafePointer<focal_bf16>?, _ loss: UnsafeMutablePointer<focal_bf16>?,
    _ gradLogits: UnsafeMutablePointer<focal_bf16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    softmaxWeighted(options, batch, classes, inner, storage(logits, BFloat16.self), targets, storage(weights, BFloat16.self),
                    storage(gradLoss, BFloat16.self), storage(loss, BFloat16.self), storage(gradLogits, BFloat16.self), stats,
                    kernel: SoftmaxFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_labels_bf16_i32(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_bf16>?, _ labels: UnsafePointer<Int32>?, _ gradLoss: UnsafePointer<focal_bf16>?,
    _ loss: UnsafeMutablePointer<focal_bf16>?, _ gradLogits: UnsafeMutablePointer<focal_bf16>?
) -> focal_status {
    sigmoidLabels(options, batch, classes, inner, storage(logits, BFloat16.self), labels, storage(gradLoss, BFloat16.self),
                  storage(loss, BFloat16.self), storage(gradLogits, BFloat16.self), kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_labels_weighted_bf16_i32(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_bf16>?, _ labels: UnsafePointer<Int32>?, _ weights: UnsafePointer<focal_bf16>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<focal_bf16>?, _ loss: UnsafeMutablePointer<focal_bf16>?,
    _ gradLogits: UnsafeMutablePointer<focal_bf16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidLabelsWeighted(options, batch, classes, inner, storage(logits, BFloat16.self), labels, storage(weights, BFloat16.self),
                          weightsLayout, storage(gradLoss, BFloat16.self), storage(loss, BFloat16.self),
                          storage(gradLogits, BFloat16.self), stats,
                          kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_softmax_bf16_i32(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_bf16>?, _ targets: UnsafePointer<Int32>?, _ gradLoss: UnsafePointer<focal_bf16>?,
    _ loss: UnsafeMutablePointer<focal_bf16>?, _ gradLogits: UnsafeMutablePointer<focal_bf16>?
) -> focal_status {
    softmax(options, batch, classes, inner, storage(logits, BFloat16.self), targets, storage(gradLoss, BFloat16.self),
            storage(loss, BFloat16.self), storage(gradLogits, BFloat16.self), kernel: SoftmaxFocalLoss.compute)
}

@c @implementation
public func focal_softmax_weighted_bf16_i32(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_bf16>?, _ targets: UnsafePointer<Int32>?, _ weights: UnsafePointer<focal_bf16>?,
    _ gradLoss: UnsafePointer<focal_bf16>?, _ loss: UnsafeMutablePointer<focal_bf16>?,
    _ gradLogits: UnsafeMutablePointer<focal_bf16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    softmaxWeighted(options, batch, classes, inner, storage(logits, BFloat16.self), targets, storage(weights, BFloat16.self),
                    storage(gradLoss, BFloat16.self), storage(loss, BFloat16.self), storage(gradLogits, BFloat16.self), stats,
                    kernel: SoftmaxFocalLoss.compute)
}
