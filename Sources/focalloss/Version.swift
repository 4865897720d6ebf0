import CFocalLoss

@c @implementation
public func focal_version_number() -> UInt32 {
    // FOCAL_VERSION_NUMBER is an expression macro, which Swift does not import.
    UInt32(FOCAL_VERSION_MAJOR * 10000 + FOCAL_VERSION_MINOR * 100 + FOCAL_VERSION_PATCH)
}

@c @implementation
public func focal_version_string() -> UnsafePointer<CChar>! {
    cString(versionString)
}

/// Must equal FOCAL_VERSION_STRING; the C tests compare the two.
let versionString: StaticString = "0.1.0"
