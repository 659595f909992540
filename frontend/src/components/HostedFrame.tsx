import { useEffect, type ReactNode } from 'react';

interface HostedFrameProps {
  slug: string;
  title: string;
  children: ReactNode;
  /** Links to the workspace's other pages, under the card. */
  links?: ReactNode;
  wide?: boolean;
}

/** The frame of a workspace's hosted pages (/t/:slug/…): one card, centred. */
export function HostedFrame({ slug, title, children, links, wide = false }: HostedFrameProps) {
  useEffect(() => {
    document.title = `${title} · ${slug} · Mandate`;
  }, [title, slug]);
  return (
    <main className={wide ? 'hosted hosted-wide' : 'hosted signin'} id="main">
      <div className={wide ? 'hosted-column' : 'card signin-card'}>
        <p className="hosted-brand">
          <span className="logo" aria-hidden="true">
            ◆
          </span>{' '}
          Mandate <span className="muted">·</span> <code>{slug}</code>
        </p>
        <h1>{title}</h1>
        {children}
        {links && (
          <nav className="hosted-links" aria-label="More">
            {links}
          </nav>
        )}
      </div>
    </main>
  );
}
