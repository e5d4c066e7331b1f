package slackbot

import (
	"container/list"
	"sync"
	"time"
)

// lru is a size-bounded, least-recently-used map from string keys to values,
// each stamped with when it was stored. It is safe for concurrent use.
type lru[V any] struct {
	mu  sync.Mutex
	max int
	ll  *list.List // front = most recently used
	m   map[string]*list.Element
}

type lruEntry[V any] struct {
	key string
	val V
	at  time.Time
}

func newLRU[V any](max int) *lru[V] {
	if max < 1 {
		max = 1
	}
	return &lru[V]{max: max, ll: list.New(), m: make(map[string]*list.Element, max)}
}

// get returns the value stored under key and when it was stored.
func (c *lru[V]) get(key string) (V, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[key]
	if !ok {
		var zero V
		return zero, time.Time{}, false
	}
	c.ll.MoveToFront(el)
	e := el.Value.(*lruEntry[V])
	return e.val, e.at, true
}

// put stores val under key, evicting the least recently used entry when
// the cache is full.
func (c *lru[V]) put(key string, val V, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		e := el.Value.(*lruEntry[V])
		e.val, e.at = val, at
		c.ll.MoveToFront(el)
		return
	}
	c.m[key] = c.ll.PushFront(&lruEntry[V]{key: key, val: val, at: at})
	for c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.m, last.Value.(*lruEntry[V]).key)
	}
}

// len returns how many entries the cache holds.
func (c *lru[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
