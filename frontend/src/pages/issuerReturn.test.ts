import { describe, expect, it } from 'vitest';
import { issuerReturn } from './SignInPage';

// After signing in, the hosted page goes back only to this workspace's own
// authorize or device page: never to another workspace or another site.
describe('issuerReturn', () => {
  it('accepts the workspace issuer pages', () => {
    expect(issuerReturn('acme', '/t/acme/oauth2/authorize?client_id=a&request_uri=urn%3Ax')).toBe(
      '/t/acme/oauth2/authorize?client_id=a&request_uri=urn%3Ax',
    );
    expect(issuerReturn('acme', '/t/acme/device?user_code=BCDF-GHJK')).toBe('/t/acme/device?user_code=BCDF-GHJK');
    expect(issuerReturn('acme', '/t/acme/device')).toBe('/t/acme/device');
  });
  it('refuses everything else', () => {
    for (const bad of [
      null,
      '',
      'https://evil.example/t/acme/oauth2/authorize?x',
      '//evil.example/t/acme/oauth2/authorize?x',
      '/t/other/oauth2/authorize?client_id=a',
      '/t/acme/oauth2/token?x',
      '/t/acme/oauth2/authorize?next=//evil.example',
      '/t/acme/devices',
      '/t/acme/oauth2/authorize?x=\\\\evil',
    ]) {
      expect(issuerReturn('acme', bad)).toBeNull();
    }
  });
});
