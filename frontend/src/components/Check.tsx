/** A checkbox with its label and a hint read out with it. */
export function Check({
  id,
  label,
  hint,
  code = false,
  checked,
  onChange,
}: {
  id: string;
  label: string;
  hint?: string;
  /** Show the label as code (a scope name). */
  code?: boolean;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <div className="check">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onChange={(e) => onChange(e.target.checked)}
      />
      <label htmlFor={id}>{code ? <code>{label}</code> : label}</label>
      {hint && (
        <small id={`${id}-hint`} className="muted">
          {hint}
        </small>
      )}
    </div>
  );
}

/** The list with value added (on) or removed (off). */
export function toggle(list: string[], value: string, on: boolean): string[] {
  return on ? [...list, value] : list.filter((v) => v !== value);
}
