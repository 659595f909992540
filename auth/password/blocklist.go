package password

import (
	"strings"
	"sync"

	"github.com/trustelem/zxcvbn/frequency"
)

// The blocklist is zxcvbn's list of the 30,000 most common passwords,
// shipped as data by github.com/trustelem/zxcvbn and loaded on first use.
var (
	blockOnce sync.Once
	blocked   map[string]struct{}
)

func blocklist() map[string]struct{} {
	blockOnce.Do(func() {
		list := frequency.FrequencyLists["passwords"]
		blocked = make(map[string]struct{}, len(list))
		for _, p := range list {
			blocked[strings.ToLower(p)] = struct{}{}
		}
	})
	return blocked
}

// BlocklistSize is how many common passwords are refused.
func BlocklistSize() int { return len(blocklist()) }

// IsCommon reports whether pw (case-insensitively) is on the blocklist.
func IsCommon(pw string) bool {
	_, ok := blocklist()[strings.ToLower(Normalize(pw))]
	return ok
}
