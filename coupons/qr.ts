// What the phone renders as a QR code for the merchant to scan: the claim's
// code behind a versioned prefix, so a scanner can tell a nearcast code from
// any other QR and a later format can change without ambiguity.
export const QR_PREFIX = 'nearcast:v1:';

export const qrPayload = (code: string): string => `${QR_PREFIX}${code}`;

/** The code inside a scanned payload; a bare code is taken as it is. */
export const codeFromScan = (raw: string): string => (raw.startsWith(QR_PREFIX) ? raw.slice(QR_PREFIX.length) : raw);
