/** A confirmation shown in place under the button that asked for it: focus moves to it, and back on "Keep it". */
import { type ReactNode, type RefObject, useEffect, useRef } from "react";

export function InlineConfirm({
  id,
  question,
  confirmLabel,
  onConfirm,
  onCancel,
  returnFocusTo,
}: {
  /** The element's id, which the asking button names in `aria-controls`. */
  id: string;
  question: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  /** The button that asked, focused again when the answer is no. */
  returnFocusTo: RefObject<HTMLButtonElement | null>;
}) {
  const confirmButton = useRef<HTMLButtonElement>(null);
  useEffect(() => confirmButton.current?.focus(), []);
  return (
    <div className="confirm" id={id}>
      <p id={`${id}-text`}>{question}</p>
      <div className="actions">
        <button
          ref={confirmButton}
          type="button"
          className="danger"
          onClick={onConfirm}
          aria-describedby={`${id}-text`}
        >
          {confirmLabel}
        </button>
        <button
          type="button"
          onClick={() => {
            onCancel();
            returnFocusTo.current?.focus();
          }}
        >
          Keep it
        </button>
      </div>
    </div>
  );
}
