import { Field } from '../components/Field';

interface CodeFieldProps {
  value: string;
  onChange: (value: string) => void;
  /** A recovery code (letters and digits) rather than an app's 6 digits. */
  recovery?: boolean;
  label?: string;
  autoFocus?: boolean;
  name?: string;
}

/** The input for a code from an authenticator app, or a recovery code. */
export function CodeField({ value, onChange, recovery = false, label, autoFocus = true, name = 'code' }: CodeFieldProps) {
  return recovery ? (
    <Field
      label={label ?? 'Recovery code'}
      name={name}
      autoComplete="off"
      autoCapitalize="characters"
      spellCheck={false}
      required
      autoFocus={autoFocus}
      hint="One of the codes you saved, like ABCDE-FGHIJ. Each works once."
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  ) : (
    <Field
      label={label ?? 'Authentication code'}
      name={name}
      inputMode="numeric"
      autoComplete="one-time-code"
      pattern="[0-9 ]*"
      maxLength={7}
      spellCheck={false}
      required
      autoFocus={autoFocus}
      hint="The 6-digit code your authenticator app shows now."
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

/** A code as typed, without the spaces apps show in the middle. */
export function cleanCode(code: string): string {
  return code.replace(/\s+/g, '');
}
