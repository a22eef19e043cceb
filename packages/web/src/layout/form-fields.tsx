import { type InputHTMLAttributes, useId } from "react";

/** A labelled text input (or any `<input>` type) of a form read with FormData on submit. */
export function TextField({
  label,
  className,
  ...input
}: { label: string; name: string; className?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className={className ? `field ${className}` : "field"}>
      <label htmlFor={id}>{label}</label>
      <input id={id} {...input} />
    </div>
  );
}

/** A labelled choice among `options` (value and label), first of them `anyLabel` for "no filter". */
export function SelectField({
  label,
  name,
  defaultValue,
  anyLabel,
  options,
}: {
  label: string;
  name: string;
  defaultValue?: string;
  anyLabel: string;
  options: ReadonlyArray<readonly [value: string, label: string]>;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} name={name} defaultValue={defaultValue ?? ""}>
        <option value="">{anyLabel}</option>
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}
