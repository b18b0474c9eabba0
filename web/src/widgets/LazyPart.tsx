/**
 * A part of the app loaded on demand (a page, the editor, the performance view): "Loading…" while its code comes,
 * a way out when it is slow, and a sentence with a Reload button, instead of a blank page, when it cannot come.
 */
import { Component, type ReactNode, Suspense, useEffect, useState } from "react";

/** After this long, a part still loading offers a reload: a request can stall without ever failing. */
const SLOW_MS = 10_000;

function reload() {
  window.location.reload();
}

function ReloadButton() {
  return (
    <button type="button" onClick={reload}>
      Reload
    </button>
  );
}

/** A page's stand-in is a page (main), so the landmarks stay; a part of a page's is a block. */
function Frame({ page, role, children }: { page: boolean; role: "status" | "alert"; children: ReactNode }) {
  return page ? (
    <main className="lazy-part" role={role}>
      {children}
    </main>
  ) : (
    <div className="lazy-part" role={role}>
      {children}
    </div>
  );
}

/** "Loading…", and after SLOW_MS that it is taking too long, with a Reload button. */
function Loading({ label, page }: { label: string; page: boolean }) {
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setSlow(true), SLOW_MS);
    return () => clearTimeout(timer);
  }, []);
  return (
    <Frame page={page} role="status">
      <p className="muted">{label}</p>
      {slow ? (
        <p>
          This is taking longer than it should. <ReloadButton />
        </p>
      ) : null}
    </Frame>
  );
}

/** Catches a part whose code could not be loaded (the network dropped, or a new version replaced the files). */
class LoadFailure extends Component<{ page: boolean; children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <Frame page={this.props.page} role="alert">
        <p className="error">This part of the page could not be loaded or shown. Check the connection, then reload.</p>
        <ReloadButton />
      </Frame>
    );
  }
}

/** Shows `children` (lazily loaded), with `label` while they load; `page` when they are a whole page. */
export function LazyPart({ label, page = false, children }: { label: string; page?: boolean; children: ReactNode }) {
  return (
    <LoadFailure page={page}>
      <Suspense fallback={<Loading label={label} page={page} />}>{children}</Suspense>
    </LoadFailure>
  );
}
