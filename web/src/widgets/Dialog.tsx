import { type ReactNode, useEffect, useId, useLayoutEffect, useRef } from "react";

interface ModalFrameProps {
  /** The id of the element that names the dialog. */
  labelledBy: string;
  onClose: () => void;
  children: ReactNode;
}

/**
 * A native modal `<dialog>` opened with showModal(): the browser keeps the focus inside it and the rest of the page
 * inert; Escape asks `onClose`; the first field takes the focus, and it goes back where it was when the dialog goes.
 */
export function ModalFrame({ labelledBy, onClose, children }: ModalFrameProps) {
  const frame = useRef<HTMLDialogElement>(null);
  const close = useRef(onClose);
  close.current = onClose;

  useLayoutEffect(() => {
    const dialog = frame.current;
    if (!dialog) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector<HTMLElement>("input, select, textarea")?.focus();
    return () => {
      if (dialog.open) dialog.close();
      before?.focus();
    };
  }, []);

  useEffect(() => {
    const dialog = frame.current;
    if (!dialog) return;
    // Escape: the owner decides, and removes the dialog; the browser must not close it behind React's back.
    const onCancel = (event: Event) => {
      event.preventDefault();
      close.current();
    };
    dialog.addEventListener("cancel", onCancel);
    return () => dialog.removeEventListener("cancel", onCancel);
  }, []);

  return (
    <dialog className="modal-backdrop" aria-labelledby={labelledBy} ref={frame}>
      <div className="modal">{children}</div>
    </dialog>
  );
}

interface DialogProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
}

/** A modal dialog named by its title, with a ✕ that closes it. */
export function Dialog({ title, onClose, children }: DialogProps) {
  const titleId = useId();
  return (
    <ModalFrame labelledBy={titleId} onClose={onClose}>
      <header className="modal-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="link" onClick={onClose} aria-label="Close">
          ✕
        </button>
      </header>
      {children}
    </ModalFrame>
  );
}
