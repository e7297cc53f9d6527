/// Puts the replies of one connection's requests, which may complete in any order, back into
/// request order.
///
/// Each request handed to the handler gets the next sequence number and a slot; a reply fills
/// its slot; `popReady` yields replies from the front while the front slot is filled. The
/// number of slots is what back-pressure counts as "in flight", so a slow early request bounds
/// how much later work can pile up behind it.
struct ResponseSequencer {
    private enum Slot {
        case waiting
        case done(Reply)
    }

    /// Sequence number of `slots[0]`.
    private var base: UInt64 = 0
    private var slots: [Slot] = []
    /// In-memory bytes of completed frames held back by an earlier unanswered request.
    private(set) var heldBytes = 0

    /// Requests issued whose replies have not been popped.
    var outstanding: Int { slots.count }

    mutating func issue() -> UInt64 {
        slots.append(.waiting)
        return base + UInt64(slots.count - 1)
    }

    /// Records a reply. False when `sequence` has no waiting slot (already answered, popped, or
    /// dropped by `discardAll`); the caller then discards the reply.
    mutating func fulfil(_ sequence: UInt64, with reply: Reply) -> Bool {
        guard sequence >= base, sequence - base < UInt64(slots.count) else { return false }
        let index = Int(sequence - base)
        guard case .waiting = slots[index] else { return false }
        slots[index] = .done(reply)
        if case .frame(let frame) = reply { heldBytes += frame.bytes.count }
        return true
    }

    /// The front reply, if it has arrived. Slots are few (at most the in-flight limit), so
    /// removing the first is cheap.
    mutating func popReady() -> Reply? {
        guard let first = slots.first, case .done(let reply) = first else { return nil }
        slots.removeFirst()
        base += 1
        if case .frame(let frame) = reply { heldBytes -= frame.bytes.count }
        return reply
    }

    /// Drops every slot, releasing completed frames; replies still to come will find no slot.
    mutating func discardAll() {
        for case .done(let reply) in slots { reply.discard() }
        base += UInt64(slots.count)
        slots.removeAll()
        heldBytes = 0
    }
}
