import { useEffect, useRef, useState } from "react";

/**
 * A destructive action asked twice, in the page: the first press shows what will happen with
 * a button to go ahead and one to keep things as they are, focused so a keyboard user lands
 * on the choice (window.confirm would take the focus away from the page, and cannot be styled).
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  pending,
  disabled,
  onConfirm,
}: {
  label: string;
  question: string;
  confirmLabel: string;
  pending?: boolean;
  disabled?: boolean;
  onConfirm: () => void;
}) {
  const [asking, setAsking] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) cancel.current?.focus();
    else if (wasAsking.current) opener.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  if (!asking) {
    return (
      <button
        ref={opener}
        type="button"
        className="button-danger"
        disabled={disabled || pending}
        onClick={() => setAsking(true)}
      >
        {label}
      </button>
    );
  }
  return (
    <fieldset className="confirm">
      <legend>{question}</legend>
      <div className="button-row">
        <button
          type="button"
          className="button-danger"
          disabled={pending}
          onClick={() => {
            setAsking(false);
            onConfirm();
          }}
        >
          {confirmLabel}
        </button>
        <button ref={cancel} type="button" className="button-quiet" onClick={() => setAsking(false)}>
          Cancel
        </button>
      </div>
    </fieldset>
  );
}
