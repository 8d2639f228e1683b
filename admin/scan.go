package admin

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/aurinko-go/aurinko/store"
)

// listInfo describes one page of a list, for the page and its JSON.
type listInfo struct {
	// Q is the search, "" for none.
	Q string `json:"q,omitempty"`
	// After is the cursor this page started after.
	After string `json:"after,omitempty"`
	// Next is the cursor of the next page, "" at the end of the list.
	Next string `json:"next,omitempty"`
	// Scanned is how many records the server read for this page.
	Scanned int `json:"scanned"`
	// Truncated means the search budget ran out before the page filled:
	// Next continues the search where it stopped.
	Truncated bool `json:"truncated,omitempty"`
}

// scan reads one page of a list ordered by key, starting after `after`.
// Without a match function it reads exactly one store page of want+1
// records (the extra one tells whether there is a next page). With one, it
// reads store pages of up to store.MaxPageLimit until want records match,
// the list ends, or budget records were read.
func scan[T any, K comparable](ctx context.Context, after K, want, budget int,
	fetch func(ctx context.Context, after K, limit int) ([]T, error),
	key func(T) K, match func(T) bool, cursor func(K) string) ([]T, listInfo, error) {
	var info listInfo
	var zero K
	if match == nil {
		batch, err := fetch(ctx, after, want+1)
		if err != nil {
			return nil, info, err
		}
		info.Scanned = len(batch)
		if len(batch) > want {
			batch = batch[:want]
			info.Next = cursor(key(batch[want-1]))
		}
		return batch, info, nil
	}
	var out []T
	for info.Scanned < budget {
		limit := min(store.MaxPageLimit, budget-info.Scanned)
		batch, err := fetch(ctx, after, limit)
		if err != nil {
			return nil, info, err
		}
		for _, it := range batch {
			info.Scanned++
			after = key(it)
			if match(it) {
				out = append(out, it)
				if len(out) == want {
					info.Next = cursor(after)
					return out, info, nil
				}
			}
		}
		if len(batch) < limit {
			return out, info, nil // end of the list
		}
	}
	if after != zero {
		info.Next = cursor(after)
		info.Truncated = true
	}
	return out, info, nil
}

// find is scan for lists keyed by record id, except that a search that is
// a record id (digits only) is answered with one keyed read: get returns
// the record and whether it exists and passes the list's filters. That is
// how an operator finds account 8123 among 10,000 at once.
func find[T any](ctx context.Context, q string, after int64, want, budget int,
	fetch func(ctx context.Context, after int64, limit int) ([]T, error),
	key func(T) int64, match func(T) bool,
	get func(ctx context.Context, id int64) (T, bool, error)) ([]T, listInfo, error) {
	id, err := strconv.ParseInt(q, 10, 64)
	if err != nil || id <= 0 || strings.TrimLeft(q, "0123456789") != "" {
		return scan(ctx, after, want, budget, fetch, key, match, idCursor)
	}
	var info listInfo
	if id <= after {
		return nil, info, nil // the record was on the first page
	}
	v, ok, err := get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, info, nil
	}
	if err != nil {
		return nil, info, err
	}
	info.Scanned = 1
	if !ok {
		return nil, info, nil
	}
	return []T{v}, info, nil
}

// contains reports whether any of fields contains q, ignoring case. q is
// already lower case.
func contains(q string, fields ...string) bool {
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}
