package score

// hashTable is an open-addressing hash table from 64-bit hashes to values,
// built once and then only read. A slot holds the key beside its value, so
// a lookup reads one cache line. Key 0 marks an empty slot: no hash the
// engine makes is 0 in practice, and one that is is left out.
type hashTable[V any] struct {
	slots []hashSlot[V]
	mask  uint64
}

type hashSlot[V any] struct {
	key uint64
	val V
}

// newHashTable makes a table for n entries, which fill calls put with.
func newHashTable[V any](n int, fill func(put func(k uint64, v V))) hashTable[V] {
	size := 16
	for size < 2*n {
		size *= 2
	}
	t := hashTable[V]{slots: make([]hashSlot[V], size), mask: uint64(size - 1)}
	fill(func(k uint64, v V) {
		if k == 0 {
			return
		}
		i := k & t.mask
		for t.slots[i].key != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = hashSlot[V]{k, v}
	})
	return t
}

// find returns the value of key k, or nil.
func (t *hashTable[V]) find(k uint64) *V {
	for i := k & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		switch s.key {
		case k:
			return &s.val
		case 0:
			return nil
		}
	}
}
