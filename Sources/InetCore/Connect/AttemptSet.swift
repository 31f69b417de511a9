/// The attempts in flight, as a set of address indices iterated in ascending order — which is
/// start order, since attempts start in address order.
///
/// Indices below 64 live in one word, so a connect (one address, or a handful) keeps its set
/// without allocating; later indices (a name with more than 64 addresses) go to an array.
struct AttemptSet: Equatable, Sequence, ExpressibleByArrayLiteral {
    private var low: UInt64 = 0
    private var high: [Int] = []

    init() {}

    init(arrayLiteral elements: Int...) {
        for element in elements { insert(element) }
    }

    var isEmpty: Bool { low == 0 && high.isEmpty }

    func contains(_ index: Int) -> Bool {
        index < 64 ? low & (1 << UInt64(index)) != 0 : high.contains(index)
    }

    /// Adds `index` (attempts start in ascending order, so `high` stays sorted).
    mutating func insert(_ index: Int) {
        precondition(index >= 0, "attempt indices are non-negative")
        if index < 64 { low |= 1 << UInt64(index) } else if !high.contains(index) { high.append(index) }
    }

    /// Removes `index`; false if it was not there.
    @discardableResult
    mutating func remove(_ index: Int) -> Bool {
        guard contains(index) else { return false }
        if index < 64 { low &= ~(1 << UInt64(index)) } else { high.removeAll { $0 == index } }
        return true
    }

    /// The indices, ascending.
    struct Iterator: IteratorProtocol {
        var low: UInt64
        var high: IndexingIterator<[Int]>

        mutating func next() -> Int? {
            if low != 0 {
                let index = low.trailingZeroBitCount
                low &= low - 1
                return index
            }
            return high.next()
        }
    }

    func makeIterator() -> Iterator { Iterator(low: low, high: high.makeIterator()) }
}
