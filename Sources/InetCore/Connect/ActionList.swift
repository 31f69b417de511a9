/// The actions one input of a state machine returns, in order: up to three kept inline, more
/// spilled to an array. A machine's answer is usually one or two actions, so answering does not
/// allocate (an `[Action]` allocates for every non-empty answer — several per connect).
struct ActionList<Action: Equatable>: RandomAccessCollection, Equatable, ExpressibleByArrayLiteral {
    private var first: Action?
    private var second: Action?
    private var third: Action?
    private var spilled: [Action] = []
    private(set) var count = 0

    init() {}

    init(_ action: Action) { append(action) }

    init(arrayLiteral elements: Action...) {
        for element in elements { append(element) }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(position: Int) -> Action {
        precondition(position >= 0 && position < count, "action \(position) of \(count)")
        // Invariant: slots 0..<min(count, 3) are set; the rest are in `spilled`, in order.
        switch position {
        case 0: return first!
        case 1: return second!
        case 2: return third!
        default: return spilled[position - 3]
        }
    }

    mutating func append(_ action: Action) {
        switch count {
        case 0: first = action
        case 1: second = action
        case 2: third = action
        default: spilled.append(action)
        }
        count += 1
    }

    mutating func append(contentsOf other: ActionList) {
        for action in other { append(action) }
    }

    static func == (lhs: ActionList, rhs: ActionList) -> Bool { lhs.elementsEqual(rhs) }
}
