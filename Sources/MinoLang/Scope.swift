import MinoLisp

/// Compiled code: a closure over the frame of the function it runs in.
typealias Code = (Frame) throws -> Value

/// The locals of one running function (or top-level form): slots resolved at compile
/// time, and the frame of the function it was defined in, for closures.
final class Frame {
    var slots: [Value]
    let parent: Frame?

    init(size: Int, parent: Frame?) {
        slots = Array(repeating: .none, count: size)
        self.parent = parent
    }

    @inline(__always)
    func ancestor(_ depth: Int) -> Frame {
        var frame = self
        for _ in 0..<depth { frame = frame.parent.unsafelyUnwrapped }
        return frame
    }
}

/// A global variable: resolved once when code is compiled, read and written by reference.
public final class Cell {
    public let name: String
    public var value: Value?
    init(_ name: String) { self.name = name }
}

/// The globals of one interpreter.
public final class Globals {
    private(set) var cells: [String: Cell] = [:]

    /// The cell for `name`, made (unbound) on first use so later definitions are seen.
    func cell(_ name: String) -> Cell {
        if let c = cells[name] { return c }
        let c = Cell(name)
        cells[name] = c
        return c
    }

    public func value(_ name: String) -> Value? { cells[name]?.value }
    public func define(_ name: String, _ value: Value) { cell(name).value = value }
    var boundNames: [String] { cells.values.filter { $0.value != nil }.map(\.name) }
}

/// The compile-time picture of one function's frame: which name lives in which slot.
/// `let` adds bindings for the extent of its body (shadowing), all in the same frame.
final class FunctionScope {
    let parent: FunctionScope?
    /// True for the scope of a top-level form: assignments there define globals.
    let isTopLevel: Bool
    private var bindings: [(name: String, slot: Int)] = []
    private(set) var slotCount = 0

    init(parent: FunctionScope?, isTopLevel: Bool) {
        self.parent = parent
        self.isTopLevel = isTopLevel
    }

    /// A new slot holding `name` from now on.
    @discardableResult
    func declare(_ name: String) -> Int {
        let slot = slotCount
        slotCount += 1
        bindings.append((name, slot))
        return slot
    }

    /// The slot of `name` in this frame, innermost binding first.
    func slot(of name: String) -> Int? {
        bindings.last(where: { $0.name == name })?.slot
    }

    /// Marks where a `let` began; `restore` drops the bindings made since.
    var mark: Int { bindings.count }
    func restore(_ mark: Int) { bindings.removeSubrange(mark...) }

    var visibleNames: [String] { bindings.map(\.name) + (parent?.visibleNames ?? []) }
}

/// Where a symbol lives.
enum Resolution {
    case local(depth: Int, slot: Int)
    case global(Cell)
}
