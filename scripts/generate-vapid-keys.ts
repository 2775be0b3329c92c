// Prints a fresh VAPID key pair as environment lines for the dispatcher.
import webpush from 'web-push';

const { publicKey, privateKey } = webpush.generateVAPIDKeys();
console.log(`NEARCAST_VAPID_PUBLIC_KEY=${publicKey}`);
console.log(`NEARCAST_VAPID_PRIVATE_KEY=${privateKey}`);
