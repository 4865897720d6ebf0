// Transposing rows of few units into columns and back, in loops LLVM vectorizes.
//
// The softmax's rows of fewer than 16 classes are computed as (C × rows) tiles
// (`SoftmaxGroup.transposedRows`). A loop over rows that reads one class at a run-time stride C
// stays scalar, one element per iteration. LLVM vectorizes such a loop (wide loads or stores and
// shuffles: an "interleaved access group") when the stride is a compile-time constant of at
// most 8 and every unit of a row is moved in the same loop; rows of C = W·D units with W ≤ 8 and
// D ≤ 3 are therefore moved in two such steps, as D·rows sub-rows of W units and then each of
// the W columns as rows of D units. The units are moved as integers of their width (raw loads
// and stores, whatever the memory is bound to): values are copied, never converted.

/// A compile-time width of a row of units.
protocol StaticWidth {
    static var width: Int { get }
}

enum Width1: StaticWidth { static var width: Int { 1 } }
enum Width2: StaticWidth { static var width: Int { 2 } }
enum Width3: StaticWidth { static var width: Int { 3 } }
enum Width4: StaticWidth { static var width: Int { 4 } }
enum Width5: StaticWidth { static var width: Int { 5 } }
enum Width6: StaticWidth { static var width: Int { 6 } }
enum Width7: StaticWidth { static var width: Int { 7 } }
enum Width8: StaticWidth { static var width: Int { 8 } }

/// `count` rows of `W` units (row i at `rows + i·W` units) and W columns of `count` units
/// (column c at `columns + c·columnStride` units): the rows copied into the columns
/// (`toColumns`), or the columns into the rows.
@inline(__always)
func copyInterleaved<U: FixedWidthInteger, W: StaticWidth>(
    rows: UnsafeMutableRawPointer, columns: UnsafeMutableRawPointer, count: Int, columnStride: Int,
    toColumns: Bool, _: U.Type, _: W.Type
) {
    let width = W.width, unit = MemoryLayout<U>.size
    if toColumns {
        for i in 0 ..< count {
            for c in 0 ..< width {
                let value = rows.load(fromByteOffset: (i &* width &+ c) &* unit, as: U.self)
                columns.storeBytes(of: value, toByteOffset: (c &* columnStride &+ i) &* unit, as: U.self)
            }
        }
    } else {
        for i in 0 ..< count {
            for c in 0 ..< width {
                let value = columns.load(fromByteOffset: (c &* columnStride &+ i) &* unit, as: U.self)
                rows.storeBytes(of: value, toByteOffset: (i &* width &+ c) &* unit, as: U.self)
            }
        }
    }
}

/// `count` rows of C = W·D units and a (C × count) tile (column c at `tile + c·count` units),
/// copied one way or the other through `middle` (C·count units, overwritten) where D > 1:
/// row i's units d·W ..< (d + 1)·W are sub-row i·D + d, whose W columns of D·count units are
/// each `count` rows of D units.
@inline(__always)
func transposeUnits<U: FixedWidthInteger, W: StaticWidth, D: StaticWidth>(
    rows: UnsafeMutableRawPointer, tile: UnsafeMutableRawPointer, middle: UnsafeMutableRawPointer, count: Int,
    toColumns: Bool, _: U.Type, _: W.Type, _: D.Type
) {
    let (width, depth, unit) = (W.width, D.width, MemoryLayout<U>.size)
    if depth == 1 {
        copyInterleaved(rows: rows, columns: tile, count: count, columnStride: count, toColumns: toColumns, U.self, W.self)
        return
    }
    let subRows = count &* depth
    @inline(__always) func splitColumns() {
        for c in 0 ..< width {
            copyInterleaved(rows: middle + c &* subRows &* unit, columns: tile + c &* count &* unit, count: count,
                            columnStride: width &* count, toColumns: toColumns, U.self, D.self)
        }
    }
    if toColumns {
        copyInterleaved(rows: rows, columns: middle, count: subRows, columnStride: subRows, toColumns: true, U.self, W.self)
        splitColumns()
    } else {
        splitColumns()
        copyInterleaved(rows: rows, columns: middle, count: subRows, columnStride: subRows, toColumns: false, U.self, W.self)
    }
}

/// `count` rows of `classes` units of `unit` bytes (4 or 8) and a (classes × count) tile
/// (column c at `tile + c·count` units), copied one way or the other: by `transposeUnits`
/// (through `middle`, classes·count units, overwritten) for the classes it has a vectorized form
/// for (1 to 10, 12, 14 and 15), one unit at a time at the run-time stride `classes` for any other.
@inline(never)
func transposeTile(rows: UnsafeMutableRawPointer, tile: UnsafeMutableRawPointer, middle: UnsafeMutableRawPointer,
                   classes: Int, count: Int, unit: Int, toColumns: Bool) {
    @inline(__always) func move<U: FixedWidthInteger>(_: U.Type) {
        @inline(__always) func by<W: StaticWidth, D: StaticWidth>(_: W.Type, _: D.Type) {
            transposeUnits(rows: rows, tile: tile, middle: middle, count: count, toColumns: toColumns,
                           U.self, W.self, D.self)
        }
        @inline(__always) func unitByUnit() {
            let unit = MemoryLayout<U>.size
            for c in 0 ..< classes {
                let column = tile + c &* count &* unit
                if toColumns {
                    forEach(count) { j in
                        let value = rows.load(fromByteOffset: (j &* classes &+ c) &* unit, as: U.self)
                        column.storeBytes(of: value, toByteOffset: j &* unit, as: U.self)
                    }
                } else {
                    forEach(count) { j in
                        let value = column.load(fromByteOffset: j &* unit, as: U.self)
                        rows.storeBytes(of: value, toByteOffset: (j &* classes &+ c) &* unit, as: U.self)
                    }
                }
            }
        }
        switch classes {
        case 1: by(Width1.self, Width1.self)
        case 2: by(Width2.self, Width1.self)
        case 3: by(Width3.self, Width1.self)
        case 4: by(Width4.self, Width1.self)
        case 5: by(Width5.self, Width1.self)
        case 6: by(Width6.self, Width1.self)
        case 7: by(Width7.self, Width1.self)
        case 8: by(Width8.self, Width1.self)
        case 9: by(Width3.self, Width3.self)
        case 10: by(Width5.self, Width2.self)
        case 12: by(Width6.self, Width2.self)
        case 14: by(Width7.self, Width2.self)
        case 15: by(Width5.self, Width3.self)
        default: unitByUnit()
        }
    }
    switch unit {
    case 4: move(UInt32.self)
    case 8: move(UInt64.self)
    default: preconditionFailure("transposeTile: units of \(unit) bytes")
    }
}
