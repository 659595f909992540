package graph

import "github.com/mandatehq/mandate/internal/apperr"

// maxPage bounds one page of a connection.
const maxPage = 500

func checkPage(first, last *int) error {
	for _, n := range []*int{first, last} {
		if n != nil && (*n < 0 || *n > maxPage) {
			return apperr.InvalidField("first", "a page holds 0 to %d items", maxPage)
		}
	}
	return nil
}
