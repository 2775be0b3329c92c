// What a phone receives, per channel. Pure: the push request and clock in,
// the provider's message out. No coordinates ever leave in a push.
import type { Message } from 'firebase-admin/messaging';
import type { PushRequest } from '../../schemas/types.ts';

/** `triggeredTs` is the device time of the fix that triggered the push: the phone can measure, or ignore a late coupon. */
export function webPushPayload(req: PushRequest): string {
  return JSON.stringify({
    pushId: req.pushId,
    offerId: req.offerId,
    title: req.title,
    body: req.body,
    triggeredTs: req.deviceTs,
    expiresTs: req.expiresTs,
  });
}

/** An FCM HTTP v1 message whose lifetime matches the push's: Android TTL and APNs expiration. */
export function fcmMessage(req: PushRequest, token: string, now: number): Message {
  const ttlMs = Math.max(0, req.expiresTs - now);
  return {
    token,
    notification: { title: req.title, body: req.body },
    data: {
      pushId: req.pushId,
      offerId: req.offerId,
      triggeredTs: String(req.deviceTs),
      expiresTs: String(req.expiresTs),
    },
    android: { ttl: ttlMs, priority: 'high', collapseKey: req.offerId },
    apns: {
      headers: {
        'apns-expiration': String(Math.floor(req.expiresTs / 1000)),
        'apns-priority': '10',
        'apns-collapse-id': req.offerId.slice(0, 64),
      },
    },
  };
}

/**
 * firebase-admin reports failures as error codes, not HTTP statuses; map them
 * to the status FCM answered so one classifier serves both channels.
 */
export function fcmErrorStatus(code: string | undefined): number | undefined {
  switch (code) {
    case 'messaging/registration-token-not-registered':
      return 404;
    case 'messaging/message-rate-exceeded':
    case 'messaging/device-message-rate-exceeded':
    case 'messaging/topics-message-rate-exceeded':
      return 429;
    case 'messaging/server-unavailable':
      return 503;
    case 'messaging/internal-error':
    case 'messaging/unknown-error':
      return 500;
    case 'app/network-error':
    case 'app/network-timeout':
      return undefined;
    default:
      return 400;
  }
}
