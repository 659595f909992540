package keys

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/mandatehq/mandate/internal/httpx"
	"github.com/mandatehq/mandate/tenants"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// JWKSHandler serves GET /t/{slug}/jwks.json: the workspace's published
// public keys, cacheable for JWKSMaxAge.
func (m *Manager) JWKSHandler(ts *tenants.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tid, err := ts.TenantIDBySlug(r.Context(), r.PathValue("slug"))
		if err != nil {
			httpx.WriteProblem(w, r, http.StatusNotFound, "workspace not found")
			return
		}
		set, err := m.JWKS(viewer.ForTenant(r.Context(), tid))
		if err != nil {
			httpx.WriteProblem(w, r, http.StatusInternalServerError, "internal error")
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(JWKSMaxAge.Seconds())))
		_ = json.NewEncoder(w).Encode(set)
	})
}
