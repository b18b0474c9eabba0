/**
 * The other people in the sheet: each one's caret as a coloured bar, their selection tinted in their colour. The name
 * shows over the caret while they type, and is hidden otherwise so it never covers the chords of the line above.
 * Set whole from presence; between two presence updates they move with the text.
 */
import { type EditorState, type Range, StateEffect, StateField } from "@codemirror/state";
import { Decoration, type DecorationSet, EditorView, WidgetType } from "@codemirror/view";

export interface RemoteCaret {
  userId: string;
  name: string;
  color: string;
  typing: boolean;
  /** UTF-16 positions in the editor's document. */
  anchor: number;
  head: number;
}

/** Replaces every remote caret. */
export const setRemoteCarets = StateEffect.define<readonly RemoteCaret[]>();

/** A colour from the server as a CSS colour; anything but a plain hex colour is drawn grey. */
function safeColor(color: string): string {
  return /^#[0-9a-f]{3,8}$/i.test(color) ? color : "#888888";
}

class CaretWidget extends WidgetType {
  constructor(
    readonly userId: string,
    readonly name: string,
    readonly color: string,
    readonly typing: boolean,
  ) {
    super();
  }

  override eq(other: CaretWidget): boolean {
    return (
      other.userId === this.userId &&
      other.name === this.name &&
      other.color === this.color &&
      other.typing === this.typing
    );
  }

  toDOM(): HTMLElement {
    const caret = document.createElement("span");
    caret.className = this.typing ? "remote-caret typing" : "remote-caret";
    caret.dataset.user = this.userId;
    caret.style.borderColor = this.color;
    caret.setAttribute("aria-hidden", "true");
    const label = document.createElement("span");
    label.className = "remote-caret-label";
    label.style.background = this.color;
    label.textContent = this.name;
    caret.append(label);
    return caret;
  }

  override ignoreEvent(): boolean {
    return true;
  }
}

function decorate(state: EditorState, carets: readonly RemoteCaret[]): DecorationSet {
  const length = state.doc.length;
  const ranges: Range<Decoration>[] = [];
  for (const caret of carets) {
    const color = safeColor(caret.color);
    const head = Math.min(caret.head, length);
    const anchor = Math.min(caret.anchor, length);
    const from = Math.min(head, anchor);
    const to = Math.max(head, anchor);
    if (from < to) {
      ranges.push(
        Decoration.mark({
          class: "remote-selection",
          attributes: { style: `background-color: color-mix(in srgb, ${color} 22%, transparent)` },
        }).range(from, to),
      );
    }
    ranges.push(
      Decoration.widget({ widget: new CaretWidget(caret.userId, caret.name, color, caret.typing), side: 1 }).range(
        head,
      ),
    );
  }
  return Decoration.set(ranges, true);
}

export const remoteCarets = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(carets, transaction) {
    for (const effect of transaction.effects) {
      if (effect.is(setRemoteCarets)) return decorate(transaction.state, effect.value);
    }
    return transaction.docChanged ? carets.map(transaction.changes) : carets;
  },
  provide: (field) => EditorView.decorations.from(field),
});
