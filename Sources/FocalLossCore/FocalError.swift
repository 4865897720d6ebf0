/// Why a focal-loss call was refused. The core throws these before it writes any output;
/// the C-ABI layer maps each `Kind` to one stable `focal_status` value.
public struct FocalError: Error, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        case nullPointer
        case invalidShape
        case targetOutOfRange
        case invalidAlpha
        case invalidGamma
        case invalidLabelSmoothing
        case invalidNormalizer
        case invalidReduction
        case invalidOptionsVersion
        case invalidThreadCount
        case overlappingBuffers
        case invalidPrecision
        case invalidWeight
        case invalidHessian
        case invalidParameter
    }

    public let kind: Kind
    /// One sentence naming the bad argument (and, for a target, its index and value).
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}
