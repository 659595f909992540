package passkey

import (
	"context"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/mandatehq/mandate/auth/signin"
	"github.com/mandatehq/mandate/ent"
	"github.com/mandatehq/mandate/internal/apperr"
	"github.com/mandatehq/mandate/tenants/viewer"
)

// Registration adds a passkey to an account: a signed-in person's (whose
// session must be recent), or the person of a pending sign-in of kind
// "enroll" (the workspace requires a second factor and they have none),
// whose registration then completes the sign-in.

// BeginRegistration starts adding a passkey named name for the person
// signed in with cur.
func (s *Service) BeginRegistration(ctx context.Context, cur *ent.Session, name string) (*Ceremony, error) {
	if err := s.flows.RequireRecent(ctx, cur, false); err != nil {
		return nil, err
	}
	return s.beginRegistration(ctx, cur.UserID, cur.ID, 0, name)
}

// BeginEnrollment starts registering a passkey for the pending "enroll"
// sign-in pendingToken names.
func (s *Service) BeginEnrollment(ctx context.Context, pendingToken, name string) (*Ceremony, error) {
	p, err := s.enrolling(ctx, pendingToken)
	if err != nil {
		return nil, err
	}
	return s.beginRegistration(viewer.NewContext(ctx, p.Viewer(viewer.FromContext(ctx).TenantID)), p.User.ID, 0, p.ID, name)
}

// enrolling is the live pending sign-in of kind "enroll" token names.
func (s *Service) enrolling(ctx context.Context, token string) (*signin.Pending, error) {
	p, err := s.flows.PendingSignIn(ctx, token)
	if err != nil {
		return nil, err
	}
	if p.Kind != signin.PendingEnroll {
		return nil, signin.ErrNoPending
	}
	return p, nil
}

func (s *Service) beginRegistration(ctx context.Context, userID, sessionID, pendingID int, name string) (*Ceremony, error) {
	name, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	wa, _, err := s.relyingParty(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.loadPerson(ctx, userID)
	if err != nil {
		return nil, err
	}
	if p.handle, err = handleFor(p.u); err != nil {
		return nil, apperr.Wrap(err, "random")
	}
	opts, sd, err := wa.BeginRegistration(p, registrationOptions(p)...)
	if err != nil {
		return nil, apperr.Wrap(err, "registration options")
	}
	return s.start(ctx, KindRegister, userID, sessionID, ceremonyData{Session: *sd, Name: name, PendingID: pendingID}, opts)
}

// registrationOptions ask for a discoverable credential with user
// verification, no attestation, and none of the person's passkeys again.
func registrationOptions(p *person) []webauthn.RegistrationOption {
	return []webauthn.RegistrationOption{
		webauthn.WithExclusions(webauthn.Credentials(p.WebAuthnCredentials()).CredentialDescriptors()),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			RequireResidentKey: new(true),
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			UserVerification:   protocol.VerificationRequired,
		}),
	}
}

// FinishRegistration verifies the browser's credential (body, as
// navigator.credentials.create returned it, in JSON) for the ceremony
// token names, started with cur, and stores the passkey.
func (s *Service) FinishRegistration(ctx context.Context, cur *ent.Session, token string, body []byte) (*ent.Passkey, error) {
	c, d, err := s.spend(ctx, KindRegister, token)
	if err != nil {
		return nil, err
	}
	if c.SessionID == 0 || c.SessionID != cur.ID || c.UserID != cur.UserID {
		return nil, ErrNoCeremony
	}
	return s.finishRegistration(ctx, c.UserID, d, body)
}

// FinishEnrollment verifies and stores the passkey of a pending "enroll"
// sign-in, then completes the sign-in with it.
func (s *Service) FinishEnrollment(ctx context.Context, pendingToken, token string, body []byte) (*signin.SignInResult, error) {
	c, d, err := s.spend(ctx, KindRegister, token)
	if err != nil {
		return nil, err
	}
	p, err := s.enrolling(ctx, pendingToken)
	if err != nil {
		return nil, err
	}
	if d.PendingID == 0 || d.PendingID != p.ID || c.UserID != p.User.ID {
		return nil, ErrNoCeremony
	}
	uctx := viewer.NewContext(ctx, p.Viewer(viewer.FromContext(ctx).TenantID))
	k, err := s.finishRegistration(uctx, p.User.ID, d, body)
	if err != nil {
		return nil, err
	}
	return s.flows.CompletePending(ctx, pendingToken, method(k.BackupEligible), "passkey")
}

func (s *Service) finishRegistration(ctx context.Context, userID int, d ceremonyData, body []byte) (*ent.Passkey, error) {
	wa, _, err := s.relyingParty(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.loadPerson(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(p.handle) > 0 && string(p.handle) != string(d.Session.UserID) {
		return nil, ErrNoCeremony
	}
	p.handle = d.Session.UserID
	cred, err := verifyCreation(wa, p, d, body)
	if err != nil {
		return nil, err
	}
	var k *ent.Passkey
	err = s.inTx(ctx, func(tx *ent.Tx) error {
		if err := claimHandle(ctx, tx, userID, p.handle); err != nil {
			return err
		}
		k, err = s.storePasskey(ctx, tx, userID, d.Name, cred)
		return err
	})
	return k, err
}

// verifyCreation checks an attestation response against the ceremony.
func verifyCreation(wa *webauthn.WebAuthn, p *person, d ceremonyData, body []byte) (*webauthn.Credential, error) {
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return nil, ErrRejected
	}
	cred, err := wa.CreateCredential(p, d.Session, parsed)
	if err != nil {
		return nil, ErrRejected
	}
	if cred.Authenticator.Attachment == "" {
		cred.Authenticator.Attachment = parsed.AuthenticatorAttachment
	}
	return cred, nil
}
