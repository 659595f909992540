package mfa

// SetBeforeSpend makes s call f between checking a TOTP code and spending
// it, so a test can line concurrent uses of one code up there.
func SetBeforeSpend(s *Service, f func()) { s.beforeSpend = f }
