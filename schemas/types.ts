// TypeScript shapes of the Avro records in this folder. Keep in step with the .avsc files
// (test/integration/schemas-topics.test.ts round-trips records through the registry codecs).

export interface LocationPing {
  pingId: string;
  userId: string;
  lat: number;
  lng: number;
  accuracyM: number;
  deviceTs: number;
  receivedTs: number;
}

export interface PushRequest {
  pushId: string;
  userId: string;
  offerId: string;
  title: string;
  body: string;
  distanceM: number;
  deviceTs: number;
  decidedTs: number;
  expiresTs: number;
}

export type PushChannel = 'WEBPUSH' | 'FCM' | 'NONE';
export type DeliveryOutcome = 'DELIVERED' | 'GONE' | 'FAILED' | 'EXPIRED' | 'NO_REGISTRATION' | 'UNKNOWN';

export interface DeliveryResult {
  pushId: string;
  userId: string;
  offerId: string;
  channel: PushChannel;
  outcome: DeliveryOutcome;
  attempts: number;
  status: number | null;
  reason: string;
  deviceTs: number;
  completedTs: number;
}

export interface StateEntry {
  redisKey: string;
  field: string | null;
  json: string;
  ttlSeconds: number;
  writtenTs: number;
}

export interface PrivacyEvent {
  eventId: string;
  userId: string;
  kind: 'CONSENT_GIVEN' | 'CONSENT_WITHDRAWN' | 'ERASED' | 'OTHER';
  requestedBy: string;
  detail: string;
  ts: number;
}

/** A bulk-import row of preferences (schemas/import-preferences.avsc); null = unchanged. */
export interface ImportedPreferences {
  importId: string;
  line: number;
  userId: string;
  interests: Record<string, number> | null;
  segments: string[] | null;
  consent: boolean | null;
  quietHours: { startMinute: number; endMinute: number } | null;
  clearQuietHours: boolean;
  timeZone: string | null;
  locale: string | null;
}

/** A bulk-import purchase (schemas/import-transaction.avsc). */
export interface ImportedTransaction {
  importId: string;
  line: number;
  transactionId: string;
  userId: string;
  amountMinor: number;
  currency: string;
  merchantId: string;
  category: string;
  occurredAt: number;
}

export type OfferStatus = 'ACTIVE' | 'PAUSED' | 'ENDED' | 'EXHAUSTED';

export interface Circle {
  lat: number;
  lng: number;
  radiusM: number;
}

export interface Point {
  lat: number;
  lng: number;
}

export interface Polygon {
  outer: Point[];
  holes: Point[][];
}

export interface WeeklyWindow {
  /** 0 = Sunday … 6 = Saturday. */
  day: number;
  openMinute: number;
  closeMinute: number;
}

export interface OpeningHours {
  timeZone: string;
  windows: WeeklyWindow[];
}

export interface Offer {
  offerId: string;
  title: string;
  body: string;
  category: string;
  status: OfferStatus;
  circles: Circle[];
  polygons: Polygon[];
  startsTs: number | null;
  endsTs: number | null;
  openingHours: OpeningHours | null;
  campaignId: string;
  merchantId: string;
  priority: number;
  segments: string[];
  dwellSeconds: number;
  updatedTs: number;
}

/** Every optional field of an offer at its schema default; spread it under the fields you set. */
export const OFFER_DEFAULTS = {
  body: '',
  category: 'general',
  status: 'ACTIVE',
  circles: [],
  polygons: [],
  startsTs: null,
  endsTs: null,
  openingHours: null,
  campaignId: '',
  merchantId: '',
  priority: 0,
  segments: [],
  dwellSeconds: 0,
} as const satisfies Omit<Offer, 'offerId' | 'title' | 'updatedTs'>;
