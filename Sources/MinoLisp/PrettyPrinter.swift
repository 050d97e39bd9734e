/// The readable multi-line form: reading it back gives the same tree as the one-line form.
///
/// A form that fits in the remaining width is printed on one line. Otherwise:
/// - a call `(head a b ...)` with a short atom head keeps `(head a` on the first line and
///   aligns the other arguments under `a`, one per line;
/// - other lists, vectors, tuples and dicts put one element per line, aligned after the
///   opening bracket;
/// - a keyword followed by its value (`:lr 0.001`) and a dict key with its value stay on
///   the same line.
///
/// ```
/// (bind (mu [x linear-to-hidden linear-to-output] (linear-to-output (torch.sigmoid (linear-to-hidden x))))
///       :linear-to-hidden (bind (mu [x weights bias] (+ (@ x weights) bias))
///                               :weights (torch.nn.Parameter (torch.empty (, 10 32) :dtype torch.float32))
///                               ...
/// ```
extension Printer {
    /// Beyond this nesting the pretty printer prints subtrees on one line (iteratively),
    /// which bounds its recursion.
    static let prettyNestingLimit = 64
    /// A call whose head is longer than this is laid out like a vector.
    static let maxAlignedHeadLength = 24

    /// The multi-line form, aiming at lines of at most `width` characters.
    public static func pretty(_ expr: Expr, width: Int = 80) -> String {
        var out = ""
        layout(expr, column: 0, width: max(width, 1), nesting: 0, into: &out)
        return out
    }

    private static func layout(_ expr: Expr, column: Int, width: Int, nesting: Int, into out: inout String) {
        let room = max(width - column, 0)
        if nesting >= prettyNestingLimit || expr.isAtom && shortQuote(expr) == nil {
            out += oneLine(expr)
            return
        }
        if let flat = oneLine(expr, limit: room) {
            out += flat
            return
        }
        if let (prefix, argument) = shortQuote(expr) {
            out += prefix
            layout(argument, column: column + prefix.count, width: width, nesting: nesting + 1, into: &out)
            return
        }
        guard let (open, close, items) = delimiters(expr), !items.isEmpty else {
            out += oneLine(expr)
            return
        }
        let isDict: Bool
        if case .dict = expr.node { isDict = true } else { isDict = false }
        var units = groupUnits(items, pairAll: isDict)
        out += open
        var itemColumn = column + open.count
        if case .list = expr.node, units.count > 1, units[0].count == 1, let head = units[0].first,
           head.isAtom, let headText = oneLine(head, limit: maxAlignedHeadLength) {
            // `(head first` then the other arguments aligned under `first`.
            out += headText + " "
            itemColumn += headText.count + 1
            units.removeFirst()
        }
        for (i, unit) in units.enumerated() {
            if i > 0 { out += "\n" + String(repeating: " ", count: itemColumn) }
            if unit.count == 2 {
                // An atom key and its value: `:lr 0.001`, `{"a" (f x)}`.
                let key = oneLine(unit[0])
                out += key + " "
                layout(unit[1], column: itemColumn + key.unicodeScalars.count + 1, width: width,
                       nesting: nesting + 1, into: &out)
            } else {
                layout(unit[0], column: itemColumn, width: width, nesting: nesting + 1, into: &out)
            }
        }
        out += close
    }

    /// Splits elements into lines: a keyword followed by a non-keyword stays with it, and
    /// in a dict every atom key stays with its value.
    private static func groupUnits(_ items: [Expr], pairAll: Bool) -> [[Expr]] {
        var units: [[Expr]] = []
        var i = 0
        while i < items.count {
            let hasNext = i + 1 < items.count
            if pairAll, hasNext {
                if items[i].isAtom {
                    units.append([items[i], items[i + 1]])
                } else {
                    units.append([items[i]])
                    units.append([items[i + 1]])
                }
                i += 2
            } else if hasNext, items[i].keywordName != nil, items[i + 1].keywordName == nil {
                units.append([items[i], items[i + 1]])
                i += 2
            } else {
                units.append([items[i]])
                i += 1
            }
        }
        return units
    }
}
