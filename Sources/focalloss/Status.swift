import CFocalLoss
import FocalLossCore

/// The one place where the core's errors become C statuses: every exported function that can
/// fail runs its body through here, so each error is recorded and mapped the same way.
func withStatus(_ body: () throws(FocalError) -> Void) -> focal_status {
    do {
        try body()
        return FOCAL_OK
    } catch {
        LastError.record(error.message)
        return status(of: error.kind)
    }
}

func status(of kind: FocalError.Kind) -> focal_status {
    switch kind {
    case .nullPointer: return FOCAL_ERROR_NULL_POINTER
    case .invalidShape: return FOCAL_ERROR_INVALID_SHAPE
    case .targetOutOfRange: return FOCAL_ERROR_TARGET_OUT_OF_RANGE
    case .invalidAlpha: return FOCAL_ERROR_INVALID_ALPHA
    case .invalidGamma: return FOCAL_ERROR_INVALID_GAMMA
    case .invalidLabelSmoothing: return FOCAL_ERROR_INVALID_LABEL_SMOOTHING
    case .invalidNormalizer: return FOCAL_ERROR_INVALID_NORMALIZER
    case .invalidReduction: return FOCAL_ERROR_INVALID_REDUCTION
    case .invalidOptionsVersion: return FOCAL_ERROR_INVALID_OPTIONS_VERSION
    case .invalidThreadCount: return FOCAL_ERROR_INVALID_THREAD_COUNT
    case .overlappingBuffers: return FOCAL_ERROR_OVERLAPPING_BUFFERS
    case .invalidPrecision: return FOCAL_ERROR_INVALID_PRECISION
    case .invalidWeight: return FOCAL_ERROR_INVALID_WEIGHT
    case .invalidHessian: return FOCAL_ERROR_INVALID_HESSIAN
    case .invalidParameter: return FOCAL_ERROR_INVALID_PARAMETER
    }
}

@c @implementation
public func focal_status_string(_ status: focal_status) -> UnsafePointer<CChar>! {
    switch status {
    case FOCAL_OK: return cString("FOCAL_OK: success")
    case FOCAL_ERROR_NULL_POINTER: return cString("FOCAL_ERROR_NULL_POINTER: a required pointer is NULL")
    case FOCAL_ERROR_INVALID_SHAPE: return cString("FOCAL_ERROR_INVALID_SHAPE: a size is negative, zero where it must not be, or too large")
    case FOCAL_ERROR_TARGET_OUT_OF_RANGE: return cString("FOCAL_ERROR_TARGET_OUT_OF_RANGE: a target is outside its valid range")
    case FOCAL_ERROR_INVALID_ALPHA: return cString("FOCAL_ERROR_INVALID_ALPHA: alpha must be in [0, 1] or -1 (sigmoid), or finite and >= 0 per class (softmax)")
    case FOCAL_ERROR_INVALID_GAMMA: return cString("FOCAL_ERROR_INVALID_GAMMA: gamma must be finite and >= 0")
    case FOCAL_ERROR_INVALID_LABEL_SMOOTHING: return cString("FOCAL_ERROR_INVALID_LABEL_SMOOTHING: label_smoothing must be in [0, 1]")
    case FOCAL_ERROR_INVALID_NORMALIZER: return cString("FOCAL_ERROR_INVALID_NORMALIZER: normalizer must be finite and > 0, with reduction mean")
    case FOCAL_ERROR_INVALID_REDUCTION: return cString("FOCAL_ERROR_INVALID_REDUCTION: reduction must be NONE, SUM or MEAN")
    case FOCAL_ERROR_INVALID_OPTIONS_VERSION: return cString("FOCAL_ERROR_INVALID_OPTIONS_VERSION: the options struct's version is not supported")
    case FOCAL_ERROR_INVALID_THREAD_COUNT: return cString("FOCAL_ERROR_INVALID_THREAD_COUNT: num_threads must be >= 0")
    case FOCAL_ERROR_OVERLAPPING_BUFFERS: return cString("FOCAL_ERROR_OVERLAPPING_BUFFERS: an output buffer overlaps another buffer")
    case FOCAL_ERROR_INVALID_PRECISION: return cString("FOCAL_ERROR_INVALID_PRECISION: precision must be FOCAL_PRECISION_EXACT or FOCAL_PRECISION_FAST")
    case FOCAL_ERROR_INVALID_WEIGHT: return cString("FOCAL_ERROR_INVALID_WEIGHT: weights must be finite and >= 0")
    case FOCAL_ERROR_INVALID_HESSIAN: return cString("FOCAL_ERROR_INVALID_HESSIAN: hessian must be FOCAL_HESSIAN_EXACT, _CLIPPED or _APPROXIMATE")
    case FOCAL_ERROR_INVALID_PARAMETER: return cString("FOCAL_ERROR_INVALID_PARAMETER: a loss parameter (poly1_epsilon, beta, margin) is out of range or not supported here")
    default: return cString("FOCAL_ERROR_UNKNOWN: unknown status")
    }
}

@c @implementation
public func focal_last_error_message() -> UnsafePointer<CChar>! {
    LastError.message
}
