// A small simulated city for the demo: offers around central Amsterdam and
// phones that walk a street grid (random waypoints, moving along one axis at a time).

const CENTRE = { lat: 52.3702, lng: 4.8952 };
const M_PER_DEG_LAT = 111_320;
const M_PER_DEG_LNG = 111_320 * Math.cos((CENTRE.lat * Math.PI) / 180);
const HALF_SIZE_M = 1200;
const BLOCK_M = 100;

const MERCHANTS = [
  ['Café Noord', 'Coffee 2 for 1'],
  ['Bakkerij Jordaan', 'Free croissant with any coffee'],
  ['Fietsen Centraal', '20% off bike rental'],
  ['Boekhandel Spui', '€5 off books over €25'],
  ['Pizzeria Dam', 'Free drink with any pizza'],
  ['Kaashuis', 'Cheese tasting for two'],
  ['Stroopwafel & Co', 'Buy 3 get 1 free'],
  ['Museum Shop', '10% off prints'],
  ['Noodle Bar', 'Lunch deal €9.50'],
  ['Bloemenmarkt', 'Tulip bulbs 2 for €5'],
  ['Vintage Loods', '15% off jackets'],
  ['Ijssalon', 'Extra scoop free'],
] as const;

export interface OfferSpec {
  title: string;
  body: string;
  category: string;
  circles: Array<{ lat: number; lng: number; radiusM: number }>;
}

const toLatLng = (x: number, y: number) => ({
  lat: CENTRE.lat + y / M_PER_DEG_LAT,
  lng: CENTRE.lng + x / M_PER_DEG_LNG,
});
const grid = (v: number) => Math.round(v / BLOCK_M) * BLOCK_M;
const rand = (a: number, b: number) => a + Math.random() * (b - a);

export class City {
  readonly offers: OfferSpec[] = [];

  constructor(count = 24) {
    for (let i = 0; i < count; i++) {
      const [merchant, deal] = MERCHANTS[i % MERCHANTS.length]!;
      const at = toLatLng(grid(rand(-HALF_SIZE_M, HALF_SIZE_M)), grid(rand(-HALF_SIZE_M, HALF_SIZE_M)));
      this.offers.push({
        title: `${deal} at ${merchant}`,
        body: 'Show this coupon at the till',
        category: 'retail',
        circles: [{ ...at, radiusM: Math.round(rand(60, 250)) }],
      });
    }
  }

  randomCorner(): { x: number; y: number } {
    return { x: grid(rand(-HALF_SIZE_M, HALF_SIZE_M)), y: grid(rand(-HALF_SIZE_M, HALF_SIZE_M)) };
  }
}

export class Phone {
  private x: number;
  private y: number;
  private target: { x: number; y: number };
  /** Metres per ping: a brisk cyclist at one ping a second, so the demo sees entries quickly. */
  private readonly speed = rand(6, 14);

  constructor(
    readonly name: string,
    private readonly city: City,
    readonly deviceId: string,
    readonly token: string,
  ) {
    ({ x: this.x, y: this.y } = city.randomCorner());
    this.target = city.randomCorner();
  }

  /** Moves one step along the street grid and returns the new fix. */
  step(): { lat: number; lng: number; at: number } {
    if (Math.abs(this.target.x - this.x) < 1 && Math.abs(this.target.y - this.y) < 1)
      this.target = this.city.randomCorner();
    if (Math.abs(this.target.x - this.x) >= 1)
      this.x += Math.sign(this.target.x - this.x) * Math.min(this.speed, Math.abs(this.target.x - this.x));
    else this.y += Math.sign(this.target.y - this.y) * Math.min(this.speed, Math.abs(this.target.y - this.y));
    const jitter = () => rand(-3, 3); // GPS noise
    return { ...toLatLng(this.x + jitter(), this.y + jitter()), at: Date.now() };
  }
}
