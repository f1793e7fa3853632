package sdk

import (
	"encoding/binary"
	"sort"
)

// routeTable finds an entry by the bytes of its name as the host passed them: no
// string conversion, no hashing, no allocation. Names are grouped by length; within a
// group each name is summarised by two words read straight from its bytes (nameKey),
// which tell names of up to 16 bytes apart on their own; a longer name is then
// compared in full. The table is built once per plugin life and only read after.
type routeTable struct {
	byLen [][]namedRoute    // index: name length, up to maxIndexedName
	long  map[string]*route // names longer than maxIndexedName (rare)
	byID  []*route          // index: the entry id resolve_entry gives (sorted name order)
}

// namedRoute is one entry of a length group.
type namedRoute struct {
	k0, k1 uint64
	name   string
	r      *route
}

// maxIndexedName bounds the length index, so one very long name cannot make it large.
const maxIndexedName = 256

// keyedBytes is the longest name that two key words cover completely.
const keyedBytes = 16

// newRouteTable indexes entries; names go in sorted order, so a group's order, and the
// cost of finding each name, is the same in every build.
func newRouteTable(entries map[string]*route) routeTable {
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	sort.Strings(names)
	var t routeTable
	for id, name := range names {
		r := entries[name]
		r.id = uint32(id)
		t.byID = append(t.byID, r)
		n := len(name)
		if n > maxIndexedName {
			if t.long == nil {
				t.long = map[string]*route{}
			}
			t.long[name] = r
			continue
		}
		for len(t.byLen) <= n {
			t.byLen = append(t.byLen, nil)
		}
		k0, k1 := nameKey([]byte(name))
		t.byLen[n] = append(t.byLen[n], namedRoute{k0: k0, k1: k1, name: name, r: r})
	}
	return t
}

// find returns the route registered under name, or nil.
func (t *routeTable) find(name []byte) *route {
	n := len(name)
	if n >= len(t.byLen) {
		if n > maxIndexedName && t.long != nil {
			return t.long[string(name)]
		}
		return nil
	}
	group := t.byLen[n]
	if len(group) == 0 {
		return nil
	}
	if n > keyedBytes {
		return findLong(group, name)
	}
	k0, k1 := nameKey(name)
	for i := range group {
		if group[i].k0 == k0 && group[i].k1 == k1 {
			return group[i].r
		}
	}
	return nil
}

// byIndex returns the route with entry id id, or nil.
func (t *routeTable) byIndex(id uint32) *route {
	if uint64(id) >= uint64(len(t.byID)) {
		return nil
	}
	return t.byID[id]
}

// findLong finds a name the key words do not cover completely. Its loop calls memequal;
// keeping it apart leaves find's loop, the common one, without a call to spill around.
func findLong(group []namedRoute, name []byte) *route {
	for i := range group {
		if string(name) == group[i].name {
			return group[i].r
		}
	}
	return nil
}

// nameKey reads a name into two words that, for names of one length up to 16 bytes,
// are equal only for equal names: the first and last 8 bytes (they overlap below 16),
// the first and last 4 below 8, or the first, middle and last byte below 4. It reads
// no byte outside the name.
func nameKey(b []byte) (uint64, uint64) {
	n := len(b)
	switch {
	case n >= 8:
		return binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[n-8:])
	case n >= 4:
		return uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[n-4:]))
	case n > 0:
		return uint64(b[0]) | uint64(b[n/2])<<8 | uint64(b[n-1])<<16, 0
	}
	return 0, 0
}
