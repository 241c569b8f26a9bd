/// A small list of distinct values with a hard cap: what a device record or a flow keeps of
/// things that a hostile or chatty peer could repeat without end (names, addresses).
/// Values past the cap are counted, not kept.
public struct BoundedList<Element: Equatable> {
    public let limit: Int
    public private(set) var items: [Element] = []
    /// New values refused because the list was full.
    public private(set) var dropped: UInt32 = 0

    public init(limit: Int) { self.limit = limit }

    /// Adds `value` unless it is already there; false when it was refused for the cap.
    @discardableResult
    public mutating func insert(_ value: Element) -> Bool {
        if items.contains(value) { return true }
        guard items.count < limit else {
            dropped &+= 1
            return false
        }
        items.append(value)
        return true
    }

    /// Changes the first element that matches in place; false when none does.
    public mutating func update(where matches: (Element) -> Bool, _ change: (inout Element) -> Void) -> Bool {
        guard let i = items.firstIndex(where: matches) else { return false }
        change(&items[i])
        return true
    }

    public var isEmpty: Bool { items.isEmpty }
}
