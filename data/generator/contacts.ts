/** Phone numbers and how people write them. */

/**
 * US area codes NXX, leaving out N9X and N11 (not area codes), N00 and 8XX with a repeated digit
 * (toll-free and special services). Every generated number is `<area>-555-01XX`, the range the
 * North American Numbering Plan reserves for fiction, so the SMS endpoints in the sample can never
 * text a real phone.
 */
const AREA_CODES: readonly string[] = (() => {
  const codes: string[] = [];
  for (let first = 2; first <= 9; first++)
    for (let second = 0; second <= 8; second++)
      for (let third = 0; third <= 9; third++)
        if (
          !(second === 1 && third === 1) &&
          !(second === 0 && third === 0) &&
          !(first === 8 && second === third)
        )
          codes.push(`${first}${second}${third}`);
  return codes;
})();

/** How many distinct fictional numbers exist; beyond this many customers, numbers repeat. */
export const PHONE_NUMBER_SPACE = AREA_CODES.length * 100;

/** A prime that does not divide PHONE_NUMBER_SPACE, so consecutive slots scatter over area codes. */
const STRIDE = 7_919;

/** The ten national digits of fictional phone number `slot`, e.g. `2125550142`. */
export function phoneDigitsOf(slot: number, seed: number): string {
  const position = (((slot * STRIDE + seed) % PHONE_NUMBER_SPACE) + PHONE_NUMBER_SPACE) % PHONE_NUMBER_SPACE;
  const area = AREA_CODES[Math.floor(position / 100)]!;
  return `${area}55501${String(position % 100).padStart(2, '0')}`;
}

export const PHONE_FORMATS = ['paren', 'dash', 'dot', 'plain', 'e164', 'intl'] as const;
export type PhoneFormat = (typeof PHONE_FORMATS)[number];

/** The same ten digits as a person or a till would type them. */
export function formatPhone(digits: string, format: PhoneFormat): string {
  const [area, exchange, line] = [digits.slice(0, 3), digits.slice(3, 6), digits.slice(6)];
  switch (format) {
    case 'paren':
      return `(${area}) ${exchange}-${line}`;
    case 'dash':
      return `${area}-${exchange}-${line}`;
    case 'dot':
      return `${area}.${exchange}.${line}`;
    case 'plain':
      return digits;
    case 'e164':
      return `+1${digits}`;
    case 'intl':
      return `+1 ${area} ${exchange} ${line}`;
  }
}

/** E.164, the only form Pinpoint accepts for an SMS endpoint's Address. */
export function e164Of(digits: string): string {
  return formatPhone(digits, 'e164');
}
