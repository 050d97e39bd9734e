/// Float-to-integer conversion that never traps: NaN becomes 0 and values
/// beyond `Int64`'s range saturate (Swift's `Int64(_:)` stops the process on
/// both, and tensor values are user data).
@inlinable
public func saturatingInt64<T: BinaryFloatingPoint>(_ value: T) -> Int64 {
    if value.isNaN { return 0 }
    if value >= 9.223372036854775807e18 { return .max }
    if value <= -9.223372036854775808e18 { return .min }
    return Int64(value)
}
