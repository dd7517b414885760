import { createHmac } from 'node:crypto';
import {
  DEFAULT_NORMALISE_OPTIONS,
  emailType,
  idType,
  type NormaliseOptions,
  phoneType,
} from '../ingest/column-types';
import { UserFacingError } from '../errors';

/** What a privacy request asks for. */
export type PrivacyAction = 'access' | 'erase';

/** The person a request is about, as the requester named them, normalised as ingestion does. */
export type Subject =
  | { readonly kind: 'customer_id'; readonly value: string }
  | { readonly kind: 'email'; readonly value: string }
  | { readonly kind: 'phone'; readonly value: string };

const customerId = idType(256);

/**
 * Reads a subject: an email (trimmed, lower-cased), a phone number (E.164), or else a customer
 * ID. The normalisers are ingestion's own, so a subject matches the trusted zone's values.
 */
export function parseSubject(raw: string, options: NormaliseOptions = DEFAULT_NORMALISE_OPTIONS): Subject {
  const text = raw.trim();
  if (text.includes('@')) {
    const email = emailType.schema.safeParse(text);
    if (!email.success) throw new UserFacingError(`"${text}" looks like an email address but is not one`);
    return { kind: 'email', value: String(email.data) };
  }
  if (/^\+?[\d\s().-]{7,}$/.test(text) && /\d{3}/.test(text.replace(/\D/g, ''))) {
    const phone = phoneType(options).schema.safeParse(text);
    if (phone.success) return { kind: 'phone', value: String(phone.data) };
  }
  const id = customerId.schema.safeParse(text);
  if (!id.success)
    throw new UserFacingError(`"${raw}" is not a customer ID, an email address or a phone number`);
  return { kind: 'customer_id', value: String(id.data) };
}

/**
 * A salted hash of one identifier (HMAC-SHA-256, hex): how the suppression list and the request
 * records name a person without holding their data. The kind is part of the input, so a phone and
 * an ID with the same digits differ.
 */
export function hashIdentifier(salt: Uint8Array, kind: IdentifierKind, value: string): string {
  return createHmac('sha256', salt).update(`${kind}\u001f${value}`).digest('hex');
}

export type IdentifierKind = 'id' | 'email' | 'phone';

/** The hash that names a subject in its request record. */
export function subjectHash(salt: Uint8Array, subject: Subject): string {
  return hashIdentifier(salt, subject.kind === 'customer_id' ? 'id' : subject.kind, subject.value);
}
